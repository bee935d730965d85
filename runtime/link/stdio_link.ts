/**
 * Children linked over their stdio: length-prefixed MessagePack frames on
 * stdin/stdout (a {@linkcode FrameLink} over the pipes), stderr read as
 * lines. {@linkcode spawnStdioChild} gives the link and the process apart.
 *
 * @module
 */
import type { ChildCommand } from "../../sandbox/command/mod.ts";
import type { ByteTransport } from "./byte_transport.ts";
import type { ChildExit, ChildProcessHandle, SpawnedChild, SpawnHandlers } from "./link.ts";
import type { SpawnOptions } from "./spawn_options.ts";
import { attachChildStreams } from "./child_streams.ts";

/** Options for a stdio link. */
export type StdioLinkOptions = SpawnOptions;

/** Starts a child from `command` and links to it over its stdin and stdout. */
export function spawnStdioChild(
  command: ChildCommand,
  handlers: SpawnHandlers,
  options: StdioLinkOptions = {},
): SpawnedChild {
  return attachStdio(startChild(command), handlers, options);
}

function startChild(command: ChildCommand): Deno.ChildProcess {
  return new Deno.Command(command.program, {
    args: command.args,
    env: command.env,
    clearEnv: true,
    // Its own session: a Ctrl-C in the terminal reaches the runtime, which then stops
    // every child in order, instead of killing them all mid-tick. A child whose
    // runtime dies anyway exits on end of stdin (and the jail dies with its parent).
    detached: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

function attachStdio(
  child: Deno.ChildProcess,
  handlers: SpawnHandlers,
  options: StdioLinkOptions,
): SpawnedChild {
  const exit = child.status.then((status): ChildExit => ({
    code: status.signal ? null : status.code,
    signal: status.signal,
  }));
  const { link, exited } = attachChildStreams(
    pipeTransport(child),
    child.stderr,
    exit,
    handlers,
    options,
  );
  const process: ChildProcessHandle = {
    pid: child.pid,
    kill(signal: Deno.Signal = "SIGKILL") {
      try {
        child.kill(signal);
      } catch {
        // Already exited.
      }
    },
    exited,
  };
  return { link, process };
}

/** A child's stdout and stdin as one byte transport. */
function pipeTransport(child: Deno.ChildProcess): ByteTransport {
  const stdin = child.stdin.getWriter();
  // A dead child rejects pending writes; that is reported through `exited`.
  stdin.closed.catch(() => {});
  const stdout = child.stdout.getReader();
  return {
    async *chunks() {
      try {
        while (true) {
          const { value, done } = await stdout.read();
          if (done) return;
          yield value;
        }
      } finally {
        // Leaving early (a protocol error) stops reading; after the end it is a no-op.
        await stdout.cancel().catch(() => {});
      }
    },
    write: (bytes) => stdin.write(bytes),
    async close() {
      await Promise.allSettled([stdout.cancel(), stdin.abort()]);
    },
  };
}

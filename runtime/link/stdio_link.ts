/**
 * `ChildLink` over a child's stdio: length-prefixed MessagePack frames on
 * stdin/stdout, stderr read as lines. Every incoming frame goes through the
 * limited decoder; the first malformed one ends reading and is reported.
 *
 * @module
 */
import { DEFAULT_FRAME_LIMITS, type FrameLimits, FrameReader } from "../protocol/mod.ts";
import { MessagePackWriter } from "../protocol/mod.ts";
import { writeRuntimeFrame } from "../protocol/mod.ts";
import { ProtocolError } from "../protocol/mod.ts";
import type { ChildCommand } from "../../sandbox/command/mod.ts";
import type { RuntimeMessage } from "../protocol/mod.ts";
import type { ChildExit, ChildLink, SpawnHandlers } from "./link.ts";

/** Options for a stdio link. */
export interface StdioLinkOptions {
  /** Limits on frames from the child. @default DEFAULT_FRAME_LIMITS */
  limits?: Readonly<FrameLimits>;
  /** Longest stderr line kept, in characters. @default 4096 */
  maxStderrLine?: number;
}

/** Starts a child from `command` and links to it over stdio. */
export function spawnStdioLink(
  command: ChildCommand,
  handlers: SpawnHandlers,
  options: StdioLinkOptions = {},
): StdioLink {
  const child = new Deno.Command(command.program, {
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
  return new StdioLink(child, handlers, options);
}

/** A child process and its frame channel. */
export class StdioLink implements ChildLink {
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #writer = new MessagePackWriter();
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  readonly exited: Promise<ChildExit>;

  constructor(child: Deno.ChildProcess, handlers: SpawnHandlers, options: StdioLinkOptions) {
    this.#child = child;
    const stdin = child.stdin.getWriter();
    this.#stdin = stdin;
    // A dead child rejects pending writes; that is reported through `exited`.
    stdin.closed.catch(() => {});
    const stdout = this.#readFrames(handlers, options.limits ?? DEFAULT_FRAME_LIMITS);
    const stderr = this.#readStderr(handlers, options.maxStderrLine ?? 4096);
    this.exited = (async () => {
      const status = await child.status;
      this.#closed = true;
      await Promise.allSettled([stdout, stderr]);
      await stdin.close().catch(() => {});
      return { code: status.signal ? null : status.code, signal: status.signal };
    })();
  }

  get pid(): number {
    return this.#child.pid;
  }

  async #readFrames(handlers: SpawnHandlers, limits: Readonly<FrameLimits>): Promise<void> {
    // Handlers consume each message synchronously (results are merged on arrival), so
    // one buffer serves every frame.
    const reader = new FrameReader(limits, { reuse: true });
    const stream = this.#child.stdout.getReader();
    try {
      while (true) {
        const { value, done } = await stream.read();
        if (done) return;
        const frames = reader.frames(value);
        while (true) {
          let next: IteratorResult<unknown>;
          try {
            next = frames.next();
          } catch (error) {
            handlers.protocolError(
              error instanceof ProtocolError
                ? error
                : new ProtocolError(String(error), { cause: error }),
            );
            await stream.cancel().catch(() => {});
            return;
          }
          if (next.done) break;
          // A handler's own bug must not pass for the child's protocol error.
          try {
            handlers.message(next.value);
          } catch (error) {
            console.error("A frame handler threw:", error);
          }
        }
      }
    } catch {
      // The pipe broke because the child died: its exit is reported through `exited`.
    } finally {
      stream.releaseLock();
    }
  }

  async #readStderr(handlers: SpawnHandlers, maxLine: number): Promise<void> {
    const decoder = new TextDecoder();
    let partial = "";
    try {
      for await (const chunk of this.#child.stderr) {
        partial += decoder.decode(chunk, { stream: true });
        const lines = partial.split("\n");
        partial = lines.pop()!.slice(0, maxLine);
        for (const line of lines) if (line.trim() !== "") handlers.stderr(line.slice(0, maxLine));
      }
    } catch {
      // As above: a dead child's stderr may end abruptly.
    }
    if (partial.trim() !== "") handlers.stderr(partial);
  }

  send(message: RuntimeMessage): Promise<void> {
    // Frames are encoded when their turn comes, so the one reusable buffer is never shared.
    const next = this.#queue.then(async () => {
      if (this.#closed) throw new Error("Cannot send to a child that has exited");
      await this.#stdin.write(writeRuntimeFrame(this.#writer, message));
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  kill(signal: Deno.Signal = "SIGKILL"): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Already exited.
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.kill();
    await this.exited;
  }
}

/**
 * Children linked over a unix socket on their fds 0 and 1, started by the
 * FFI launcher ({@linkcode launchOverSocket}): the same frames as stdio,
 * for about a third of the cost per round trip, because a child reads a
 * socket with plain synchronous reads and the runtime's reads skip the
 * stream machinery of pipes. Stderr arrives on a second socket, as lines;
 * the exit status comes from `waitpid`.
 *
 * @module
 */
import type { ChildCommand } from "../../sandbox/command/mod.ts";
import type { ByteTransport } from "./byte_transport.ts";
import { signalChild, watchExit } from "./exit_watcher.ts";
import { openLibc } from "./libc_ffi.ts";
import type { ChildProcessHandle, SpawnedChild, SpawnHandlers } from "./link.ts";
import { signalNumber } from "./signal_numbers.ts";
import { launchOverSocket } from "./socket_launcher.ts";
import type { SpawnOptions } from "./spawn_options.ts";
import { attachChildStreams } from "./child_streams.ts";

/** Bytes per read from the link socket: a few socket buffers' worth. */
const READ_BUFFER_BYTES = 256 * 1024;

/**
 * Starts a child from `command` and links to it over a unix socket.
 * Throws where FFI or the launch fails; `chooseChannel` finds
 * out beforehand whether it works on this machine.
 */
export function spawnSocketChild(
  command: ChildCommand,
  handlers: SpawnHandlers,
  options: SpawnOptions = {},
): SpawnedChild {
  const libc = openLibc();
  const launch = launchOverSocket(libc, command);
  const watch = watchExit(libc, launch.pid);
  const { link, stderr, exited } = attachChildStreams(
    socketTransport(launch.link),
    readUntilEnd(launch.stderr),
    watch.exit,
    handlers,
    options,
  );
  // A child's streams usually end as it exits: look for its status at once.
  void link.closed.then(() => watch.hurry());
  void stderr.then(() => watch.hurry());
  const process: ChildProcessHandle = {
    pid: launch.pid,
    kill(signal: Deno.Signal = "SIGKILL") {
      signalChild(libc, watch, launch.pid, signalNumber(signal));
    },
    exited,
  };
  return { link, process };
}

/** A connected socket (once accepted) as a byte transport. */
function socketTransport(accepting: Promise<Deno.UnixConn>): ByteTransport {
  let conn: Deno.UnixConn | null = null;
  let closed = false;
  const ready = accepting.then((accepted) => {
    if (closed) {
      accepted.close();
      throw new Error("Cannot use a link closed before its child connected");
    }
    return conn = accepted;
  });
  ready.catch(() => {});
  return {
    async *chunks() {
      const socket = await ready;
      // One buffer for every read: a chunk is valid until the next is asked for.
      const buffer = new Uint8Array(READ_BUFFER_BYTES);
      while (true) {
        const n = await socket.read(buffer);
        if (n === null) return;
        yield buffer.subarray(0, n);
      }
    },
    async write(bytes) {
      const socket = await ready;
      // Socket writes may be partial.
      for (let at = 0; at < bytes.length;) at += await socket.write(bytes.subarray(at));
    },
    close() {
      closed = true;
      try {
        conn?.close();
      } catch {
        // Already closed.
      }
      return Promise.resolve();
    },
  };
}

/** Reads a socket to its end, then closes it. Each chunk is valid until the next. */
async function* readUntilEnd(accepting: Promise<Deno.UnixConn>): AsyncGenerator<Uint8Array> {
  const socket = await accepting;
  const buffer = new Uint8Array(16 * 1024);
  try {
    while (true) {
      const n = await socket.read(buffer);
      if (n === null) return;
      yield buffer.subarray(0, n);
    }
  } finally {
    socket.close();
  }
}

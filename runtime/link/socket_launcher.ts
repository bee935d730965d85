/**
 * The trusted launcher of a socket-linked child, inside the runtime: it
 * listens on a unix socket in a fresh 0700 folder, connects to it twice
 * through libc, and `posix_spawnp`s the child's exact program, arguments
 * and environment with the first socket on fds 0 and 1 and the second on
 * fd 2, in its own session (as `detached: true` gives a stdio child). The
 * child needs no permission for its channel: it reads fd 0 and writes fd 1.
 *
 * Each socket carries one tag byte, written before the spawn, so the
 * runtime tells its two accepted ends apart whatever the accept order. The
 * socket file is removed before the spawn: both connections are already
 * queued, and nobody else can reach the listener from then on.
 *
 * A program may notice that its stdin is a socket: bash then takes itself
 * for a shell run by sshd and sources ~/.bashrc even under `-c` (whose
 * output would land on the link). A bash in the command needs `--norc`.
 *
 * @module
 */
import type { ChildCommand } from "../../sandbox/command/mod.ts";
import {
  cString,
  cStringArray,
  describeErrno,
  lastErrno,
  LIBC,
  type Libc,
  unixAddress,
} from "./libc_ffi.ts";

/** What the launcher started: the child's pid and the runtime's ends of its sockets. */
export interface SocketLaunch {
  readonly pid: number;
  /** The socket on the child's fds 0 and 1. */
  readonly link: Promise<Deno.UnixConn>;
  /** The socket on the child's fd 2. */
  readonly stderr: Promise<Deno.UnixConn>;
}

const TAG_LINK = 0x4c; // "L"
const TAG_STDERR = 0x45; // "E"

/**
 * Starts `command` with its stdio on unix sockets, synchronously. Throws
 * when a libc call fails (the program missing, say), naming the call.
 */
export function launchOverSocket(libc: Libc, command: ChildCommand): SocketLaunch {
  const dir = Deno.makeTempDirSync({ prefix: "syncra-link-" });
  const path = `${dir}/s`;
  const fds: number[] = [];
  let listener: Deno.UnixListener | null = null;
  try {
    listener = Deno.listen({ transport: "unix", path });
    fds.push(connectTagged(libc, path, TAG_LINK));
    fds.push(connectTagged(libc, path, TAG_STDERR));
    removeFolder(dir);
    const pid = spawnWithSockets(libc, command, fds[0]!, fds[1]!);
    const accepted = acceptTagged(listener);
    listener = null;
    return { pid, link: accepted.then((a) => a.link), stderr: accepted.then((a) => a.stderr) };
  } finally {
    listener?.close();
    // The child has its own copies now (or none, if it did not start).
    for (const fd of fds) libc.close(fd);
    removeFolder(dir);
  }
}

function connectTagged(libc: Libc, path: string, tag: number): number {
  const fd = libc.socket(LIBC.AF_UNIX, LIBC.SOCK_STREAM | LIBC.SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw new Error(`Cannot create a unix socket: socket() failed with ${lastErrno(libc)}`);
  }
  try {
    // fds 0-2 would be overwritten by the dup2s that follow them.
    if (fd < 3) {
      throw new Error(`Cannot launch over a socket: the runtime's own fd ${fd} is closed`);
    }
    const address = unixAddress(path);
    if (libc.connect(fd, address, address.length) !== 0) {
      throw new Error(`Cannot connect to "${path}": connect() failed with ${lastErrno(libc)}`);
    }
    if (Number(libc.write(fd, new Uint8Array([tag]), 1n)) !== 1) {
      throw new Error(
        `Cannot write to a fresh unix socket: write() failed with ${lastErrno(libc)}`,
      );
    }
    return fd;
  } catch (error) {
    libc.close(fd);
    throw error;
  }
}

/** The launch's strings, held across the call so that nothing frees them under libc. */
const inFlight: unknown[] = [];

function spawnWithSockets(
  libc: Libc,
  command: ChildCommand,
  linkFd: number,
  errFd: number,
): number {
  const check = (result: number, call: string) => {
    if (result !== 0) {
      throw new Error(
        `Cannot launch "${command.program}": ${call} failed with ${describeErrno(libc, result)}`,
      );
    }
  };
  const actions = new Uint8Array(LIBC.FILE_ACTIONS_BYTES);
  check(libc.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
  const attr = new Uint8Array(LIBC.SPAWNATTR_BYTES);
  try {
    check(
      libc.posix_spawn_file_actions_adddup2(actions, linkFd, 0),
      "posix_spawn_file_actions_adddup2",
    );
    check(
      libc.posix_spawn_file_actions_adddup2(actions, linkFd, 1),
      "posix_spawn_file_actions_adddup2",
    );
    check(
      libc.posix_spawn_file_actions_adddup2(actions, errFd, 2),
      "posix_spawn_file_actions_adddup2",
    );
    check(libc.posix_spawnattr_init(attr), "posix_spawnattr_init");
    try {
      // As Deno.Command leaves it: no signal blocked, none ignored (the runtime ignores SIGPIPE).
      const none = new Uint8Array(LIBC.SIGSET_BYTES);
      const all = new Uint8Array(LIBC.SIGSET_BYTES);
      libc.sigemptyset(none);
      libc.sigfillset(all);
      check(libc.posix_spawnattr_setsigmask(attr, none), "posix_spawnattr_setsigmask");
      check(libc.posix_spawnattr_setsigdefault(attr, all), "posix_spawnattr_setsigdefault");
      const flags = LIBC.POSIX_SPAWN_SETSID | LIBC.POSIX_SPAWN_SETSIGMASK |
        LIBC.POSIX_SPAWN_SETSIGDEF;
      check(libc.posix_spawnattr_setflags(attr, flags), "posix_spawnattr_setflags");
      const file = cString(command.program);
      const argv = cStringArray([command.program, ...command.args]);
      const envp = cStringArray(Object.entries(command.env).map(([k, v]) => `${k}=${v}`));
      const pid = new Int32Array(1);
      inFlight.push(file, argv, envp);
      try {
        check(libc.posix_spawnp(pid, file, actions, attr, argv.array, envp.array), "posix_spawnp");
      } finally {
        inFlight.length = 0;
      }
      return pid[0]!;
    } finally {
      libc.posix_spawnattr_destroy(attr);
    }
  } finally {
    libc.posix_spawn_file_actions_destroy(actions);
  }
}

/** Accepts the launcher's two connections and tells them apart by their tags. */
async function acceptTagged(
  listener: Deno.UnixListener,
): Promise<{ link: Deno.UnixConn; stderr: Deno.UnixConn }> {
  const byTag = new Map<number, Deno.UnixConn>();
  try {
    while (byTag.size < 2) {
      const conn = await listener.accept();
      const tag = new Uint8Array(1);
      const n = await conn.read(tag).catch(() => null);
      if (n !== 1 || (tag[0] !== TAG_LINK && tag[0] !== TAG_STDERR) || byTag.has(tag[0]!)) {
        conn.close();
        throw new Error("Cannot link to the child: an unexpected connection reached the launcher");
      }
      byTag.set(tag[0]!, conn);
    }
    return { link: byTag.get(TAG_LINK)!, stderr: byTag.get(TAG_STDERR)! };
  } catch (error) {
    for (const conn of byTag.values()) conn.close();
    throw error;
  } finally {
    listener.close();
  }
}

function removeFolder(dir: string): void {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch {
    // Already removed.
  }
}

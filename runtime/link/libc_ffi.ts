/**
 * The few libc calls the socket launcher needs, through `Deno.dlopen`:
 * unix sockets, `posix_spawnp` with file actions and attributes,
 * `waitpid` and `kill`. Linux and glibc only (the flag values and struct
 * sizes below are glibc's on x86_64 and aarch64); anywhere else
 * {@linkcode openLibc} fails and the runtime falls back to stdio.
 *
 * @module
 */

/** glibc's values, checked with a C program against <spawn.h>, <sys/socket.h>, <sys/wait.h>. */
export const LIBC = Object.freeze({
  AF_UNIX: 1,
  SOCK_STREAM: 1,
  /** The runtime's copies must not leak into other children spawned meanwhile. */
  SOCK_CLOEXEC: 0x80000,
  POSIX_SPAWN_SETSIGDEF: 0x04,
  POSIX_SPAWN_SETSIGMASK: 0x08,
  POSIX_SPAWN_SETSID: 0x80,
  WNOHANG: 1,
  /** sizeof(struct sockaddr_un); sun_path starts at offset 2. */
  SOCKADDR_UN_BYTES: 110,
  /** sizeof(posix_spawn_file_actions_t) is 80 and sizeof(posix_spawnattr_t) 336 on glibc; room to spare. */
  FILE_ACTIONS_BYTES: 256,
  SPAWNATTR_BYTES: 512,
  /** sizeof(sigset_t) is 128 on glibc. */
  SIGSET_BYTES: 256,
});

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  kill: { parameters: ["i32", "i32"], result: "i32" },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
  sigemptyset: { parameters: ["buffer"], result: "i32" },
  sigfillset: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_adddup2: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  posix_spawn_file_actions_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawnattr_init: { parameters: ["buffer"], result: "i32" },
  posix_spawnattr_setflags: { parameters: ["buffer", "i16"], result: "i32" },
  posix_spawnattr_setsigmask: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawnattr_setsigdefault: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawnattr_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawnp: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
} as const;

/** The opened libc symbols. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let opened: { libc: Libc } | { error: Error } | null = null;

/**
 * Opens libc once per process (it stays open: the launcher may be used at
 * any time). Throws, with the reason, where FFI is not allowed or libc is
 * not glibc on Linux.
 */
export function openLibc(): Libc {
  opened ??= tryOpen();
  if ("error" in opened) throw opened.error;
  return opened.libc;
}

function tryOpen(): { libc: Libc } | { error: Error } {
  if (Deno.build.os !== "linux") {
    return { error: new Error(`No socket launcher on ${Deno.build.os}: it needs Linux`) };
  }
  // Asking first: Deno.dlopen would prompt for the permission on a terminal.
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    return { error: new Error("FFI is not allowed: run the runtime with --allow-ffi") };
  }
  try {
    return { libc: Deno.dlopen("libc.so.6", SYMBOLS).symbols };
  } catch (error) {
    return {
      error: new Error(`Cannot open libc.so.6: ${(error as Error).message}`, { cause: error }),
    };
  }
}

/** The current errno, described, e.g. "ENOENT (No such file or directory)". */
export function lastErrno(libc: Libc): string {
  const where = libc.__errno_location();
  const errno = where === null ? 0 : new Deno.UnsafePointerView(where).getInt32();
  return describeErrno(libc, errno);
}

/** An error number (as posix_spawn returns it), described. */
export function describeErrno(libc: Libc, errno: number): string {
  const text = libc.strerror(errno);
  return `errno ${errno} (${text === null ? "?" : Deno.UnsafePointerView.getCString(text)})`;
}

/** A NUL-terminated copy of `text`, for a `const char *` parameter. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(text);
  if (bytes.includes(0)) {
    throw new TypeError(`Cannot pass a string with a NUL byte to libc: ${JSON.stringify(text)}`);
  }
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/**
 * A NULL-terminated `char *[]` of `items`, the strings packed into one
 * buffer (large enough to live outside V8's heap, where it cannot move).
 * The buffer must outlive the call, so it is returned with the array.
 */
export function cStringArray(items: readonly string[]): {
  array: BigUint64Array<ArrayBuffer>;
  strings: Uint8Array<ArrayBuffer>;
} {
  const encoded = items.map(cString);
  const total = encoded.reduce((sum, s) => sum + s.length, 0);
  const strings = new Uint8Array(Math.max(total, 256));
  const base = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(strings)));
  const array = new BigUint64Array(encoded.length + 1);
  let at = 0;
  encoded.forEach((s, i) => {
    strings.set(s, at);
    array[i] = base + BigInt(at);
    at += s.length;
  });
  return { array, strings };
}

/** A `struct sockaddr_un` for `path`. */
export function unixAddress(path: string): Uint8Array<ArrayBuffer> {
  const bytes = cString(path);
  // sun_path is 108 bytes, the NUL included.
  if (bytes.length > LIBC.SOCKADDR_UN_BYTES - 2) {
    throw new RangeError(`Socket path is too long for a unix address: ${JSON.stringify(path)}`);
  }
  const address = new Uint8Array(LIBC.SOCKADDR_UN_BYTES);
  new DataView(address.buffer).setUint16(0, LIBC.AF_UNIX, true);
  address.set(bytes, 2);
  return address;
}

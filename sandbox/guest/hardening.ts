/**
 * Hardening of a child's process before any user code exists: capture what
 * the host needs (fds 0, 1 and 2, `Deno.exit`, Deno's internal `Console`)
 * and hide from the script what it must not reach — the raw streams, Deno's
 * internals, Workers, Node's globals, web storage, WebGPU and listening.
 *
 * Importing this module does nothing: the entry (`child_host.ts`) calls
 * {@linkcode hardenProcess} at its top level, which the bundle evaluates
 * before the script's own module (imported lazily by the host). It is not a
 * security boundary (the runtime validates every frame as hostile); it makes
 * casual misuse of the channel impossible.
 *
 * @module
 */

/** Deno's internal Console: `new Console(print)` formats as `console` does, printing through `print`. */
export type DenoConsoleClass = new (print: (message: string, level: number) => void) => Console;

/** fd 0 as the host reads it. */
export interface ChannelInput {
  /** Blocks until some bytes are there; null at end of input. */
  readSync(buffer: Uint8Array): number | null;
  /** Resolves when some bytes are there; null at end of input. */
  read(buffer: Uint8Array): Promise<number | null>;
}

/** fd 1 (or 2) as the host writes it. */
export interface ChannelOutput {
  /** Writes some of `bytes` (maybe not all: a pipe or socket may take part); returns how many. */
  writeSync(bytes: Uint8Array): number;
}

/** What the host keeps for itself before the script can run. */
export interface CapturedProcess {
  /** fd 0: frames from the runtime. */
  stdin: ChannelInput;
  /** fd 1: frames to the runtime. */
  stdout: ChannelOutput;
  /** fd 2: the host's own last words when the channel breaks. */
  stderr: ChannelOutput;
  exit: (code?: number) => never;
  inspect: (value: unknown) => string;
  /** The `--storage=<dir>` argument, if the runtime gave one. */
  storage: string | null;
  /** Deno's Console class, to route `console.*` through (undefined if Deno moved it). */
  Console: DenoConsoleClass | undefined;
}

/**
 * Globals hidden from every script. Workers from data: URLs need no permission
 * and escape per-script budgets. Deno 2's Node globals are worse:
 * process.getBuiltinModule() hands out node:vm (code from strings despite
 * --disallow-code-generation-from-strings), node:worker_threads and node:fs
 * (raw writes to fd 1), and process.stdout is the frame channel. Web storage
 * and the Cache API need no permission and would keep state (and fill a disk)
 * outside the world; `new Storage()` is one more sessionStorage.
 */
export const HIDDEN_GLOBALS: readonly string[] = [
  "Worker",
  "process",
  "Buffer",
  "global",
  "setImmediate",
  "clearImmediate",
  "localStorage",
  "sessionStorage",
  "Storage",
  "caches",
];

/**
 * A net grant is for connecting: Deno's --allow-net=host:port would also let
 * the script listen on that address and take over a service's port.
 */
export const HIDDEN_DENO_MEMBERS: readonly string[] = [
  "listen",
  "listenTls",
  "listenDatagram",
  "serve",
];

/**
 * Captures the channel and hides everything above from this process, for
 * good (the properties end non-configurable). Call once, before user code;
 * throws if something cannot be hidden, so a Deno that moved a global fails
 * closed instead of leaving it.
 */
export function hardenProcess(): CapturedProcess {
  const captured = {
    stdin: Deno.stdin,
    stdout: Deno.stdout,
    stderr: Deno.stderr,
    exit: Deno.exit,
    inspect: Deno.inspect,
  };
  const storageArg = Deno.args.find((a) => a.startsWith("--storage="));
  const storage = storageArg ? storageArg.slice("--storage=".length) : null;
  const gpuApproved = Deno.args.includes("--gpu");
  // A driver approved to serve keeps the listening calls (its --allow-net names the address).
  const serveApproved = Deno.args.includes("--serve");
  for (const key of ["stdin", "stdout", "stderr"] as const) {
    Object.defineProperty(Deno, key, { value: undefined, writable: false, configurable: false });
  }
  const internal = (Deno as unknown as { internal?: symbol }).internal;
  // Deno's Console class, whose instances format as `console` does but print through a
  // function of ours: the only way to route every console method (console_route.ts).
  const Console = internal
    ? (Deno as unknown as Record<symbol, { Console?: DenoConsoleClass } | undefined>)[internal]
      ?.Console
    : undefined;
  if (internal) delete (Deno as unknown as Record<symbol, unknown>)[internal];
  for (const name of HIDDEN_GLOBALS) {
    Reflect.deleteProperty(globalThis, name);
    if (name in globalThis) throw new Error(`The host cannot hide the global "${name}"`);
  }
  if (!gpuApproved) hideWebGpu();
  for (const name of HIDDEN_DENO_MEMBERS) {
    if (serveApproved && name !== "listenDatagram") continue;
    Reflect.deleteProperty(Deno, name);
    if (name in Deno) throw new Error(`The host cannot hide Deno.${name}`);
  }
  return { ...captured, storage, Console };
}

/**
 * WebGPU needs no permission: navigator.gpu hands any script a real adapter
 * (the GPU's memory and time outside every budget, a driver stack as attack
 * surface). DESIGN §4: hidden from every child not approved for gpu; the
 * runtime passes --gpu to one that is (none is today).
 * GPU.prototype.requestAdapter checks its receiver's brand, so with the getter
 * gone no GPU object is left to call it on; the GPU* classes go too.
 */
function hideWebGpu(): void {
  Reflect.deleteProperty(Navigator.prototype, "gpu");
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    if (/^GPU/.test(name)) Reflect.deleteProperty(globalThis, name);
  }
  const left = Object.getOwnPropertyNames(globalThis).filter((n) => /^GPU/.test(n));
  if ("gpu" in navigator || left.length > 0) {
    throw new Error(`The host cannot hide WebGPU: ${["navigator.gpu", ...left].join(", ")}`);
  }
}

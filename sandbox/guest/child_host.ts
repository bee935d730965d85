/**
 * The in-child host: the trusted-by-nobody code that runs inside a script's
 * process before the script itself. Importing this module captures stdin and
 * stdout for the frame channel, routes `console.*` to log frames and hides
 * the raw streams and internals from user code. `runChildHost` then loads the
 * script, says hello with its manifest and serves ticks until shutdown.
 *
 * Nothing here is a security boundary: the runtime validates every frame as
 * if the child were hostile. This module only makes honest scripts pleasant
 * (clear errors with line numbers) and casual misuse of stdio impossible.
 *
 * @module
 */
import type { ComponentType, FieldInfo } from "../../std/mod.ts";
import { fieldArray, flattenFieldValue } from "../../std/internal.ts";
import type { SystemContext, SystemDefinition } from "../../std/mod.ts";
import { FrameReader } from "../../runtime/protocol/mod.ts";
import { MessagePackWriter } from "../../runtime/protocol/mod.ts";
import { readTickFrame } from "../../runtime/protocol/mod.ts";
import {
  type ChildMessage,
  PROTOCOL_VERSION,
  type TickMessage,
  type WireColumns,
  type WireCommand,
  type WireError,
  type WireManifest,
} from "../../runtime/protocol/mod.ts";
import { GrantViolationError } from "../../runtime/protocol/mod.ts";

// ---- Capture the channel before any user code exists. ----
const stdin = Deno.stdin;
const stdout = Deno.stdout;
const inspect = Deno.inspect;
const storageArg = Deno.args.find((a) => a.startsWith("--storage="));
const storage = storageArg ? storageArg.slice("--storage=".length) : null;
const exit = Deno.exit;
for (const key of ["stdin", "stdout", "stderr"] as const) {
  Object.defineProperty(Deno, key, { value: undefined, writable: false, configurable: false });
}
const internal = (Deno as unknown as { internal?: symbol }).internal;
// Deno's Console class, whose instances format as `console` does but print through a
// function of ours: the only way to route every console method (see routeConsole below).
const DenoConsole = internal
  ? (Deno as unknown as Record<symbol, { Console?: DenoConsoleClass } | undefined>)[internal]
    ?.Console
  : undefined;
if (internal) delete (Deno as unknown as Record<symbol, unknown>)[internal];
// Workers from data: URLs need no permission and escape per-script budgets. Deno 2's
// Node globals are worse: process.getBuiltinModule() hands out node:vm (code from
// strings despite --disallow-code-generation-from-strings), node:worker_threads and
// node:fs (raw writes to fd 1), and process.stdout is the frame channel.
// Web storage and the Cache API need no permission and would keep state (and fill
// a disk) outside the world; `new Storage()` is one more sessionStorage.
const HIDDEN_GLOBALS = [
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
for (const name of HIDDEN_GLOBALS) {
  Reflect.deleteProperty(globalThis, name);
  if (name in globalThis) throw new Error(`The host cannot hide the global "${name}"`);
}
// WebGPU needs no permission: navigator.gpu hands any script a real adapter (the GPU's
// memory and time outside every budget, a driver stack as attack surface). DESIGN §4:
// hidden from every child not approved for gpu; the runtime passes --gpu to one that is
// (none is today). GPU.prototype.requestAdapter checks its receiver's brand, so with the
// getter gone no GPU object is left to call it on; the GPU* classes go too.
if (!Deno.args.includes("--gpu")) {
  Reflect.deleteProperty(Navigator.prototype, "gpu");
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    if (/^GPU/.test(name)) Reflect.deleteProperty(globalThis, name);
  }
  const left = Object.getOwnPropertyNames(globalThis).filter((n) => /^GPU/.test(n));
  if ("gpu" in navigator || left.length > 0) {
    throw new Error(`The host cannot hide WebGPU: ${["navigator.gpu", ...left].join(", ")}`);
  }
}
// A net grant is for connecting: Deno's --allow-net=host:port would also let the
// script listen on that address and take over a service's port.
for (const name of ["listen", "listenTls", "listenDatagram", "serve"]) {
  Reflect.deleteProperty(Deno, name);
  if (name in Deno) throw new Error(`The host cannot hide Deno.${name}`);
}

const writer = new MessagePackWriter();

function send(message: ChildMessage): void {
  const frame = writer.beginFrame().value(message).finishFrame();
  let written = 0;
  while (written < frame.length) written += stdout.writeSync(frame.subarray(written));
}

const MAX_LOG_CHARS = 8192;

/** Deno's internal Console: `new Console(print)` formats as `console` does, printing through `print`. */
type DenoConsoleClass = new (print: (message: string, level: number) => void) => Console;
type LogLevel = "debug" | "info" | "log" | "warn" | "error";
/** Deno's print levels: 0 debug, 1 log and info, 2 warn, 3 error, 4 trace. */
const PRINT_LEVELS: readonly LogLevel[] = ["debug", "log", "warn", "error", "error"];

/**
 * Routes every method of `console` to log frames. Deno's own console writes to
 * fd 1, the frame channel, so one method left alone (`table`, `group`, `dir`, or
 * one a later Deno adds) would be a protocol violation. The methods are taken
 * from a Console of Deno's that prints to a buffer, so formatting (`%s`, groups'
 * indentation, tables, counters, timers, traces) is Deno's; each call's output
 * is sent as one log frame per level once the call returns. The list is the
 * global console's own at run time; a method our Console lacks logs its
 * arguments (fail closed). Every property ends non-writable and non-configurable.
 */
function routeConsole(ConsoleClass: DenoConsoleClass | undefined): void {
  if (typeof ConsoleClass !== "function") {
    throw new Error("The host cannot route console: Deno's Console class is not where it was");
  }
  let printed: { level: LogLevel; text: string }[] = [];
  const routed = new ConsoleClass((message, level) => {
    const name = PRINT_LEVELS[level] ?? "error";
    const last = printed[printed.length - 1];
    if (last && last.level === name) last.text += message;
    else printed.push({ level: name, text: message });
  }) as unknown as Record<PropertyKey, unknown>;
  const flush = () => {
    const out = printed;
    printed = [];
    for (const { level, text } of out) {
      const line = text.endsWith("\n") ? text.slice(0, -1) : text;
      send({ t: "log", level, text: line.slice(0, MAX_LOG_CHARS) });
    }
  };
  const route = (method: (...args: unknown[]) => unknown) => (...args: unknown[]) => {
    try {
      return method(...args);
    } finally {
      flush();
    }
  };
  const log = routed.log as (...args: unknown[]) => void;
  const special: Record<PropertyKey, (...args: unknown[]) => unknown> = {
    // Deno clears with terminal escapes; the world's output is shared, so only the groups reset.
    clear: () => {
      (routed.clear as () => void)();
      printed = [];
    },
    // Deno's trace starts below routed.trace: the first frame would be this wrapper's.
    trace: (...args: unknown[]) => {
      try {
        (routed.trace as (...args: unknown[]) => void)(...args);
      } finally {
        for (const p of printed) p.text = p.text.replace(/\n\s+at console\.trace \([^\n]*/, "");
        flush();
      }
    },
    // V8's context() and createTask() report to an inspector only; these behave alike here.
    context: () => console,
    createTask: () => ({ run: (f: () => unknown) => f() }),
  };
  const installed = new Set<unknown>();
  const target = console as unknown as Record<PropertyKey, unknown>;
  for (const key of Reflect.ownKeys(console)) {
    const own = Object.getOwnPropertyDescriptor(console, key)!;
    if (typeof own.value !== "function" && !own.get && !own.set) {
      Object.defineProperty(console, key, { writable: false, configurable: false });
      continue;
    }
    const method = routed[key];
    const value = special[key] ??
      route(typeof method === "function" ? method as (...args: unknown[]) => unknown : log);
    installed.add(value);
    Object.defineProperty(console, key, {
      value,
      enumerable: own.enumerable ?? true,
      writable: false,
      configurable: false,
    });
  }
  for (const key of Reflect.ownKeys(console)) {
    const own = Object.getOwnPropertyDescriptor(console, key)!;
    if (own.get || own.set || (typeof own.value === "function" && !installed.has(target[key]))) {
      throw new Error(`The host cannot route console.${String(key)}`);
    }
  }
  Object.preventExtensions(console);
}
routeConsole(DenoConsole);

function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    return {
      name: error.name.slice(0, 128),
      message: error.message.slice(0, MAX_LOG_CHARS),
      stack: error.stack?.slice(0, MAX_LOG_CHARS) ?? null,
    };
  }
  return { name: "Error", message: inspect(error).slice(0, MAX_LOG_CHARS), stack: null };
}

function wireSchema(component: ComponentType): WireManifest["components"][string] {
  const out: WireManifest["components"][string] = {};
  for (const f of component.fields) out[f.name] = { type: f.type, default: [...f.default] };
  return out;
}

function isComponentType(value: unknown): value is ComponentType {
  return typeof value === "object" && value !== null &&
    typeof (value as ComponentType).name === "string" &&
    Array.isArray((value as ComponentType).fields);
}

function describeManifest(system: SystemDefinition): WireManifest {
  const list = (key: "reads" | "writes"): ComponentType[] => {
    const value = system[key] ?? [];
    if (!Array.isArray(value) || !value.every(isComponentType)) {
      throw new TypeError(
        `The system's "${key}" must be an array of components from defineComponent`,
      );
    }
    return value;
  };
  const reads = list("reads");
  const writes = list("writes");
  const components: WireManifest["components"] = {};
  const modules: WireManifest["modules"] = {};
  const seen = new Map<string, ComponentType>();
  for (const c of [...reads, ...writes]) {
    const other = seen.get(c.name);
    if (
      other && other !== c && JSON.stringify(wireSchema(other)) !== JSON.stringify(wireSchema(c))
    ) {
      throw new TypeError(
        `The system uses two different components named "${c.name}" (defined in ${
          other.module ?? "@syncra/std"
        } and in ${c.module ?? "@syncra/std"}): rename one`,
      );
    }
    seen.set(c.name, c);
    components[c.name] = wireSchema(c);
    modules[c.name] = typeof c.module === "string" ? c.module : null;
  }
  return {
    name: typeof system.name === "string" ? system.name : null,
    reads: reads.map((c) => c.name),
    writes: writes.map((c) => c.name),
    spawns: system.spawns === true,
    hasInit: typeof system.init === "function",
    hasRun: typeof system.run === "function",
    components,
    modules,
    net: Array.isArray(system.net) ? system.net.map(String) : [],
    storage: system.storage === true,
  };
}

/** Copies received bytes into a fresh aligned buffer. */
function alignedCopy(bytes: Uint8Array | undefined, byteLength: number): Uint8Array {
  const out = new Uint8Array(byteLength);
  if (bytes) out.set(bytes.subarray(0, byteLength));
  return out;
}

/** Compares two views of equal length, both starting on a 4-byte boundary. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const whole = a.length >> 2;
  const x = new Int32Array(a.buffer, a.byteOffset, whole);
  const y = new Int32Array(b.buffer, b.byteOffset, whole);
  for (let i = 0; i < whole; i++) if (x[i] !== y[i]) return false;
  for (let i = whole << 2; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Copies of written columns as shipped, to find what changed. The buffers
 * are kept from tick to tick: allocating them anew would leave megabytes of
 * ArrayBuffers per tick to the garbage collector.
 */
const originals = new Map<string, Uint8Array>();

function originalCopy(key: string, bytes: Uint8Array): Uint8Array {
  let buffer = originals.get(key);
  if (!buffer || buffer.length < bytes.length) {
    buffer = new Uint8Array(Math.max(bytes.length, (buffer?.length ?? 0) * 2));
    originals.set(key, buffer);
  }
  const copy = buffer.subarray(0, bytes.length);
  copy.set(bytes);
  return copy;
}

interface WrittenColumn {
  component: string;
  field: string;
  original: Uint8Array;
  working: Uint8Array;
}

class TickContext implements SystemContext {
  readonly dt: number;
  readonly tick: number;
  readonly count: number;
  readonly entities: Uint32Array;
  readonly storage = storage;
  readonly commands: WireCommand[] = [];
  readonly written: WrittenColumn[] = [];
  readonly #system: SystemDefinition;
  readonly #name: string;
  readonly #columns: WireColumns;
  readonly #views = new Map<string, Record<string, ArrayBufferView>>();
  readonly #reserve: Uint32Array;
  #reserved = 0;

  constructor(system: SystemDefinition, name: string, message: Omit<TickMessage, "t">) {
    this.#system = system;
    this.#name = name;
    this.dt = message.dt;
    this.tick = message.tick;
    this.count = message.count;
    this.#columns = message.columns;
    const ids = message.entities;
    this.entities = ids.byteOffset % 4 === 0 && ids.length === message.count * 4
      ? new Uint32Array(ids.buffer, ids.byteOffset, message.count)
      : new Uint32Array(alignedCopy(ids, message.count * 4).buffer);
    const reserve = message.reserve;
    this.#reserve = new Uint32Array(alignedCopy(reserve, reserve ? reserve.length & ~3 : 0).buffer);
  }

  #has(key: "reads" | "writes", component: ComponentType): boolean {
    return (this.#system[key] ?? []).some((c) => c.name === component.name);
  }

  #deny(action: string, component: string, why: string): never {
    throw new GrantViolationError(
      `Cannot ${action} component "${component}" from script "${this.#name}": ${why}`,
    );
  }

  #columnsOf(component: ComponentType, writable: boolean): Record<string, ArrayBufferView> {
    const cached = this.#views.get(component.name);
    if (cached) return cached;
    const shipped = this.#columns[component.name] ?? {};
    const views: Record<string, ArrayBufferView> = {};
    for (const f of component.fields) {
      const byteLength = this.count * f.width * f.bytes;
      let working = shipped[f.name];
      // Columns arrive aligned inside the frame buffer and are used in place; anything
      // else (a component that was not shipped) gets a zeroed buffer of its own.
      if (!working || working.length !== byteLength || working.byteOffset % 8 !== 0) {
        working = alignedCopy(working, byteLength);
      }
      views[f.name] = fieldArray(f.type, working);
      if (writable) {
        const original = originalCopy(`${component.name}.${f.name}`, working);
        this.written.push({ component: component.name, field: f.name, original, working });
      }
    }
    this.#views.set(component.name, views);
    return views;
  }

  read(component: ComponentType): never {
    if (!this.#has("reads", component) && !this.#has("writes", component)) {
      this.#deny("read", component.name, "it is not in the script's reads or writes");
    }
    return this.#columnsOf(component, this.#has("writes", component)) as never;
  }

  write(component: ComponentType): never {
    if (!this.#has("writes", component)) {
      this.#deny("write", component.name, "it is not in the script's writes");
    }
    return this.#columnsOf(component, true) as never;
  }

  log(...args: unknown[]): void {
    console.log(...args);
  }

  #requireSpawns(action: string): void {
    if (this.#system.spawns !== true) {
      throw new GrantViolationError(
        `Cannot ${action} from script "${this.#name}": its manifest does not declare spawns: true`,
      );
    }
  }

  #value(component: ComponentType | undefined, name: string, value: unknown) {
    if (!component) return this.#deny("attach", name, "it is not in the script's writes");
    const out: Record<string, number[]> = {};
    if (value === undefined) return out;
    if (typeof value !== "object" || value === null) {
      throw new TypeError(`Cannot attach component "${name}": the value must be an object`);
    }
    for (const [field, v] of Object.entries(value)) {
      const info: FieldInfo | undefined = component.fields.find((f) => f.name === field);
      if (!info) throw new TypeError(`Component "${name}" has no field "${field}"`);
      const flat = flattenFieldValue(info, v);
      if (typeof flat === "string") {
        throw new TypeError(`Invalid value for field "${name}.${field}": ${flat}`);
      }
      out[field] = flat;
    }
    return out;
  }

  #writable(name: string): ComponentType | undefined {
    return (this.#system.writes ?? []).find((c) => c.name === name);
  }

  spawn(components: Record<string, unknown>): number {
    this.#requireSpawns("spawn an entity");
    if (this.#reserved >= this.#reserve.length) {
      throw new RangeError(
        `Cannot spawn more than ${this.#reserve.length} entities in one tick from script "${this.#name}"`,
      );
    }
    const values: Record<string, Record<string, number[]>> = {};
    for (const [name, value] of Object.entries(components)) {
      values[name] = this.#value(this.#writable(name), name, value);
    }
    const id = this.#reserve[this.#reserved++]!;
    this.commands.push(["spawn", id, values]);
    return id;
  }

  despawn(entity: number): void {
    this.#requireSpawns("despawn an entity");
    this.commands.push(["despawn", entity >>> 0]);
  }

  add(entity: number, component: ComponentType, value?: Record<string, unknown>): void {
    this.#requireSpawns(`attach component "${component.name}"`);
    const values = this.#value(this.#writable(component.name), component.name, value);
    this.commands.push(["add", entity >>> 0, component.name, values]);
  }

  remove(entity: number, component: ComponentType): void {
    this.#requireSpawns(`remove component "${component.name}"`);
    if (!this.#writable(component.name)) {
      this.#deny("remove", component.name, "it is not in the script's writes");
    }
    this.commands.push(["remove", entity >>> 0, component.name]);
  }

  changedColumns(): WireColumns {
    const changed: WireColumns = {};
    for (const w of this.written) {
      if (sameBytes(w.original, w.working)) continue;
      (changed[w.component] ??= {})[w.field] = w.working;
    }
    return changed;
  }
}

/** Loads the script, says hello, then serves frames until shutdown or end of input. */
export async function runChildHost(
  load: () => Promise<Record<string, unknown>>,
  fileName: string,
): Promise<never> {
  let system: SystemDefinition;
  let name: string;
  try {
    const module = await load();
    const exported = module.default as SystemDefinition | undefined;
    if (!exported || exported.kind !== "syncra.system") {
      throw new TypeError(
        `Script "${fileName}" must export a system as its default: export default defineSystem({ ... })`,
      );
    }
    system = exported;
    const manifest = describeManifest(system);
    // Messages name the file, not the declared name: the runtime decides which name a
    // script runs under (runtime/system_names.ts), and a declared name may be someone else's.
    name = fileName.replace(/\.[^.]+$/, "");
    send({ t: "hello", v: PROTOCOL_VERSION, manifest });
  } catch (error) {
    send({ t: "fail", error: toWireError(error) });
    return exit(1);
  }

  const reader = new FrameReader({
    maxDepth: 16,
    maxStringBytes: 1 << 20,
    maxBinBytes: 1 << 30,
    maxItems: 1 << 24,
    maxValues: Number.MAX_SAFE_INTEGER,
    maxContainers: Number.MAX_SAFE_INTEGER,
    maxFrameBytes: 1 << 30,
  }, { reuse: true });
  // Plain reads into one buffer: cheaper per tick than a ReadableStream (the reader copies out).
  const chunk = new Uint8Array(256 * 1024);
  while (true) {
    const n = await stdin.read(chunk);
    if (n === null) break;
    // One message at a time: the reader reuses its buffer, and the columns are views into it.
    for (const raw of reader.frames(chunk.subarray(0, n))) {
      const message = raw as { t: string; reserve?: Uint8Array };
      if (message.t === "shutdown") return exit(0);
      const isInit = message.t === "init";
      const ctx = new TickContext(
        system,
        name,
        isInit
          ? {
            tick: 0,
            dt: 0,
            count: 0,
            entities: new Uint8Array(0),
            columns: {},
            reserve: message.reserve ?? new Uint8Array(0),
          }
          : readTickFrame(message),
      );
      let error: WireError | null = null;
      try {
        await (isInit ? system.init?.(ctx) : system.run?.(ctx));
      } catch (e) {
        error = toWireError(e);
      }
      send({
        t: "result",
        tick: ctx.tick,
        changed: error ? {} : ctx.changedColumns(),
        commands: error ? [] : ctx.commands,
        error,
      });
    }
  }
  return exit(0);
}

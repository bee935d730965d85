/**
 * The context a system's `init` and `run` get for one tick, built from the
 * tick frame, and the result frame built from it afterwards.
 *
 * Columns arrive 8-byte aligned inside the frame (runtime/protocol/tick_frame.ts)
 * and are handed to the script in place; anything else — a column that is
 * not aligned or not the expected length, a component that was not shipped —
 * gets a zeroed or copied buffer of its own, so no typed array is ever made
 * over unaligned bytes. Written columns are compared with a copy taken when
 * the script first asked for them, and only those that differ are sent.
 *
 * @module
 */
import type { ComponentType, FieldInfo, SystemContext, SystemDefinition } from "../../std/mod.ts";
import { fieldArray, flattenFieldValue } from "../../std/internal.ts";
import {
  GrantViolationError,
  readTickFrame,
  type ResultMessage,
  type TickMessage,
  type WireColumns,
  type WireCommand,
  type WireError,
} from "../../runtime/protocol/mod.ts";

/**
 * `byteLength` bytes of `bytes` (zero-filled past its end) in a fresh buffer
 * of their own, which any typed array can view.
 */
export function alignedCopy(
  bytes: Uint8Array | undefined,
  byteLength: number,
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(byteLength);
  if (bytes) out.set(bytes.subarray(0, byteLength));
  return out;
}

/** Compares two views of equal length, both starting on a 4-byte boundary. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const whole = a.length >> 2;
  const x = new Int32Array(a.buffer, a.byteOffset, whole);
  const y = new Int32Array(b.buffer, b.byteOffset, whole);
  for (let i = 0; i < whole; i++) if (x[i] !== y[i]) return false;
  for (let i = whole << 2; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Copies of written columns as shipped, to find what changed. The buffers
 * are kept from tick to tick (one set per child): allocating them anew would
 * leave megabytes of ArrayBuffers per tick to the garbage collector.
 */
export class ColumnOriginals {
  readonly #buffers = new Map<string, Uint8Array>();

  /** A copy of `bytes`, in the buffer kept for `key`; valid until the next copy for `key`. */
  copy(key: string, bytes: Uint8Array): Uint8Array {
    let buffer = this.#buffers.get(key);
    if (!buffer || buffer.length < bytes.length) {
      buffer = new Uint8Array(Math.max(bytes.length, (buffer?.length ?? 0) * 2));
      this.#buffers.set(key, buffer);
    }
    const copy = buffer.subarray(0, bytes.length);
    copy.set(bytes);
    return copy;
  }
}

/** What a tick context needs besides the system and the frame. */
export interface TickContextOptions {
  /** The storage folder of a script granted `storage`, else null. */
  storage: string | null;
  /** The child's kept copies of written columns. */
  originals: ColumnOriginals;
  /**
   * Also keep copies of read-only columns, so that {@linkcode TickContext.writesIntoReads}
   * can tell a script that wrote into them (checked on some ticks only: it costs a copy).
   */
  watchReads?: boolean;
}

interface WrittenColumn {
  component: string;
  field: string;
  original: Uint8Array;
  working: Uint8Array;
}

/**
 * The `ctx` a system's `init` and `run` get: the shipped rows as typed
 * arrays (in place in the frame where aligned), grant checks with clear
 * errors, and the structural commands it queues. `changedColumns()` then
 * says which written columns differ from what was shipped.
 */
export class TickContext implements SystemContext {
  readonly dt: number;
  readonly tick: number;
  readonly time: number;
  readonly count: number;
  readonly #random: () => number;
  readonly entities: Uint32Array;
  readonly storage: string | null;
  readonly commands: WireCommand[] = [];
  readonly written: WrittenColumn[] = [];
  /** Read-only columns and their copies, on ticks that watch them. */
  readonly #readOnly: WrittenColumn[] = [];
  readonly #watchReads: boolean;
  readonly #system: SystemDefinition;
  readonly #name: string;
  readonly #columns: WireColumns;
  readonly #views = new Map<string, Record<string, ArrayBufferView>>();
  readonly #reserve: Uint32Array;
  readonly #originals: ColumnOriginals;
  #reserved = 0;

  constructor(
    system: SystemDefinition,
    name: string,
    message: Omit<TickMessage, "t">,
    options: TickContextOptions,
  ) {
    this.#system = system;
    this.#name = name;
    this.storage = options.storage;
    this.#originals = options.originals;
    this.#watchReads = options.watchReads ?? false;
    this.dt = message.dt;
    this.tick = message.tick;
    this.time = message.tick * message.dt;
    this.#random = seeded(typeof message.seed === "number" ? message.seed : 0);
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
    const list = action === "read" ? "reads (or writes)" : "writes";
    throw new GrantViolationError(
      `Cannot ${action} component "${component}" from script "${this.#name}": ${why}; ` +
        `add it to the system's ${list}`,
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
        const original = this.#originals.copy(`${component.name}.${f.name}`, working);
        this.written.push({ component: component.name, field: f.name, original, working });
      } else if (this.#watchReads) {
        const original = this.#originals.copy(`read ${component.name}.${f.name}`, working);
        this.#readOnly.push({ component: component.name, field: f.name, original, working });
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
        `Cannot ${action} from script "${this.#name}": its manifest does not declare spawns: true; ` +
          `add spawns: true to the system`,
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

  /** The written columns whose bytes differ from what was shipped (views, not copies). */
  /** Read-only fields the script wrote into this tick (only on ticks that watch reads). */
  writesIntoReads(): string[] {
    return this.#readOnly.filter((r) => !sameBytes(r.original, r.working))
      .map((r) => `${r.component}.${r.field}`);
  }

  random(): number {
    return this.#random();
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

/** A small fast generator (mulberry32) of numbers in [0, 1) from a u32 seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The context for an `init` or `tick` message as decoded from a frame: the
 * tick's layout resolved into column views (readTickFrame), or tick 0 with
 * no rows and the spawn reserve for `init`. Throws a ProtocolError for a
 * malformed tick.
 */
export function createTickContext(
  system: SystemDefinition,
  name: string,
  message: { t: string; reserve?: unknown } & Record<string, unknown>,
  options: TickContextOptions,
): TickContext {
  const received = message.t === "init"
    ? {
      tick: 0,
      dt: 0,
      count: 0,
      entities: new Uint8Array(0),
      columns: {},
      reserve: message.reserve instanceof Uint8Array ? message.reserve : new Uint8Array(0),
      ...(typeof message.seed === "number" ? { seed: message.seed } : {}),
    }
    : readTickFrame(message);
  return new TickContext(system, name, received, options);
}

/** The `result` frame of a tick that ran on `ctx`: its changes, or only the error it threw. */
export function resultOf(ctx: TickContext, error: WireError | null): ResultMessage {
  return {
    t: "result",
    tick: ctx.tick,
    changed: error ? {} : ctx.changedColumns(),
    commands: error ? [] : ctx.commands,
    error,
  };
}

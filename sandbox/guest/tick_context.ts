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
import type {
  ComponentType,
  EventType,
  FieldInfo,
  FieldValue,
  Query,
  ResourceType,
  SystemContext,
  SystemDefinition,
} from "../../std/mod.ts";
import { flattenFieldValue } from "../../std/internal.ts";
import {
  type ChangedColumns,
  GrantViolationError,
  readTickFrame,
  type ResultMessage,
  type TickMessage,
  type WireCommand,
  type WireError,
  type WireValue,
} from "../../runtime/protocol/mod.ts";
import { alignedCopy, type ColumnOriginals, QueryView } from "./query_view.ts";
import { plainDefault, wireValues } from "./wire_values.ts";

export { alignedCopy, ColumnOriginals, sameBytes } from "./query_view.ts";

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

/**
 * The `ctx` a system's `init` and `run` get: its queries' rows (QueryView),
 * its resources as plain objects, the events it receives, grant checks with
 * clear errors, and the structural commands and events it queues.
 */
export class TickContext implements SystemContext {
  readonly dt: number;
  readonly tick: number;
  readonly time: number;
  readonly #random: () => number;
  readonly storage: string | null;
  readonly commands: WireCommand[] = [];
  readonly #emitted: [string, WireValue][] = [];
  readonly #system: SystemDefinition;
  readonly #name: string;
  readonly #queries = new Map<string, QueryView>();
  readonly #default: QueryView;
  readonly #resources: Record<string, WireValue>;
  /** The resources handed out, and their values as shipped. */
  readonly #handedOut = new Map<string, { value: Record<string, unknown>; shipped: string }>();
  readonly #events: Record<string, WireValue[]>;
  readonly #received = new Map<string, readonly Record<string, unknown>[]>();
  readonly #reserve: Uint32Array;
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
    this.dt = message.dt;
    this.tick = message.tick;
    this.time = message.tick * message.dt;
    this.#random = seeded(typeof message.seed === "number" ? message.seed : 0);
    const viewOptions = {
      script: name,
      originals: options.originals,
      watchReads: options.watchReads ?? false,
    };
    const declared: [string, Query][] = [
      ["default", { reads: system.reads ?? [], writes: system.writes ?? [] }],
      ...Object.entries(system.queries ?? {}),
    ];
    for (const [q, query] of declared) {
      this.#queries.set(q, new QueryView(q, query, message.queries[q] ?? null, viewOptions));
    }
    this.#default = this.#queries.get("default")!;
    this.#resources = message.resources ?? {};
    this.#events = message.events ?? {};
    const reserve = message.reserve;
    this.#reserve = new Uint32Array(alignedCopy(reserve, reserve ? reserve.length & ~3 : 0).buffer);
  }

  get count(): number {
    return this.#default.count;
  }

  get entities(): Uint32Array {
    return this.#default.entities;
  }

  read(component: ComponentType): never {
    return this.#default.read(component);
  }

  write(component: ComponentType): never {
    return this.#default.write(component);
  }

  query(name: string): QueryView {
    const view = this.#queries.get(name);
    if (!view) {
      const declared = [...this.#queries.keys()].filter((q) => q !== "default");
      throw new GrantViolationError(
        `Script "${this.#name}" has no query "${name}": ` +
          (declared.length > 0
            ? `its queries are ${declared.map((q) => `"${q}"`).join(", ")}`
            : `declare it in the system's queries`),
      );
    }
    return view;
  }

  #listed(list: readonly { name: string }[] | undefined, name: string): boolean {
    return (list ?? []).some((x) => x.name === name);
  }

  resource(resource: ResourceType): never {
    const handed = this.#handedOut.get(resource.name);
    if (handed) return handed.value as never;
    const r = this.#system.resources;
    if (!this.#listed(r?.reads, resource.name) && !this.#listed(r?.writes, resource.name)) {
      throw new GrantViolationError(
        `Cannot use resource "${resource.name}" from script "${this.#name}": it is not in the ` +
          `system's resources; add it to resources.reads (or resources.writes)`,
      );
    }
    const shipped = this.#resources[resource.name] ?? {};
    const value: Record<string, unknown> = {};
    for (const f of resource.fields) {
      const v = shipped[f.name];
      value[f.name] = v === undefined ? plainDefault(f) : Array.isArray(v) ? [...v] : v;
    }
    this.#handedOut.set(resource.name, { value, shipped: JSON.stringify(value) });
    return value as never;
  }

  emit(event: EventType, value: Record<string, unknown>): void {
    if (!this.#listed(this.#system.emits, event.name)) {
      throw new GrantViolationError(
        `Cannot emit event "${event.name}" from script "${this.#name}": it is not in the ` +
          `system's emits; add it to emits`,
      );
    }
    if (typeof value !== "object" || value === null) {
      throw new TypeError(`Cannot emit event "${event.name}": the value must be an object`);
    }
    this.#emitted.push([event.name, this.#value(event, event.name, value, "event")]);
  }

  events(event: EventType): never {
    if (!this.#listed(this.#system.receives, event.name)) {
      throw new GrantViolationError(
        `Cannot receive event "${event.name}" in script "${this.#name}": it is not in the ` +
          `system's receives; add it to receives`,
      );
    }
    let list = this.#received.get(event.name);
    if (!list) {
      // Plain objects with the fields the script declared (defaults where the emitter's lacked one).
      list = Object.freeze((this.#events[event.name] ?? []).map((raw) => {
        const value: Record<string, unknown> = {};
        for (const f of event.fields) {
          const v = raw[f.name];
          value[f.name] = v === undefined ? plainDefault(f) : Array.isArray(v) ? [...v] : v;
        }
        return Object.freeze(value);
      }));
      this.#received.set(event.name, list);
    }
    return list as never;
  }

  /** Changed fields of the written resources handed out, by resource. */
  changedResources(): Record<string, WireValue> | undefined {
    let out: Record<string, WireValue> | undefined;
    for (const r of this.#system.resources?.writes ?? []) {
      const handed = this.#handedOut.get(r.name);
      if (!handed || JSON.stringify(handed.value) === handed.shipped) continue;
      const before = JSON.parse(handed.shipped) as Record<string, unknown>;
      const changed: WireValue = {};
      for (const f of r.fields) {
        const now = handed.value[f.name];
        if (JSON.stringify(now) === JSON.stringify(before[f.name])) continue;
        const flat = flattenFieldValue(f, now);
        if (typeof flat === "string") {
          throw new TypeError(`Invalid value for resource field "${r.name}.${f.name}": ${flat}`);
        }
        changed[f.name] = f.width > 1
          ? flat as number[]
          : f.type === "bool"
          ? flat[0] === 1
          : flat[0]!;
      }
      (out ??= {})[r.name] = changed;
    }
    return out;
  }

  /** The events emitted, in emission order. */
  emitted(): [string, WireValue][] {
    return this.#emitted;
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

  #value(
    type: { readonly fields: readonly FieldInfo[] } | undefined,
    name: string,
    value: unknown,
    what: "component" | "event" = "component",
  ): Record<string, FieldValue> {
    if (!type) {
      throw new GrantViolationError(
        `Cannot attach component "${name}" from script "${this.#name}": it is not in the ` +
          `script's writes; add it to the system's writes`,
      );
    }
    return wireValues(type, name, value, what);
  }

  /** A component the system writes in any query: what it may attach. */
  #writable(name: string): ComponentType | undefined {
    const lists = [
      this.#system.writes ?? [],
      ...Object.values(this.#system.queries ?? {}).map((q) => q.writes ?? []),
    ];
    for (const list of lists) {
      const found = list.find((c) => c.name === name);
      if (found) return found;
    }
    return undefined;
  }

  spawn(components: Record<string, unknown>): number {
    this.#requireSpawns("spawn an entity");
    if (this.#reserved >= this.#reserve.length) {
      throw new RangeError(
        `Cannot spawn more than ${this.#reserve.length} entities in one tick from script "${this.#name}"`,
      );
    }
    const values: Record<string, Record<string, FieldValue>> = {};
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
      throw new GrantViolationError(
        `Cannot remove component "${component.name}" from script "${this.#name}": it is not in ` +
          `the script's writes; add it to the system's writes`,
      );
    }
    this.commands.push(["remove", entity >>> 0, component.name]);
  }

  /**
   * What the script wrote into although it only reads it: component fields
   * (on ticks that watch reads) and resources, each with the list to add it to.
   */
  writesIntoReads(): { what: string; fix: string }[] {
    const fields = new Set([...this.#queries.values()].flatMap((q) => q.writesIntoReads()));
    const out = [...fields].map((f) => ({
      what: f,
      fix: `${f.split(".")[0]} to the system's writes`,
    }));
    const written = new Set((this.#system.resources?.writes ?? []).map((r) => r.name));
    for (const [name, handed] of this.#handedOut) {
      if (written.has(name) || JSON.stringify(handed.value) === handed.shipped) continue;
      out.push({ what: `resource ${name}`, fix: `${name} to the system's resources.writes` });
    }
    return out;
  }

  random(): number {
    return this.#random();
  }

  /** Per query, the written columns that differ from what was shipped. */
  changedColumns(): Record<string, ChangedColumns> {
    const changed: Record<string, ChangedColumns> = {};
    for (const [name, view] of this.#queries) {
      const columns = view.changedColumns();
      if (Object.keys(columns).length > 0) changed[name] = columns;
    }
    return changed;
  }
}

/** A small fast generator (mulberry32) of numbers in [0, 1) from a u32 seed. */
export function seeded(seed: number): () => number {
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
      queries: {},
      reserve: message.reserve instanceof Uint8Array ? message.reserve : new Uint8Array(0),
      ...(typeof message.seed === "number" ? { seed: message.seed } : {}),
      ...(isRecord(message.resources)
        ? { resources: message.resources as Record<string, WireValue> }
        : {}),
    }
    : readTickFrame(message);
  return new TickContext(system, name, received, options);
}

/** The `result` frame of a tick that ran on `ctx`: its changes, or only the error it threw. */
export function resultOf(ctx: TickContext, error: WireError | null): ResultMessage {
  if (error) return { t: "result", tick: ctx.tick, changed: {}, commands: [], error };
  let resources: Record<string, WireValue> | undefined;
  let changed: Record<string, ChangedColumns>;
  try {
    resources = ctx.changedResources();
    changed = ctx.changedColumns();
  } catch (e) {
    // A resource or text left holding a value its field cannot take is the script's error.
    return resultOf(ctx, { name: "TypeError", message: (e as Error).message, stack: null });
  }
  const events = ctx.emitted();
  return {
    t: "result",
    tick: ctx.tick,
    changed,
    commands: ctx.commands,
    ...(resources ? { resources } : {}),
    ...(events.length > 0 ? { events } : {}),
    error: null,
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

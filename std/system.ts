/**
 * System definitions: the manifest a script exports as its default, and the
 * context its `run` and `init` hooks receive.
 *
 * @module
 */
import type { Columns, ComponentType, ComponentValue, Schema } from "./component.ts";
import type { EventType, PlainValue, ResourceType } from "./resource.ts";
import { RemoteChange, type RemoteChangeValue } from "./remote_change.ts";

/**
 * A query: which entities a system is shipped, and which of their columns.
 * It matches the entities that have every component in `reads`, `writes`
 * and `with` (except those also in `optional`) and none in `without`.
 */
export interface Query {
  /** Components whose columns are shipped read-only. */
  readonly reads?: readonly ComponentType[];
  /** Components whose columns are shipped and may be changed. */
  readonly writes?: readonly ComponentType[];
  /** Components a matched entity must have, without shipping their columns. */
  readonly with?: readonly ComponentType[];
  /** Components a matched entity must not have. */
  readonly without?: readonly ComponentType[];
  /**
   * Components shipped where present (`has(C)` says where); rows without
   * them hold defaults and writes to those rows are ignored.
   */
  readonly optional?: readonly ComponentType[];
  /**
   * Ship only rows whose value of one of these components (each in `reads`
   * or `writes`) changed since this system's last merged tick; new rows count
   * as changed.
   */
  readonly changed?: readonly ComponentType[];
}

/**
 * The rows one query matched this tick. Column arrays are views into the
 * frame the tick arrived in, valid until the system returns: keep values in
 * components, not arrays in variables.
 */
export interface QueryRows {
  /** Number of entities matched. */
  readonly count: number;
  /** Entity ids, one per row. */
  readonly entities: Uint32Array;
  /** Columns of a component the query reads, writes or has optional. Changes are never merged. */
  read<S extends Schema>(component: ComponentType<S>): Columns<S>;
  /** Columns of a component the query writes; changed columns travel back to the world. */
  write<S extends Schema>(component: ComponentType<S>): Columns<S>;
  /** Per row, 1 where the entity has `component` (all 1 unless it is `optional`). */
  has(component: ComponentType): Uint8Array;
  /** The row of `entity`, or -1 when the query did not match it. */
  indexOf(entity: number): number;
}

/**
 * What a system sees during one tick. `count`, `entities`, `read` and
 * `write` are those of the default query (top-level `reads` and `writes`);
 * `query(name)` gives the others. Column arrays are views into the frame the
 * tick arrived in, valid until the system returns.
 */
export interface SystemContext {
  /** Seconds this tick advances the world by (fixed: 1 / tick rate). */
  readonly dt: number;
  /** The tick number, starting at 1 (0 during `init`). */
  readonly tick: number;
  /** Seconds since the world began: `tick * dt`. */
  readonly time: number;
  /**
   * A number in [0, 1) from a generator seeded by the world's seed (`--seed`),
   * the system and the tick: the same world gives the same numbers every run.
   */
  random(): number;
  /** Absolute path of the system's private folder when `storage` was approved, else null. */
  readonly storage: string | null;
  /** Number of entities matching the default query. */
  readonly count: number;
  /** Entity ids of the default query, one per row. */
  readonly entities: Uint32Array;
  /** Columns of a component in top-level `reads` or `writes`. Changes to them are never merged. */
  read<S extends Schema>(component: ComponentType<S>): Columns<S>;
  /** Columns of a component in top-level `writes`; changed columns travel back to the world. */
  write<S extends Schema>(component: ComponentType<S>): Columns<S>;
  /** The rows of a query declared in `queries` (or `"default"`). */
  query(name: string): QueryRows;
  /**
   * A resource in `resources.reads` or `resources.writes`, as a plain object;
   * changes to a written resource travel back to the world.
   */
  resource<S extends Schema>(resource: ResourceType<S>): PlainValue<S>;
  /** Emits an event in `emits`; systems that receive it see it next tick. */
  emit<S extends Schema>(event: EventType<S>, value: Partial<PlainValue<S>>): void;
  /**
   * The events of a type in `receives` emitted in the previous tick, in
   * emitter file order, then emission order.
   */
  events<S extends Schema>(event: EventType<S>): readonly PlainValue<S>[];
  /** Logs a line to the world's console, prefixed with the system's name. */
  log(...args: unknown[]): void;
  /**
   * Queues a new entity with the given components (by name); returns its id,
   * valid from the next tick. Needs `spawns: true` and each component in `writes`.
   */
  spawn(components: { readonly [component: string]: ComponentValue }): number;
  /** Queues the removal of an entity. Needs `spawns: true`. */
  despawn(entity: number): void;
  /** Queues attaching (or setting) a component. Needs `spawns: true` and the component in `writes`. */
  add<S extends Schema>(
    entity: number,
    component: ComponentType<S>,
    value?: ComponentValue<S>,
  ): void;
  /** Queues detaching a component. Needs `spawns: true` and the component in `writes`. */
  remove(entity: number, component: ComponentType): void;
}

/** Capabilities beyond the ECS; each must be approved in the world's configuration. */
export interface SystemCapabilities {
  /** `host:port` pairs the system may connect to. */
  readonly net?: readonly string[];
  /** A private folder for the system, readable and writable. */
  readonly storage?: boolean;
}

/** The manifest of a system, as passed to {@linkcode defineSystem}. */
export interface SystemManifest extends SystemCapabilities {
  /** Defaults to the file name without extension. */
  readonly name?: string;
  /** The default query's components whose columns are shipped read-only. */
  readonly reads?: readonly ComponentType[];
  /** The default query's components this system may change (and attach, with `spawns`). */
  readonly writes?: readonly ComponentType[];
  /** More queries, by name; each one's writes may also be attached with `spawns`. */
  readonly queries?: { readonly [name: string]: Query };
  /** Resources the system reads, and those it may change. */
  readonly resources?: {
    readonly reads?: readonly ResourceType[];
    readonly writes?: readonly ResourceType[];
  };
  /** Events the system may emit. */
  readonly emits?: readonly EventType[];
  /** Events the system receives (those emitted in the previous tick). */
  readonly receives?: readonly EventType[];
  /** Whether the system may create and destroy entities and attach components. */
  readonly spawns?: boolean;
  /** Runs once per script per world: when the world is created, or when the script first appears in it. */
  init?(ctx: SystemContext): void | Promise<void>;
  /** Runs every tick. */
  run?(ctx: SystemContext): void | Promise<void>;
  /**
   * Runs each tick before `run`, once per value a driver set since the tick
   * before (a network client moving its avatar, a page's input): the change
   * is already in the world, and the hook may react with the tick's context.
   * Defining it receives {@linkcode RemoteChange} events.
   */
  onRemoteChange?(ctx: SystemContext, change: RemoteChangeValue): void | Promise<void>;
}

/** A system, as returned by {@linkcode defineSystem}. */
export interface SystemDefinition extends SystemManifest {
  /** Tells a system apart from other default exports. */
  readonly kind: "syncra.system";
}

/**
 * Defines a system. Export the result as the script's default export.
 *
 * @example A system that moves entities by their velocity
 * ```ts
 * import { defineSystem, Transform, Velocity } from "@syncra/std";
 * import assert from "node:assert/strict";
 *
 * const mover = defineSystem({
 *   reads: [Velocity],
 *   writes: [Transform],
 *   run(ctx) {
 *     const v = ctx.read(Velocity).linear;
 *     const p = ctx.write(Transform).position;
 *     for (let i = 0; i < ctx.count * 3; i++) p[i]! += v[i]! * ctx.dt;
 *   },
 * });
 * assert.equal(mover.kind, "syncra.system");
 * ```
 */
export function defineSystem(manifest: SystemManifest): SystemDefinition {
  if (typeof manifest !== "object" || manifest === null) {
    throw new TypeError("Cannot define system: the manifest must be an object");
  }
  if (manifest.onRemoteChange !== undefined && typeof manifest.onRemoteChange !== "function") {
    throw new TypeError("Cannot define system: onRemoteChange must be a function");
  }
  // The hook's events are received like any others: its manifest says so.
  const receives = manifest.onRemoteChange && !manifest.receives?.includes(RemoteChange)
    ? { receives: [...(manifest.receives ?? []), RemoteChange] }
    : {};
  return Object.freeze({ ...manifest, ...receives, kind: "syncra.system" as const });
}

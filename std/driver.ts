/**
 * Driver definitions (DESIGN §9): a driver connects the world to the
 * outside (a viewer, an input device, the network). It runs in its own
 * sandboxed process like a script, but long-lived and stateful: it receives
 * a change feed of the components it reads (a snapshot, then per tick what
 * changed) and sends writes that the world applies at the next tick boundary.
 *
 * @module
 */
import type { Columns, ComponentType, ComponentValue, Schema } from "./component.ts";

/** Capabilities a driver may ask for; each must be approved in the world's configuration. */
export interface DriverCapabilities {
  /** `host:port` addresses it may listen on (a loopback address unless the owner allows more). */
  readonly serve?: readonly string[];
  /** `host:port` pairs it may connect to. */
  readonly net?: readonly string[];
  /** Paths (relative to the world's root) it may read. */
  readonly read?: readonly string[];
  /** Paths (relative to the world's root) it may write. */
  readonly write?: readonly string[];
  /**
   * Absolute paths of native libraries it may load with `Deno.dlopen`
   * (`--allow-ffi` names exactly these). A loaded library runs with the
   * process's rights: approve only what you trust.
   */
  readonly ffi?: readonly string[];
  /** Whether it may use WebGPU (`navigator.gpu`), hidden from every other process. */
  readonly gpu?: boolean;
}

/** One component's rows in a change feed: the entities and all the component's columns. */
export interface ComponentRows<S extends Schema = Schema> {
  /** The entities, in the order of the columns' rows. */
  readonly entities: Uint32Array;
  /** Per field, its values for those entities (`width` scalars per row). */
  readonly columns: Columns<S>;
}

/**
 * What changed in the world, for the components a driver reads. The first
 * feed of a driver's process is a snapshot (`snapshot: true`: every entity
 * of every component it reads); each later one holds what changed since the
 * feed before, however many ticks that covered.
 */
export interface DriverChanges {
  /** The tick the world reached. */
  readonly tick: number;
  /** Whether this is the whole state rather than a change. */
  readonly snapshot: boolean;
  /** Entities gone since the last feed. */
  readonly despawned: Uint32Array;
  /** Components detached since the last feed, as [entity, component name]. */
  readonly removed: readonly (readonly [number, string])[];
  /**
   * Per component read: the rows that were added or changed (new entities
   * included), with all its fields.
   */
  rows<S extends Schema>(component: ComponentType<S>): ComponentRows<S>;
  /**
   * The components this feed holds rows of: the driver's `reads`, and with
   * `readsReplicated` every replicated component of the world as the world
   * defines it (their schemas came from the world, not the driver).
   */
  readonly components: readonly ComponentType[];
  /**
   * The world's state for an inspector — its scripts and drivers with their
   * state, restarts, violations and last error, tick times, recent log
   * lines — when the runtime sends it (to the built-in viewer, about once a
   * second); null in other feeds.
   */
  readonly status: Readonly<Record<string, unknown>> | null;
}

/** What a driver's `start` gets: the world's feed, and the ways to act on the world. */
export interface DriverContext {
  /** The driver's name. */
  readonly name: string;
  /** Its settings from the world's `syncra.json` (`"drivers": { name: { ... } }`). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Calls `handler` with each change feed, in order; the next waits until it settles. */
  onChanges(handler: (changes: DriverChanges) => void | Promise<void>): void;
  /**
   * Sets (or attaches) a component on an entity the driver spawned; applied
   * at the next tick boundary. Needs the component in `writes`.
   */
  set<S extends Schema>(
    entity: number,
    component: ComponentType<S>,
    value: ComponentValue<S>,
  ): void;
  /** Queues a new entity (needs `spawns: true`); returns its id, valid from the next tick. */
  spawn(components: { readonly [component: string]: ComponentValue }): number;
  /** Queues the removal of an entity the driver spawned (needs `spawns: true`). */
  despawn(entity: number): void;
  /** Logs a line to the world's console, prefixed with the driver's name. */
  log(...args: unknown[]): void;
  /**
   * Sends bytes on one of its `outputs`; the runtime routes them to the
   * drivers whose inputs are wired to it (by name and type, or as
   * `syncra.json` `"dataflow"` says), within a budget per tick.
   */
  send(port: string, bytes: Uint8Array): void;
  /** Receives what arrives on one of its `inputs`, with the sending driver's name. */
  onPort(port: string, handler: (bytes: Uint8Array, from: string) => void): void;
  /**
   * Sets fields of any component of any entity, with editor authority: the
   * world owner ran the world with `--editable` (an inspector's edit). Only
   * the viewer is given that authority; for every other driver, and without
   * `--editable`, the world refuses the edit as a violation. The runtime
   * checks the values against the component's schema.
   */
  edit(entity: number, component: string, value: Readonly<Record<string, unknown>>): void;
  /**
   * Says the driver cannot run on this machine (no GPU, no headset): it is
   * stopped, reported as unavailable with `reason`, and not restarted.
   */
  unavailable(reason: string): void;
}

/** The manifest of a driver, as passed to {@linkcode defineDriver}. */
export interface DriverManifest {
  /** Defaults to the file name without extension. */
  readonly name?: string;
  /** Components whose every entity's values it receives in its change feed. */
  readonly reads?: readonly ComponentType[];
  /**
   * Also receive every component the world replicates (DESIGN §11), whatever
   * scripts define them: a network driver's grants are exactly those, so
   * nothing private reaches it. `changes.components` lists them.
   */
  readonly readsReplicated?: boolean;
  /** Components it may set on its own entities (and attach, with `spawns`). */
  readonly writes?: readonly ComponentType[];
  /** Whether it may create and destroy its own entities. */
  readonly spawns?: boolean;
  /** Dataflow ports in: name → type (e.g. `{ audio: "pcm" }`). */
  readonly inputs?: { readonly [port: string]: string };
  /** Dataflow ports out: name → type. */
  readonly outputs?: { readonly [port: string]: string };
  /** What it needs beyond the ECS, approved in the world's configuration. */
  readonly capabilities?: DriverCapabilities;
  /** Runs once when the driver's process starts. */
  start(ctx: DriverContext): void | Promise<void>;
}

/** A driver, as returned by {@linkcode defineDriver}. */
export interface DriverDefinition extends DriverManifest {
  /** Tells a driver apart from a system. */
  readonly kind: "syncra.driver";
}

/**
 * Defines a driver. Export the result as the driver module's default export.
 *
 * @example A driver that counts the entities with a Transform
 * ```ts
 * import { defineDriver, Transform } from "@syncra/std";
 * import assert from "node:assert/strict";
 *
 * const counter = defineDriver({
 *   reads: [Transform],
 *   start(ctx) {
 *     const known = new Set<number>();
 *     ctx.onChanges((changes) => {
 *       for (const id of changes.rows(Transform).entities) known.add(id);
 *       for (const id of changes.despawned) known.delete(id);
 *     });
 *   },
 * });
 * assert.equal(counter.kind, "syncra.driver");
 * ```
 */
export function defineDriver(manifest: DriverManifest): DriverDefinition {
  if (typeof manifest !== "object" || manifest === null) {
    throw new TypeError("Cannot define driver: the manifest must be an object");
  }
  if (typeof manifest.start !== "function") {
    throw new TypeError("Cannot define driver: it needs a start(ctx) function");
  }
  return Object.freeze({ ...manifest, kind: "syncra.driver" as const });
}

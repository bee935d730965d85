/**
 * The changes of a world between two ticks (format `syncra.changes/1`):
 * what a snapshot plus a log of these brings back to the latest state, so
 * that a coordinator killed between snapshots loses only the changes not yet
 * logged. One entry holds the entities despawned since the last, every row
 * stamped since the last (whole: all its components, so that adds and
 * removes need no entries of their own), who owns and pays for those rows,
 * and the world's small parts whole (inits, seed, pending events, and the
 * resources when they changed). A change of the component registry is not
 * logged: it needs a new snapshot ({@linkcode ChangeLog.take} says so).
 *
 * Entries form a chain: each names the chain (one per snapshot) and the tick
 * it follows, so a replay stops at the first gap instead of applying a
 * change to the wrong state.
 *
 * @module
 */
import {
  changedSince,
  gatherColumn,
  gatherEntities,
  gatherText,
  wholeArchetypes,
} from "../ecs/mod.ts";
import { ResourceStore } from "../ecs/mod.ts";
import type { QueuedEvent, SavedResource, World } from "../ecs/mod.ts";
import { decodeMessagePack, isWireMap, MessagePackWriter } from "../protocol/mod.ts";
import { SAVED_STATE_LIMITS } from "./world_codec.ts";

const FORMAT = "syncra.changes/1";

/** One archetype's changed rows, as the world codec keeps a whole one. */
interface ChangedRows {
  components: string[];
  creator: string | null;
  /** u32 little-endian ids. */
  entities: Uint8Array;
  columns: Record<string, Record<string, Uint8Array | string[]>>;
}

/** One entry of the log, as encoded. */
export interface ChangesDocument {
  format: string;
  /** The snapshot chain it belongs to. */
  chain: number;
  /** The tick of the state it applies to. */
  prev: number;
  /** The tick it brings the world to. */
  tick: number;
  /** u32 little-endian ids despawned since `prev`. */
  despawned: Uint8Array;
  rows: ChangedRows[];
  /** Owners of the listed rows: ids by owner file. */
  owners: Record<string, Uint8Array>;
  /** `[entity, component key, payer]` of the listed rows' components paid for by another file. */
  foreign: [number, string, string][];
  inits: string[];
  seed: number;
  /** Every resource, present only when one changed since `prev`. */
  resources?: SavedResource[];
  events: QueuedEvent[];
}

const u8 = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const ids = (bytes: Uint8Array) => new Uint32Array(bytes.slice().buffer);
const encode = (value: unknown) =>
  new MessagePackWriter(1 << 16).beginFrame().value(value).finishFrame().slice(4);

/** Keeps track of what changed in one world since its last entry. */
export class ChangeLog {
  readonly world: World;
  /** The chain its entries belong to. */
  readonly chain: number;
  #tick: number;
  #since: number;
  readonly #registry: string;
  #resources: Uint8Array;

  /** Starts logging `world` as it is at `tick`, the state of the chain's snapshot. */
  constructor(world: World, tick: number, chain: number) {
    this.world = world;
    this.chain = chain;
    this.#tick = tick;
    world.despawnLog = [];
    this.#since = world.clock;
    world.advanceClock(); // what changes from now on is after it
    this.#registry = JSON.stringify(world.registry.save());
    this.#resources = encode(world.resources.save());
  }

  /** The tick of the last entry (or of the snapshot). */
  get tick(): number {
    return this.#tick;
  }

  /**
   * The entry bringing the state of the last one to `tick`, encoded at once
   * (it holds views of the world's tables until then); null
   * when the changes cannot be logged (the component registry changed: a
   * snapshot must start a new chain).
   */
  take(tick: number): Uint8Array | null {
    const world = this.world;
    if (JSON.stringify(world.registry.save()) !== this.#registry) return null;
    const document = this.#document(tick);
    this.#since = world.clock;
    world.advanceClock();
    world.despawnLog = [];
    this.#tick = tick;
    return encode(document);
  }

  #document(tick: number): ChangesDocument {
    const world = this.world;
    const rows: ChangedRows[] = [];
    const owners = new Map<string, number[]>();
    const foreign: [number, string, string][] = [];
    for (const archetype of world.archetypes()) {
      const whole = wholeArchetypes([archetype]);
      // Rows without components have no stamps: they are listed every time (there are few).
      const set = archetype.components.length === 0
        ? whole
        : changedSince(whole, archetype.components, this.#since);
      if (set.count === 0) continue;
      const entities = gatherEntities(set);
      const columns: ChangedRows["columns"] = {};
      for (const key of archetype.components) {
        const info = world.registry.get(key)!;
        columns[key] = Object.fromEntries(
          info.fields.map((f) => [
            f.name,
            f.type === "text" ? gatherText(set, key, f) : gatherColumn(set, key, f),
          ]),
        );
      }
      for (const id of ids(entities)) {
        const owner = world.owners.ownerOf(id);
        if (owner !== null) {
          let list = owners.get(owner);
          if (!list) owners.set(owner, list = []);
          list.push(id);
        }
        const others = world.owners.foreignOf(id);
        if (others) {
          for (const [key, payer] of others) if (payer !== owner) foreign.push([id, key, payer]);
        }
      }
      rows.push({
        components: [...archetype.components],
        creator: archetype.creator,
        entities,
        columns,
      });
    }
    const resources = encode(world.resources.save());
    const resourcesChanged = !sameBytes(resources, this.#resources);
    this.#resources = resources;
    return {
      format: FORMAT,
      chain: this.chain,
      prev: this.#tick,
      tick,
      despawned: u8(Uint32Array.from(world.despawnLog ?? [])),
      rows,
      owners: Object.fromEntries([...owners].map(([f, list]) => [f, u8(Uint32Array.from(list))])),
      foreign,
      inits: [...world.initsRun].sort(),
      seed: world.seed,
      ...(resourcesChanged ? { resources: world.resources.save() } : {}),
      events: world.events.pending(),
    };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An entry's bytes decoded and checked for shape; throws an Error saying what is wrong. */
export function decodeChanges(bytes: Uint8Array): ChangesDocument {
  const doc = decodeMessagePack(bytes, SAVED_STATE_LIMITS);
  if (!isWireMap(doc) || doc.format !== FORMAT) {
    throw new Error(`not a ${FORMAT} entry (format ${String(isWireMap(doc) ? doc.format : doc)})`);
  }
  const numbers = ["chain", "prev", "tick", "seed"] as const;
  for (const key of numbers) {
    if (typeof doc[key] !== "number") throw new Error(`its "${key}" is not a number`);
  }
  if (!(doc.despawned instanceof Uint8Array) || doc.despawned.length % 4 !== 0) {
    throw new Error(`its "despawned" is not a list of ids`);
  }
  const rowsOk = Array.isArray(doc.rows) &&
    doc.rows.every((r) =>
      isWireMap(r) && Array.isArray(r.components) && r.entities instanceof Uint8Array &&
      r.entities.length % 4 === 0 && isWireMap(r.columns)
    );
  if (!rowsOk) throw new Error(`its "rows" are not rows`);
  if (!isWireMap(doc.owners) || !Array.isArray(doc.foreign) || !Array.isArray(doc.inits)) {
    throw new Error(`its owners, payers or inits are missing`);
  }
  if (!Array.isArray(doc.events)) throw new Error(`its "events" are not a list`);
  return doc as unknown as ChangesDocument;
}

/**
 * Applies one decoded entry to `world`, which must hold the state the entry
 * follows. Call {@linkcode settleChanges} once the last entry is applied.
 */
export function applyChanges(world: World, doc: ChangesDocument): void {
  // Checked whole before anything changes: a damaged entry leaves the world as it was.
  for (const r of doc.rows) {
    const keys = r.components.filter((k): k is string => typeof k === "string");
    if (keys.length !== r.components.length || keys.some((k) => !world.registry.get(k))) {
      throw new Error(`its rows hold a component the snapshot does not know (${keys.join("+")})`);
    }
  }
  const resources = new ResourceStore();
  if (Array.isArray(doc.resources)) { for (const r of doc.resources) resources.restore(r); }
  for (const id of ids(doc.despawned)) {
    // One that lived and died between two entries is not here: its id is used up all the same.
    if (!world.despawn(id)) world.allocator.retire(id);
  }
  const ownerOf = new Map<number, string>();
  for (const [file, list] of Object.entries(doc.owners)) {
    if (list instanceof Uint8Array && list.length % 4 === 0) {
      for (const id of ids(list)) ownerOf.set(id, file);
    }
  }
  const payers = new Map<number, [string, string][]>();
  for (const entry of doc.foreign) {
    if (!Array.isArray(entry) || entry.length !== 3) continue;
    const [id, key, file] = entry;
    if (typeof id !== "number" || typeof key !== "string" || typeof file !== "string") continue;
    let list = payers.get(id);
    if (!list) payers.set(id, list = []);
    list.push([key, file]);
  }
  for (const r of doc.rows) {
    const list = ids(r.entities);
    world.placeRows(
      r.components,
      list,
      r.columns,
      typeof r.creator === "string" ? r.creator : null,
    );
    for (const id of list) world.owners.assign(id, ownerOf.get(id) ?? null, payers.get(id) ?? []);
  }
  world.initsRun.clear();
  for (const file of doc.inits) if (typeof file === "string") world.initsRun.add(file);
  world.seed = doc.seed >>> 0;
  if (Array.isArray(doc.resources)) { for (const r of doc.resources) world.resources.restore(r); }
  world.events.replace(
    doc.events.filter((e): e is QueuedEvent =>
      Array.isArray(e) && e.length === 2 && typeof e[0] === "string" &&
      typeof e[1] === "object" && e[1] !== null
    ),
  );
}

/** After the last entry: the allocator's free list settled and every script's usage counted again. */
export function settleChanges(world: World): void {
  world.allocator.settle();
  world.recount();
}

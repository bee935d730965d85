/**
 * A driver's change feed (DESIGN §5 step 6, §9): per component it reads,
 * every entity's values — a snapshot for a new driver version, then the rows
 * stamped since its last feed (new entities included), with the entities
 * despawned and the components removed in between. A driver that has not
 * handled its last feed is not sent another: changes accumulate in the
 * stamps and lists and go out together, so a slow driver misses nothing and
 * never makes the world wait.
 *
 * A driver that reads the replicated components (the network driver) is fed
 * whatever the world replicates at each feed; when that set changes its next
 * feed is a snapshot carrying the new schemas.
 *
 * @module
 */
import type { DriverManifest } from "../roles/mod.ts";
import type { ChangesMessage, WireRows, WireSchema } from "../protocol/mod.ts";
import {
  changedSince,
  type ComponentInfo,
  gatherColumn,
  gatherEntities,
  gatherText,
  toWireSchema,
  type World,
} from "../ecs/mod.ts";

/** Despawns and removals kept for a driver before it is sent a snapshot instead. */
const MAX_PENDING = 100_000;

/** What one running driver version has seen, holds and is owed. */
export class DriverFeed {
  readonly #world: World;
  readonly #components = new Map<string, ComponentInfo>();
  readonly #reads: ComponentInfo[];
  readonly #readsReplicated: boolean;
  /** The components its last feed held, and their keys as "key key …" (to see them change). */
  #fedReads: readonly ComponentInfo[];
  #fedSet = "";
  readonly #reserveSize: number;
  readonly #reserved = new Set<number>();
  /** The change clock of its last feed (-1: none yet, so the next is a snapshot). */
  since = -1;
  #despawned: number[] = [];
  #removed: [number, string][] = [];

  /** `file`: the driver's source, which declares its components like a script's file does. */
  constructor(world: World, file: string, manifest: DriverManifest, reserveSize: number) {
    this.#world = world;
    for (const name of new Set([...manifest.reads, ...manifest.writes])) {
      this.#components.set(
        name,
        world.registry.resolve({
          name,
          schema: manifest.components[name]!,
          module: manifest.modules[name] ?? null,
        }),
      );
    }
    for (const name of manifest.replicated ?? []) {
      const info = this.#components.get(name);
      if (info) world.registry.markReplicated(info.key);
    }
    // Declared, so that the registry keeps them while the driver runs.
    world.registry.declare(
      file,
      [...this.#components].map(([name, c]) => [c.key, manifest.modules[name] ?? null] as const),
    );
    this.#reads = manifest.reads.map((n) => this.#components.get(n)!);
    this.#fedReads = this.#reads;
    this.#readsReplicated = manifest.readsReplicated === true;
    this.#reserveSize = manifest.spawns ? reserveSize : 0;
  }

  /** Its component of a name in its manifest. */
  component(name: string): ComponentInfo | undefined {
    return this.#components.get(name);
  }

  /**
   * The components its next feed holds — its own reads, and the world's
   * replicated ones if it asked (one per name: the rows travel by name) —
   * and whether that set changed since its last feed (which then starts over
   * from a snapshot with the new schemas). Worked out once a feed.
   */
  nextReads(): { reads: readonly ComponentInfo[]; changed: boolean } {
    if (!this.#readsReplicated) return { reads: this.#reads, changed: false };
    const byName = new Map(this.#reads.map((c) => [c.name, c]));
    for (const c of this.#world.registry.replicated()) {
      if (!byName.has(c.name)) byName.set(c.name, c);
    }
    const reads = [...byName.values()];
    const set = reads.map((c) => c.key).join(" ");
    const changed = set !== this.#fedSet;
    this.#fedSet = set;
    this.#fedReads = reads;
    return { reads, changed };
  }

  /** The ids it was given and has not spawned with yet. */
  reserved(): Uint32Array {
    return Uint32Array.from(this.#reserved);
  }

  /** Ids its applied spawns used. */
  used(ids: ReadonlySet<number>): void {
    for (const id of ids) this.#reserved.delete(id);
  }

  /** Its ids back (a new version replaces it). */
  unusedIds(): number[] {
    return [...this.#reserved];
  }

  /** New ids that bring what it holds back up to its reserve. */
  topUpReserve(): Uint32Array {
    const want = this.#reserveSize - this.#reserved.size;
    if (want <= 0) return new Uint32Array(0);
    const ids = this.#world.allocator.reserve(want);
    for (const id of ids) this.#reserved.add(id);
    return ids;
  }

  /** An entity left the world. */
  despawned(id: number): void {
    if (this.since < 0) return; // the snapshot will not hold it anyway
    this.#despawned.push(id);
    if (this.#despawned.length > MAX_PENDING) this.#overflow();
  }

  /** A component left an entity (a read one, or another: the driver ignores what it lacks). */
  removed(id: number, key: string): void {
    if (this.since < 0) return;
    // What its last feed held: a component replicated since then comes with a snapshot anyway.
    const info = this.#fedReads.find((c) => c.key === key);
    if (!info) return;
    this.#removed.push([id, info.name]);
    if (this.#removed.length > MAX_PENDING) this.#overflow();
  }

  /** Too much owed: start over from a snapshot. */
  #overflow(): void {
    this.since = -1;
    this.#despawned = [];
    this.#removed = [];
  }

  /** Takes what is owed since the last feed. */
  take(): { despawned: number[]; removed: [number, string][] } {
    const taken = { despawned: this.#despawned, removed: this.#removed };
    this.#despawned = [];
    this.#removed = [];
    return taken;
  }
}

/** The next feed of a driver, at the end of tick `tick`; marks it fed up to now. */
export function buildFeed(world: World, feed: DriverFeed, tick: number): ChangesMessage {
  const { reads, changed: newSet } = feed.nextReads();
  if (newSet) feed.since = -1;
  const snapshot = feed.since < 0;
  const rows: Record<string, WireRows> = {};
  let schemas: Record<string, WireSchema> | null = null;
  if (newSet) {
    schemas = {};
    for (const info of reads) schemas[info.name] = toWireSchema(info.fields);
  }
  for (const info of reads) {
    let set = world.query([info.key]);
    if (!snapshot) set = changedSince(set, [info.key], feed.since);
    const columns: Record<string, Uint8Array | string[]> = {};
    for (const f of info.fields) {
      columns[f.name] = f.type === "text"
        ? gatherText(set, info.key, f)
        : set.count > 0
        ? gatherColumn(set, info.key, f)
        : new Uint8Array(0);
    }
    rows[info.name] = {
      entities: set.count > 0 ? gatherEntities(set) : new Uint8Array(0),
      columns,
    };
  }
  const { despawned, removed } = feed.take();
  feed.since = world.clock;
  const ids = Uint32Array.from(despawned);
  const reserve = feed.topUpReserve();
  return {
    t: "changes",
    tick,
    snapshot,
    despawned: new Uint8Array(ids.buffer),
    removed,
    rows,
    ...(schemas ? { schemas } : {}),
    ...(reserve.length > 0 ? { reserve: new Uint8Array(reserve.buffer) } : {}),
  };
}

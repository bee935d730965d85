/**
 * The bytes of a saved world (format `syncra.world/2`): one MessagePack map
 * holding the components (schemas, defining modules, declaring scripts), the
 * id allocator, every archetype's columns, who owns and pays for each
 * entity, the resources and the events not yet delivered. Where the bytes are kept is a `WorldStore`'s business (world_store.ts).
 *
 * @module
 */
import { MessagePackWriter, streamMessagePack } from "../protocol/mod.ts";
import { decodeMessagePack } from "../protocol/mod.ts";
import type { WireSchema } from "../protocol/mod.ts";
import type { QueuedEvent, SavedComponent, SavedResource } from "../ecs/mod.ts";
import { EntityAllocator } from "../ecs/mod.ts";
import type { SavedOwners } from "../ecs/mod.ts";
import { World } from "../ecs/mod.ts";
import type { SavedWorld } from "./world_store.ts";

const FORMAT = "syncra.world/2";
/** The first format: components keyed by bare name, no owners. Still read. */
const FORMAT_1 = "syncra.world/1";

interface SavedArchetype {
  /** Component storage keys. */
  components: string[];
  /** The script whose command created it, who is charged for it (absent in version 1). */
  creator?: string | null;
  entities: Uint8Array;
  /** Bytes per field, or a text field's strings. */
  columns: Record<string, Record<string, Uint8Array | string[]>>;
}

/** The document as encoded. */
interface WorldDocument {
  format: string;
  tick: number;
  components: SavedComponent[];
  allocator: { generations: Uint8Array; free: Uint8Array; next: number };
  archetypes: SavedArchetype[];
  /** Entity ids (u32 little-endian) by owner file. */
  owners: Record<string, Uint8Array>;
  foreign: SavedOwners["foreign"];
  /** Script files whose init has run (missing in saves from before it was kept). */
  inits?: string[];
  /** The world's random seed (missing in older saves: 0). */
  seed?: number;
  /** Resources with their schemas (missing in older saves). */
  resources?: SavedResource[];
  /** Events emitted in the last tick and not yet delivered, in delivery order. */
  events?: QueuedEvent[];
}

interface SavedWorldV1 {
  format: string;
  tick: number;
  components: Record<string, WireSchema>;
  allocator: WorldDocument["allocator"];
  archetypes: SavedArchetype[];
}

const u8 = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The world as the saved document: column bytes are views into the world's tables. */
function worldDocument(world: World, tick: number): WorldDocument {
  const allocator = world.allocator.save();
  const owners = world.owners.save();
  return {
    format: FORMAT,
    tick,
    components: world.registry.save(),
    allocator: {
      generations: allocator.generations,
      free: u8(allocator.free),
      next: allocator.next,
    },
    owners: Object.fromEntries(Object.entries(owners.owners).map(([f, ids]) => [f, u8(ids)])),
    foreign: owners.foreign,
    inits: [...world.initsRun].sort(),
    seed: world.seed,
    resources: world.resources.save(),
    events: world.events.pending(),
    archetypes: world.archetypes().filter((a) => a.length > 0).map((a) => ({
      components: [...a.components],
      creator: a.creator,
      entities: u8(a.entities.subarray(0, a.length)),
      columns: Object.fromEntries(
        [...a.columns].map(([name, fields]) => [
          name,
          Object.fromEntries(
            [...fields].map((
              [f, col],
            ) => [f, col.text ?? u8(col.data.subarray(0, a.length * col.field.width))]),
          ),
        ]),
      ),
    })),
  };
}

/** Serializes the world (and the tick it reached). */
export function encodeWorld(world: World, tick: number): Uint8Array {
  return new MessagePackWriter(1 << 20).beginFrame().value(worldDocument(world, tick)).finishFrame()
    .slice(4);
}

const aligned = (bytes: Uint8Array) => bytes.slice().buffer;

/** Version 1 keyed components by name: register each and map its name to its key. */
function upgradeV1(saved: SavedWorldV1): WorldDocument {
  const keys = new Map<string, string>();
  const scratch = new World();
  const components: SavedComponent[] = [];
  for (const [name, schema] of Object.entries(saved.components)) {
    const info = scratch.registry.resolve({ name, schema, module: null });
    keys.set(name, info.key);
    components.push({ key: info.key, name, schema, modules: [], declarers: [] });
  }
  const rename = (name: string) => keys.get(name) ?? name;
  return {
    ...saved,
    format: FORMAT,
    components,
    archetypes: saved.archetypes.map((a) => ({
      components: a.components.map(rename),
      entities: a.entities,
      columns: Object.fromEntries(Object.entries(a.columns).map(([n, c]) => [rename(n), c])),
    })),
    owners: {},
    foreign: [],
  };
}

/** What a saved world's bytes may hold: large columns, but no deep nesting or long strings. */
export const SAVED_STATE_LIMITS = Object.freeze({
  maxDepth: 16,
  maxStringBytes: 1 << 16,
  maxBinBytes: 1 << 30,
  maxItems: 1 << 24,
  maxValues: Number.MAX_SAFE_INTEGER,
  maxContainers: Number.MAX_SAFE_INTEGER,
});

/** Rebuilds a world from `encodeWorld` bytes; throws a clear Error when the file is not one. */
export function decodeWorld(bytes: Uint8Array): SavedWorld {
  let saved = decodeMessagePack(bytes, SAVED_STATE_LIMITS) as WorldDocument;
  if (saved?.format === FORMAT_1) saved = upgradeV1(saved as unknown as SavedWorldV1);
  if (saved?.format !== FORMAT) {
    throw new Error(
      `Cannot restore the world: not a ${FORMAT} file (format ${String(saved?.format)})`,
    );
  }
  const world = new World();
  for (const component of saved.components) world.registry.restore(component);
  const live: number[] = [];
  // A loop, not push(...ids): spreading an archetype of 100k+ ids overflows the stack.
  for (const a of saved.archetypes) {
    for (const id of new Uint32Array(aligned(a.entities))) live.push(id);
  }
  world.allocator = EntityAllocator.restore({
    generations: saved.allocator.generations.slice(),
    free: new Uint32Array(aligned(saved.allocator.free)),
    next: saved.allocator.next,
  }, live);
  for (const a of saved.archetypes) {
    const creator = typeof a.creator === "string" ? a.creator : null;
    world.placeRows(a.components, new Uint32Array(aligned(a.entities)), a.columns, creator);
  }
  world.owners.restore({
    owners: Object.fromEntries(
      Object.entries(saved.owners).map(([f, ids]) => [f, new Uint32Array(aligned(ids as never))]),
    ),
    foreign: saved.foreign,
  }, (id) => world.isAlive(id));
  world.recount();
  // Saves from before inits were kept: a file that declared components has run its init.
  const inits = Array.isArray(saved.inits)
    ? saved.inits.filter((f): f is string => typeof f === "string")
    : saved.components.flatMap((c) => c.declarers).map((f) => f.split("/").pop()!);
  for (const file of inits) world.initsRun.add(file);
  world.seed = typeof saved.seed === "number" ? saved.seed >>> 0 : 0;
  for (const resource of Array.isArray(saved.resources) ? saved.resources : []) {
    world.resources.restore(resource);
  }
  if (Array.isArray(saved.events)) {
    const valid = saved.events.filter((e): e is QueuedEvent =>
      Array.isArray(e) && e.length === 2 && typeof e[0] === "string" &&
      typeof e[1] === "object" && e[1] !== null
    );
    world.events.restore(valid);
  }
  return { world, tick: saved.tick };
}

/**
 * Streams the encoding of {@linkcode encodeWorld} to `write` in pieces:
 * large columns go from the world's tables to the sink without a copy of the
 * world, so the world must not change until the promise resolves. Each piece
 * is only valid until `write` resolves.
 */
export function streamWorld(
  world: World,
  tick: number,
  write: (bytes: Uint8Array) => Promise<void>,
): Promise<void> {
  return streamMessagePack(worldDocument(world, tick), write);
}

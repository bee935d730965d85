/**
 * Saving and restoring a world: one MessagePack file holding the schemas,
 * the id allocator and every archetype's columns. Writes are atomic (a temp
 * file renamed over the old one), so a crash mid-save loses nothing.
 *
 * @module
 */
import { dirname } from "node:path";
import { MessagePackWriter } from "../sandbox/msgpack_encode.ts";
import { decodeMessagePack } from "../sandbox/msgpack_decode.ts";
import type { WireSchema } from "../sandbox/protocol.ts";
import { toWireSchema } from "./component_registry.ts";
import { EntityAllocator } from "./entity_allocator.ts";
import { World } from "./world.ts";

const FORMAT = "syncra.world/1";

interface SavedArchetype {
  components: string[];
  entities: Uint8Array;
  columns: Record<string, Record<string, Uint8Array>>;
}

interface SavedWorld {
  format: string;
  tick: number;
  components: Record<string, WireSchema>;
  allocator: { generations: Uint8Array; free: Uint8Array; next: number };
  archetypes: SavedArchetype[];
}

const u8 = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Serializes the world (and the tick it reached). */
export function encodeWorld(world: World, tick: number): Uint8Array {
  const allocator = world.allocator.save();
  const saved: SavedWorld = {
    format: FORMAT,
    tick,
    components: Object.fromEntries(
      world.registry.all().map((c) => [c.name, toWireSchema(c.fields)]),
    ),
    allocator: {
      generations: allocator.generations,
      free: u8(allocator.free),
      next: allocator.next,
    },
    archetypes: world.archetypes().filter((a) => a.length > 0).map((a) => ({
      components: [...a.components],
      entities: u8(a.entities.subarray(0, a.length)),
      columns: Object.fromEntries(
        [...a.columns].map(([name, fields]) => [
          name,
          Object.fromEntries(
            [...fields].map((
              [f, col],
            ) => [f, u8(col.data.subarray(0, a.length * col.field.width))]),
          ),
        ]),
      ),
    })),
  };
  return new MessagePackWriter(1 << 20).beginFrame().value(saved).finishFrame().slice(4);
}

const aligned = (bytes: Uint8Array) => bytes.slice().buffer;

/** Rebuilds a world from `encodeWorld` bytes; throws a clear Error when the file is not one. */
export function decodeWorld(bytes: Uint8Array): { world: World; tick: number } {
  const saved = decodeMessagePack(bytes, {
    maxDepth: 16,
    maxStringBytes: 1 << 16,
    maxBinBytes: 1 << 30,
    maxItems: 1 << 24,
  }) as SavedWorld;
  if (saved?.format !== FORMAT) {
    throw new Error(
      `Cannot restore the world: not a ${FORMAT} file (format ${String(saved?.format)})`,
    );
  }
  const world = new World();
  for (const [name, schema] of Object.entries(saved.components)) {
    world.registry.restore(name, schema);
  }
  const live: number[] = [];
  for (const a of saved.archetypes) live.push(...new Uint32Array(aligned(a.entities)));
  world.allocator = EntityAllocator.restore({
    generations: saved.allocator.generations.slice(),
    free: new Uint32Array(aligned(saved.allocator.free)),
    next: saved.allocator.next,
  }, live);
  for (const a of saved.archetypes) {
    world.restoreRows(a.components, new Uint32Array(aligned(a.entities)), a.columns);
  }
  return { world, tick: saved.tick };
}

/** Writes the world to `path` atomically. */
export async function saveWorld(path: string, world: World, tick: number): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeFile(tmp, encodeWorld(world, tick));
  await Deno.rename(tmp, path);
}

/** Reads a saved world, or null when there is none at `path`. */
export async function loadWorld(path: string): Promise<{ world: World; tick: number } | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  try {
    return decodeWorld(bytes);
  } catch (cause) {
    throw new Error(
      `Cannot restore the world from "${path}": ${
        (cause as Error).message
      }. Move the file away or pass --fresh`,
      { cause },
    );
  }
}

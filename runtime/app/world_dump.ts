/**
 * Writes `--dump`: the world as JSON, `{ "tick", "entities": [ { "id",
 * "components": { Name: { field: value } } } ], "resources": { Name: { field:
 * value } } }` (DESIGN §8), one entity per line. It
 * is streamed, entity by entity, through a small buffer into a temporary
 * file renamed into place: the dump of a world that holds hundreds of
 * megabytes never exists in memory as one string or one tree of objects.
 *
 * @module
 */
import { dirname } from "node:path";
import type { World } from "../ecs/mod.ts";

/** Bytes gathered before each write. */
const CHUNK_CHARS = 1 << 20;

/** Writes the dump of `world` at `tick` to `path` (atomically). */
export async function writeDump(path: string, world: World, tick: number): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${Deno.pid}.tmp`;
  const file = await Deno.open(temporary, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  let pending = "";
  const flush = async () => {
    const bytes = encoder.encode(pending);
    pending = "";
    for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
  };
  try {
    pending += `{"tick":${tick},"entities":[`;
    let first = true;
    for (const entity of world.dumpEntities()) {
      pending += `${first ? "" : ","}\n${JSON.stringify(entity)}`;
      first = false;
      if (pending.length >= CHUNK_CHARS) await flush();
    }
    pending += `\n],\n"resources":${JSON.stringify(world.resources.dump())}}\n`;
    await flush();
  } finally {
    file.close();
  }
  await Deno.rename(temporary, path);
}

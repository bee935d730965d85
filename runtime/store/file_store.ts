/**
 * The local {@linkcode WorldStore}: one `syncra.world/2` file.
 *
 * A save streams the world into a temp file beside the state file
 * (`<file>.<pid>.<n>.tmp`, created exclusively, so no two saves share one),
 * fsyncs it, renames it over the state file and fsyncs the folder: the state
 * file is always a whole save, the old or the new one, even across a crash
 * or a power cut. A temp file left by a process that died mid-save is
 * removed by the next save.
 *
 * @module
 */
import { basename, dirname } from "node:path";
import type { World } from "../ecs/mod.ts";
import { streamWorld } from "./world_codec.ts";
import type { SavedWorld, WorldStore } from "./world_store.ts";
import { decodeStored, errorMessage, SaveQueue } from "./save_queue.ts";

/** Temp names are unique in this process across stores on one path. */
let tempCounter = 0;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function alive(pid: number): Promise<boolean> {
  return await Deno.stat(`/proc/${pid}`).then(() => true, () => false);
}

/** Makes a rename in `dir` durable. */
async function syncDir(dir: string): Promise<void> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/**
 * A world kept in one local file.
 *
 * @example Usage
 * ```ts ignore
 * import { FileWorldStore } from "./mod.ts";
 * import { World } from "../ecs/mod.ts";
 * const store = new FileWorldStore(".syncra/world.state");
 * await store.save(new World(), 0);
 * const { world, tick } = (await store.load())!;
 * ```
 */
export class FileWorldStore implements WorldStore {
  /** The state file. */
  readonly path: string;
  readonly describe: string;
  readonly #saves = new SaveQueue();

  /** A store at `path`; nothing is read or created until `load` or `save`. */
  constructor(path: string) {
    if (path === "") throw new TypeError("Cannot create a file store: the path is empty");
    this.path = path;
    this.describe = path;
  }

  async load(): Promise<SavedWorld | null> {
    // What this store saved is what it loads.
    await this.#saves.settled;
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(this.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw new Error(`Cannot read the world state "${this.path}": ${errorMessage(error)}`, {
        cause: error,
      });
    }
    return decodeStored(this.describe, bytes);
  }

  save(world: World, tick: number): Promise<void> {
    return this.#saves.run(() => this.#write(world, tick));
  }

  async #write(world: World, tick: number): Promise<void> {
    const dir = dirname(this.path);
    const temp = `${this.path}.${Deno.pid}.${tempCounter++}.tmp`;
    try {
      await Deno.mkdir(dir, { recursive: true });
      await this.#removeDeadTemps(dir);
      const file = await Deno.open(temp, { write: true, createNew: true });
      try {
        await streamWorld(world, tick, async (bytes) => {
          for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
        });
        // Data on disk before the name points at it, or a crash could leave an empty file.
        await file.sync();
      } finally {
        file.close();
      }
      await Deno.rename(temp, this.path);
      await syncDir(dir);
    } catch (error) {
      await Deno.remove(temp).catch(() => {});
      throw new Error(`Cannot save the world to "${this.path}": ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }

  /** Removes temp files of this state file left by processes that died mid-save. */
  async #removeDeadTemps(dir: string): Promise<void> {
    // Without /proc we cannot tell a dead writer from a live one: leave them.
    if (!await alive(Deno.pid)) return;
    const pattern = new RegExp(`^${escapeRegExp(basename(this.path))}\\.(\\d+)(\\.\\d+)?\\.tmp$`);
    for await (const entry of Deno.readDir(dir)) {
      const pid = Number(pattern.exec(entry.name)?.[1]);
      if (!entry.isFile || !pid || pid === Deno.pid || await alive(pid)) continue;
      await Deno.remove(`${dir}/${entry.name}`).catch(() => {});
    }
  }
}

/** Writes the world to the file at `path` (a {@linkcode FileWorldStore} save). */
export function saveWorld(path: string, world: World, tick: number): Promise<void> {
  return new FileWorldStore(path).save(world, tick);
}

/** Reads the world saved at `path`, or null when there is none (a {@linkcode FileWorldStore} load). */
export function loadWorld(path: string): Promise<SavedWorld | null> {
  return new FileWorldStore(path).load();
}

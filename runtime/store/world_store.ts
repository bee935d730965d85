/**
 * Where a world's state lives between runs (DESIGN §5: "a local file in
 * local mode, JetStream in distributed mode"). The coordinator owns the
 * world; a store only keeps the last saved copy of it and gives it back at
 * start. `FileWorldStore` is the local implementation; every implementation
 * runs the suite in `store_contract.ts`.
 *
 * @module
 */
import type { World } from "../ecs/mod.ts";

/** A world as a store gives it back: the world and the tick it had reached. */
export interface SavedWorld {
  world: World;
  tick: number;
  /** How it was put together, when more than one save (a snapshot and a change log). */
  detail?: string;
}

/**
 * Keeps the last saved state of one world.
 *
 * @example Usage
 * ```ts ignore
 * import { FileWorldStore } from "./mod.ts";
 * const store = new FileWorldStore(".syncra/world.state");
 * const saved = await store.load(); // null on the first run
 * ```
 */
export interface WorldStore {
  /** Where the state is kept, for logs and explain (the file store: its path). */
  readonly describe: string;
  /**
   * The last saved world, or null when nothing was saved yet. Rejects with a
   * {@linkcode CorruptWorldError} when what is stored is not a whole world.
   */
  load(): Promise<SavedWorld | null>;
  /**
   * Replaces the saved state with `world` at `tick`, whole or not at all: a
   * crash or a failure mid-save leaves the previous state loadable. Saves
   * through one store land in call order, so the last one called wins. The
   * world must not change until the promise resolves (it may be written
   * from the world's own tables).
   */
  save(world: World, tick: number): Promise<void>;
  /**
   * Stores that keep a log of changes between saves (the JetStream store)
   * log what changed in `world` since the last save or entry, now at `tick`;
   * where the change cannot be logged the store saves the world whole. A
   * world loaded after a crash is the last save with the log after it.
   */
  logChanges?(world: World, tick: number): Promise<void>;
}

/**
 * What a store holds is not a saved world: truncated, damaged or another
 * kind of data. Callers say so and offer `--fresh`, which starts a new world
 * whose first save replaces the damaged one.
 */
export class CorruptWorldError extends Error {
  override name = "CorruptWorldError";
  readonly code = "SYNCRA_CORRUPT_WORLD";
  /** The store's {@linkcode WorldStore.describe}. */
  readonly store: string;
  constructor(store: string, detail: string, options?: ErrorOptions) {
    super(
      `Cannot restore the world from "${store}": ${detail}; move it away or pass --fresh`,
      options,
    );
    this.store = store;
  }
}

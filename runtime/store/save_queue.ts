/**
 * What every {@linkcode WorldStore} shares: saves one after another (so that
 * the last one called wins), stored bytes decoded into a world or a
 * {@linkcode CorruptWorldError} naming the store, and their errors' wording.
 *
 * @module
 */
import { decodeWorld } from "./world_codec.ts";
import { CorruptWorldError, type SavedWorld } from "./world_store.ts";

/** Runs saves one at a time, in call order; a failed one does not stop the next. */
export class SaveQueue {
  #queue: Promise<void> = Promise.resolve();

  /** Queues `save`; resolves or rejects with it. */
  run(save: () => Promise<void>): Promise<void> {
    const done = this.#queue.then(save);
    this.#queue = done.catch(() => {});
    return done;
  }

  /** Resolves once every save queued so far has ended (what a store saved is what it loads). */
  get settled(): Promise<void> {
    return this.#queue;
  }
}

/** What went wrong, as a sentence for a store's errors. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The world in `bytes`, or a {@linkcode CorruptWorldError} naming `store`. */
export function decodeStored(store: string, bytes: Uint8Array): SavedWorld {
  try {
    return decodeWorld(bytes);
  } catch (cause) {
    throw new CorruptWorldError(store, errorMessage(cause), { cause });
  }
}

/**
 * Where a world's state lives between runs: the `WorldStore` interface, its
 * file implementation, and the world codec.
 *
 * @module
 */
export { CorruptWorldError } from "./world_store.ts";
export type { SavedWorld, WorldStore } from "./world_store.ts";
export { FileWorldStore, loadWorld, saveWorld } from "./file_store.ts";
export { decodeWorld, encodeWorld, streamWorld } from "./world_codec.ts";
export { decodeStored, errorMessage, SaveQueue } from "./save_queue.ts";
export { tickWorld } from "./tick_world.ts";
export { applyChanges, ChangeLog, decodeChanges, settleChanges } from "./world_changes.ts";
export type { ChangesDocument } from "./world_changes.ts";

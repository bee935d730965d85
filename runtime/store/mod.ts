/**
 * Where a world's state lives between runs: the world codec and the
 * `WorldStore` interface with its file implementation.
 *
 * @module
 */
export { decodeWorld, encodeWorld, loadWorld, saveWorld } from "./world_codec.ts";

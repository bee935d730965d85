/**
 * The shape test every reader of decoded frames needs: a MessagePack map
 * decodes to a plain object, while arrays and byte strings (`bin`, decoded
 * as typed arrays) are objects too, and are not maps.
 *
 * @module
 */

/** Whether a decoded value is a map (not an array, not bytes, not null). */
export function isWireMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

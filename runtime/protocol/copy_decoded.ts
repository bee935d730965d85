/**
 * A deep copy of a decoded frame: a link may reuse the buffer a frame's
 * byte strings view (runtime/link), so whoever keeps a frame past the
 * handler that received it copies it first.
 *
 * @module
 */

/** `value` with every byte string, array and map copied. */
export function copyDecoded(value: unknown): unknown {
  if (value instanceof Uint8Array) return value.slice();
  if (Array.isArray(value)) return value.map(copyDecoded);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyDecoded(v)]));
  }
  return value;
}

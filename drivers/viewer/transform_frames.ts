// Transforms, the changes pages get most of, as one binary frame per feed:
// [u8 kind = 1][u32 tick][u32 count], then per entity [u32 id][f32 × 10: position, rotation
// (x, y, z, w), scale], little-endian.
import type { ComponentRows, TransformSchema } from "@syncra/std";

/** The frame kind of a transform frame (the page tells frames apart by their first byte). */
export const TRANSFORM_FRAME = 1;

const PER_ENTITY = 4 + 10 * 4;

/** The frame for these rows, or null when there are none. */
export function encodeTransforms(
  tick: number,
  rows: ComponentRows<TransformSchema>,
): Uint8Array | null {
  const n = rows.entities.length;
  if (n === 0) return null;
  const bytes = new Uint8Array(9 + n * PER_ENTITY);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, TRANSFORM_FRAME);
  view.setUint32(1, tick, true);
  view.setUint32(5, n, true);
  const { position, rotation, scale } = rows.columns;
  let at = 9;
  for (let i = 0; i < n; i++) {
    view.setUint32(at, rows.entities[i]!, true);
    at += 4;
    for (let k = 0; k < 3; k++, at += 4) view.setFloat32(at, position[i * 3 + k]!, true);
    for (let k = 0; k < 4; k++, at += 4) view.setFloat32(at, rotation[i * 4 + k]!, true);
    for (let k = 0; k < 3; k++, at += 4) view.setFloat32(at, scale[i * 3 + k]!, true);
  }
  return bytes;
}

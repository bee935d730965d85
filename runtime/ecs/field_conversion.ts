/**
 * Converting a stored field to its new type when a component's schema
 * changes (`u32` → `f64`, `f32` → `i32`, …): numbers go to the nearest value
 * the new type holds, and the values that did not survive whole are counted
 * so that the owner is told. Types of another shape (a `vec3` and a scalar,
 * an `entity` id and a number) do not convert: their values are reset.
 *
 * @module
 */
import type { FieldType } from "../../std/mod.ts";

const RANGES: Partial<Record<FieldType, readonly [number, number]>> = {
  i32: [-2147483648, 2147483647],
  u32: [0, 4294967295],
  u8: [0, 255],
};

const SCALARS = new Set<FieldType>(["f32", "f64", "i32", "u32", "u8", "bool"]);

/** Whether values of type `from` can become values of type `to`. */
export function convertible(from: FieldType, to: FieldType): boolean {
  return from === to || (SCALARS.has(from) && SCALARS.has(to));
}

/** `value` in type `to`: the nearest value it holds. */
function convert(value: number, to: FieldType): number {
  if (to === "f64") return value;
  if (to === "f32") return Math.fround(value);
  if (to === "bool") return value !== 0 && !Number.isNaN(value) ? 1 : 0;
  const [min, max] = RANGES[to]!;
  if (Number.isNaN(value)) return 0;
  return Math.min(max, Math.max(min, Math.round(value)));
}

/**
 * Writes `count` values of `src` (type `from`) into `dst` (type `to`) at
 * `at`, converted; returns how many changed on the way (precision or range
 * lost). The types must be {@linkcode convertible}.
 */
export function convertValues(
  src: ArrayLike<number>,
  from: FieldType,
  srcAt: number,
  dst: { [i: number]: number },
  to: FieldType,
  dstAt: number,
  count: number,
): number {
  let lossy = 0;
  for (let i = 0; i < count; i++) {
    const value = src[srcAt + i]!;
    const converted = from === to ? value : convert(value, to);
    if (converted !== value && !(Number.isNaN(converted) && Number.isNaN(value))) lossy++;
    dst[dstAt + i] = converted;
  }
  return lossy;
}

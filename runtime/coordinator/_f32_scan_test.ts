import assert from "node:assert/strict";
import { firstNonFiniteF32 } from "./_f32_scan.ts";

Deno.test("the f32 scan finds the first NaN or infinity at every position, aligned or not, large or small", () => {
  for (const n of [0, 1, 3, 4, 5, 17, 64, 1000]) {
    for (const offset of [0, 1, 2]) {
      const backing = new Uint8Array(n * 4 + offset);
      const bytes = backing.subarray(offset);
      assert.equal(firstNonFiniteF32(bytes), -1, `n ${n}, offset ${offset}: all finite`);
      for (const at of [0, n >> 1, n - 1].filter((x) => x >= 0 && x < n)) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const copy = bytes.slice();
          new DataView(copy.buffer).setFloat32(at * 4, bad, true);
          new DataView(copy.buffer).setFloat32(n * 4 - 4, NaN, true); // a later one too
          const shifted = new Uint8Array(copy.length + offset);
          shifted.set(copy, offset);
          assert.equal(firstNonFiniteF32(shifted.subarray(offset)), at, `${bad} at ${at} of ${n}`);
        }
      }
    }
  }
  // Past the SIMD module's size limit, the JavaScript loop answers the same.
  const big = new Float32Array(3 * 1024 * 1024);
  big[2_000_001] = -Infinity;
  assert.equal(firstNonFiniteF32(new Uint8Array(big.buffer)), 2_000_001);
});

import assert from "node:assert/strict";
import { Limiter } from "./limiter.ts";

const peak = (x: Float32Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

Deno.test("a quiet mix passes untouched; a loud one never clips and recovers afterwards", () => {
  const limiter = new Limiter();
  const quiet = Float32Array.from({ length: 1600 }, (_, i) => 0.5 * Math.sin(i / 10));
  assert.deepEqual(limiter.process(quiet.slice()), quiet);
  for (let k = 0; k < 10; k++) {
    const loud = Float32Array.from({ length: 1600 }, (_, i) => 8 * Math.sin(i / 10));
    assert.ok(peak(limiter.process(loud)) <= 1, "never past full scale");
  }
  assert.ok(limiter.gain < 0.2, `turned down: ${limiter.gain}`);
  for (let k = 0; k < 200; k++) limiter.process(quiet.slice());
  assert.ok(limiter.gain > 0.99, `recovered: ${limiter.gain}`);
});

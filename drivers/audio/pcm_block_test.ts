import assert from "node:assert/strict";
import { decodePcmBlock, encodePcmBlock, PCM_HEADER_BYTES, PcmEncoding } from "./pcm_block.ts";

Deno.test("a block round-trips in f32 exactly and in s16 to 16 bits", () => {
  const samples = Float32Array.from({ length: 1600 }, (_, i) => Math.sin(i) * 0.9);
  const f32 = encodePcmBlock(samples, 2, 77);
  assert.equal(f32.length, PCM_HEADER_BYTES + 1600 * 4);
  assert.equal(new TextDecoder().decode(f32.subarray(0, 4)), "SPCM");
  const back = decodePcmBlock(f32);
  assert.deepEqual([back.tick, back.channels, back.frames], [77, 2, 800]);
  assert.deepEqual(back.samples, samples);
  const s16 = decodePcmBlock(encodePcmBlock(samples, 1, 0, PcmEncoding.S16));
  assert.equal(s16.frames, 1600);
  assert.ok(s16.samples.every((v, i) => Math.abs(v - samples[i]!) < 1 / 16000));
});

Deno.test("a block of the wrong size, rate or shape is refused saying what is wrong", () => {
  const good = encodePcmBlock(new Float32Array(800), 1, 0, PcmEncoding.S16);
  assert.throws(
    () => decodePcmBlock(good.subarray(0, good.length - 2)),
    /wrong size: .* 800 frames/,
  );
  assert.throws(() => decodePcmBlock(new Uint8Array(10)), /"SPCM" header/);
  const slow = good.slice();
  new DataView(slow.buffer).setUint32(8, 44100, true);
  assert.throws(() => decodePcmBlock(slow), /44100 Hz/);
  const wide = good.slice();
  wide[12] = 6;
  assert.throws(() => decodePcmBlock(wide), /6 channels/);
});

Deno.test("a float block's NaN and infinities arrive as silence", () => {
  const bytes = encodePcmBlock(Float32Array.of(NaN, Infinity, 0.5, -0.5), 2, 0);
  assert.deepEqual([...decodePcmBlock(bytes).samples], [0, 0, 0.5, -0.5]);
});

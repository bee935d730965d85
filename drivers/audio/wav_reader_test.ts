import assert from "node:assert/strict";
import { readWav } from "./wav_reader.ts";
import { wavHeader } from "./wav_writer.ts";
import { resampleLinear } from "./resample.ts";

/** A WAV with a custom fmt chunk (format tag, bits) and these sample bytes. */
function wav(tag: number, channels: number, rate: number, bits: number, data: Uint8Array) {
  const bytes = new Uint8Array(44 + data.length);
  bytes.set(wavHeader(rate, channels, data.length));
  const view = new DataView(bytes.buffer);
  view.setUint16(20, tag, true);
  view.setUint16(32, channels * bits / 8, true);
  view.setUint16(34, bits, true);
  bytes.set(data, 44);
  return bytes;
}

Deno.test("PCM 16 and 24-bit and float WAVs decode to mono floats (channels averaged)", () => {
  const s16 = new DataView(new ArrayBuffer(8));
  s16.setInt16(0, 16384, true), s16.setInt16(2, 0, true), s16.setInt16(4, -32768, true);
  s16.setInt16(6, -32768, true);
  const a = readWav(wav(1, 2, 44100, 16, new Uint8Array(s16.buffer)));
  assert.deepEqual([a.sampleRate, a.channels, [...a.samples]], [44100, 2, [0.25, -1]]);
  const b = readWav(wav(1, 1, 48000, 24, Uint8Array.of(0, 0, 0x40, 0, 0, 0xc0)));
  assert.deepEqual([...b.samples], [0.5, -0.5]);
  const f = new Float32Array([0.125, -0.75]);
  assert.deepEqual([...readWav(wav(3, 1, 48000, 32, new Uint8Array(f.buffer))).samples], [
    0.125,
    -0.75,
  ]);
});

Deno.test("a broken or unsupported WAV is refused saying what it found", () => {
  assert.throws(() => readWav(new TextEncoder().encode("not a wav at all")), /RIFF\/WAVE/);
  assert.throws(() => readWav(wav(2, 1, 48000, 4, new Uint8Array(4))), /format 2 with 4-bit/);
  const noData = wav(1, 1, 48000, 16, new Uint8Array(0)).subarray(0, 36);
  assert.throws(() => readWav(noData), /no "data" chunk/);
});

Deno.test("resampling 44.1 kHz to 48 kHz keeps the length in time and the waveform", () => {
  const from = Float32Array.from(
    { length: 4410 },
    (_, i) => Math.sin((2 * Math.PI * 1000 * i) / 44100),
  );
  const to = resampleLinear(from, 44100, 48000);
  assert.equal(to.length, 4800);
  let worst = 0;
  for (let i = 0; i < 4790; i++) {
    worst = Math.max(worst, Math.abs(to[i]! - Math.sin((2 * Math.PI * 1000 * i) / 48000)));
  }
  assert.ok(worst < 0.01, `off by ${worst}`);
  assert.equal(resampleLinear(from, 48000, 48000), from);
});

import assert from "node:assert/strict";
import { Mixer, type MixSource } from "./mixer.ts";

const BLOCK = 800;
const centre = { left: Math.SQRT1_2, right: Math.SQRT1_2 };

function source(over: Partial<MixSource> = {}): MixSource {
  return {
    id: 1,
    clip: null,
    tone: 0,
    volume: 1,
    loop: false,
    playing: true,
    gains: { left: 1, right: 0 },
    ...over,
  };
}

const block = (mixer: Mixer, sources: MixSource[]) =>
  mixer.mix(sources, new Float32Array(BLOCK * 2));
const channel = (b: Float32Array, c: 0 | 1) => b.filter((_, i) => i % 2 === c);
const peak = (x: Float32Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

Deno.test("a one-shot clip plays once from the start, then is silent", () => {
  const mixer = new Mixer(48000);
  const clip = new Float32Array(1000).fill(0.5);
  const first = block(mixer, [source({ clip })]);
  assert.deepEqual([first[0], first[1]], [0.5, 0], "hard left");
  const second = channel(block(mixer, [source({ clip })]), 0);
  assert.equal(second[199], 0.5, "frames 800..999 play in the second block");
  assert.equal(second[200], 0, "then it ends");
  assert.equal(peak(block(mixer, [source({ clip })])), 0, "and stays silent");
});

Deno.test("a looping clip wraps around and keeps its position per entity", () => {
  const mixer = new Mixer(48000);
  const clip = Float32Array.from({ length: 300 }, (_, i) => i / 300);
  const a = channel(block(mixer, [source({ clip, loop: true })]), 0);
  assert.equal(a[300], 0, "it wrapped at 300");
  assert.equal(a[301], clip[1]);
  const b = channel(block(mixer, [source({ clip, loop: true })]), 0);
  assert.equal(b[0], clip[800 % 300], "the next block goes on where the last one stopped");
});

Deno.test("playing false is silence and rewinds; a forgotten entity stops", () => {
  const mixer = new Mixer(48000);
  const clip = Float32Array.from({ length: 4000 }, (_, i) => (i + 1) / 4000);
  block(mixer, [source({ clip })]);
  assert.equal(peak(block(mixer, [source({ clip, playing: false })])), 0);
  assert.equal(channel(block(mixer, [source({ clip })]), 0)[0], clip[0], "started again from 0");
  assert.equal(mixer.tracked, 1);
  assert.equal(peak(block(mixer, [])), 0);
  assert.equal(mixer.tracked, 0, "a source no longer passed is forgotten");
});

Deno.test("a tone is a continuous sine at its frequency, volume and gains", () => {
  const mixer = new Mixer(48000);
  const tone = { tone: 1000, volume: 0.5, gains: centre };
  const a = channel(block(mixer, [source(tone)]), 1);
  const b = channel(block(mixer, [source(tone)]), 1);
  const expected = (i: number) => 0.5 * Math.SQRT1_2 * Math.sin((2 * Math.PI * 1000 * i) / 48000);
  for (const i of [0, 12, 399, 799]) assert.ok(Math.abs(a[i]! - expected(i)) < 1e-4);
  assert.ok(Math.abs(b[0]! - expected(800)) < 1e-4, "the phase carries across blocks");
});

Deno.test("gains glide over a block when a source moves, and sources add up", () => {
  const mixer = new Mixer(48000);
  const clip = new Float32Array(48000).fill(1);
  block(mixer, [source({ clip, gains: { left: 1, right: 0 } })]);
  const moved = block(mixer, [source({ clip, gains: { left: 0, right: 1 } })]);
  assert.ok(moved[0]! > 0.99 && moved[1]! < 0.01, "it starts where it was");
  assert.ok(moved[2 * 799]! < 0.01 && moved[2 * 799 + 1]! > 0.99, "and ends where it is now");
  const two = block(new Mixer(48000), [source({ clip }), source({ id: 2, clip, gains: centre })]);
  assert.ok(Math.abs(two[0]! - (1 + Math.SQRT1_2)) < 1e-6, "two sources add");
});

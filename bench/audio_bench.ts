/**
 * What the audio driver's mix costs per tick, in-process with its own code:
 * for 1, 16 and 128 sources (half tones, half looping 1 s clips, placed
 * around the listener) one tick's block at 48 kHz / 60 Hz (800 frames of
 * stereo) — each source's ear gains (distance and pan), the mix, the
 * limiter, and the block encoded for the "audio" port. The baseline,
 * measured in the same run, is the least any mixer must do: a plain loop
 * adding the same number of samples (sources × 800 × 2) into one block.
 * Rounds interleave the cases so a noisy moment of a shared machine weighs
 * on both; the table shows medians and p99 per tick, the ratio to the
 * baseline, and the share of a 60 Hz tick (16.7 ms). Writes
 * `bench/audio_results.json` (unless `--no-json`).
 *
 * @module
 */
import { Limiter } from "../drivers/audio/limiter.ts";
import { Mixer, type MixSource } from "../drivers/audio/mixer.ts";
import { encodePcmBlock, PCM_RATE } from "../drivers/audio/pcm_block.ts";
import { IDENTITY_POSE } from "../drivers/audio/pose.ts";
import { spatialGains } from "../drivers/audio/spatializer.ts";
import { stats } from "./_bench_tools.ts";

const HZ = 60;
const FRAMES = PCM_RATE / HZ;
const COUNTS = [1, 16, 128] as const;
const ROUNDS = 5;
const TICKS_PER_ROUND = 400;
const WARMUP_TICKS = 200;

/** Sources around the listener, moving a little each tick (so gains glide, as in a world). */
function makeSources(count: number): { sources: MixSource[]; positions: number[][] } {
  const clip = Float32Array.from({ length: PCM_RATE }, (_, i) => 0.3 * Math.sin(i / 7));
  const sources: MixSource[] = [], positions: number[][] = [];
  for (let i = 0; i < count; i++) {
    const angle = (2 * Math.PI * i) / count;
    positions.push([3 * Math.cos(angle), 0, 3 * Math.sin(angle)]);
    sources.push({
      id: i + 1,
      clip: i % 2 === 0 ? null : clip,
      tone: i % 2 === 0 ? 220 + 10 * i : 0,
      volume: 0.5,
      loop: true,
      playing: true,
      gains: { left: 0, right: 0 },
    });
  }
  return { sources, positions };
}

/** One tick of the driver's mix for `count` sources; returns a function that runs it. */
function mixTick(count: number): () => number {
  const { sources, positions } = makeSources(count);
  const mixer = new Mixer(PCM_RATE);
  const limiter = new Limiter();
  let tick = 0;
  return () => {
    tick++;
    for (let i = 0; i < sources.length; i++) {
      const p = positions[i]!;
      p[0] = p[0]! + 0.001 * Math.sin(tick / 30);
      sources[i]!.gains = spatialGains(IDENTITY_POSE, p as [number, number, number]);
    }
    const block = mixer.mix(sources, new Float32Array(FRAMES * 2));
    limiter.process(block);
    return encodePcmBlock(block, 2, tick).length;
  };
}

/** The baseline: add `count` × 800 × 2 samples into one block with a plain loop. */
function copyTick(count: number): () => number {
  const input = Float32Array.from({ length: FRAMES * 2 }, (_, i) => Math.sin(i));
  const out = new Float32Array(FRAMES * 2);
  return () => {
    out.fill(0);
    for (let s = 0; s < count; s++) {
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + input[i]!;
    }
    return out[0]!;
  };
}

/** Microseconds per call of `run`, `ticks` times. */
function time(run: () => number, ticks: number): number[] {
  const samples: number[] = [];
  let sink = 0;
  for (let t = 0; t < ticks; t++) {
    const start = performance.now();
    sink += run();
    samples.push((performance.now() - start) * 1000);
  }
  if (Number.isNaN(sink)) console.log("(unreachable)");
  return samples;
}

if (import.meta.main) {
  const cases = COUNTS.map((count) => ({ count, mix: mixTick(count), copy: copyTick(count) }));
  const samples = new Map(COUNTS.map((c) => [c, { mix: [] as number[], copy: [] as number[] }]));
  for (const c of cases) time(c.mix, WARMUP_TICKS), time(c.copy, WARMUP_TICKS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      samples.get(c.count)!.mix.push(...time(c.mix, TICKS_PER_ROUND));
      samples.get(c.count)!.copy.push(...time(c.copy, TICKS_PER_ROUND));
    }
  }
  const tickUs = 1e6 / HZ;
  const rows = COUNTS.map((count) => {
    const mix = stats(samples.get(count)!.mix), copy = stats(samples.get(count)!.copy);
    return {
      sources: count,
      mixP50Us: mix.p50,
      mixP99Us: mix.p99,
      baselineP50Us: copy.p50,
      ratio: Math.round((mix.p50 / copy.p50) * 100) / 100,
      tickShare: Math.round((mix.p50 / tickUs) * 10000) / 100,
    };
  });
  console.log(`\nAudio mix per tick: 48 kHz stereo, ${HZ} Hz (${FRAMES} frames a block)\n`);
  console.log("| sources | mix p50 (µs) | mix p99 (µs) | baseline p50 (µs) | ratio | of a tick |");
  console.log("| ------: | -----------: | -----------: | ----------------: | ----: | --------: |");
  for (const r of rows) {
    console.log(
      `| ${r.sources} | ${r.mixP50Us.toFixed(1)} | ${r.mixP99Us.toFixed(1)} | ` +
        `${r.baselineP50Us.toFixed(1)} | ${r.ratio}× | ${r.tickShare} % |`,
    );
  }
  console.log(
    "\nbaseline: a plain loop adding the same number of samples (sources × 1600) into one block",
  );
  if (!Deno.args.includes("--no-json")) {
    const out = new URL("./audio_results.json", import.meta.url);
    await Deno.writeTextFile(
      out,
      JSON.stringify({ date: new Date().toISOString(), hz: HZ, frames: FRAMES, rows }, null, 2) +
        "\n",
    );
  }
}

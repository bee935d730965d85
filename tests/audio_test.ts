/**
 * The audio driver (drivers/audio/) in a real world, enabled by its file as
 * a world owner would: its WAV output is read back and analysed — levels
 * per channel as a source passes from the listener's left to its right,
 * silence when stopped and despawned, attenuation with distance, a looping
 * and a one-shot clip from the assets folder, voice frames from another
 * driver, and bad input that is logged while the world plays on.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeScriptsWithCounter, runTestWorld, type TestFolder, type TestRun } from "./_world.ts";
import { runDriverContract } from "./driver_contract.ts";

const AUDIO_DRIVER = new URL("../drivers/audio/audio.ts", import.meta.url).pathname;
const FIXTURES = new URL("./fixtures/drivers/", import.meta.url).pathname;
const RATE = 48000;
const HZ = 60;
const BLOCK = RATE / HZ;

/** A world folder with the audio driver enabled (and more drivers), writing `.syncra/audio/out.wav`. */
async function audioWorld(
  scripts: Record<string, string>,
  options: {
    assets?: Record<string, Uint8Array>;
    drivers?: Record<string, Record<string, unknown>>;
  } = {},
): Promise<TestFolder & { out: string }> {
  const folder = await makeScriptsWithCounter(scripts);
  const assets = join(folder.root, "assets");
  const outDir = join(folder.root, ".syncra", "audio");
  await Deno.mkdir(assets, { recursive: true });
  // The jail binds the folder it may write: it must exist before the driver starts.
  await Deno.mkdir(outDir, { recursive: true });
  for (const [name, bytes] of Object.entries(options.assets ?? {})) {
    await Deno.writeFile(join(assets, name), bytes);
  }
  const drivers: Record<string, unknown> = {
    audio: {
      file: AUDIO_DRIVER,
      approve: { read: ["assets"], write: [".syncra/audio"] },
      out: join(outDir, "out.wav"),
      assets,
      hz: HZ,
    },
  };
  for (const [name, entry] of Object.entries(options.drivers ?? {})) {
    await Deno.mkdir(join(folder.root, "drivers"), { recursive: true });
    const file = String(entry.fixture);
    await Deno.copyFile(join(FIXTURES, file), join(folder.root, "drivers", file));
    drivers[name] = { file: `drivers/${file}` };
  }
  await Deno.writeTextFile(join(folder.root, "syncra.json"), JSON.stringify({ drivers }));
  return Object.assign(folder, { out: join(outDir, "out.wav") });
}

/** A parsed 16-bit PCM WAV: its header fields and its samples per channel. */
interface Wav {
  rate: number;
  channels: number;
  bits: number;
  dataBytes: number;
  left: Float32Array;
  right: Float32Array;
}

/** Parses a canonical 16-bit stereo WAV by hand (independently of the driver's own code). */
function parseWav(bytes: Uint8Array): Wav {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = (at: number) => new TextDecoder().decode(bytes.subarray(at, at + 4));
  assert.equal(text(0), "RIFF");
  assert.equal(text(8), "WAVE");
  assert.equal(text(12), "fmt ");
  assert.equal(view.getUint32(16, true), 16, "a 16-byte fmt chunk");
  assert.equal(view.getUint16(20, true), 1, "PCM");
  const channels = view.getUint16(22, true);
  const rate = view.getUint32(24, true);
  const bits = view.getUint16(34, true);
  assert.equal(view.getUint32(28, true), rate * channels * 2, "byte rate");
  assert.equal(view.getUint16(32, true), channels * 2, "block align");
  assert.equal(text(36), "data");
  const dataBytes = view.getUint32(40, true);
  assert.equal(view.getUint32(4, true), 36 + dataBytes, "the RIFF size covers the data");
  assert.equal(bytes.length, 44 + dataBytes, "the data size is the file's");
  const frames = dataBytes / 4;
  const left = new Float32Array(frames), right = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = view.getInt16(44 + i * 4, true) / 32768;
    right[i] = view.getInt16(46 + i * 4, true) / 32768;
  }
  return { rate, channels, bits, dataBytes, left, right };
}

/** The world tick the WAV's first block belongs to, from the driver's log. */
function firstTick(run: TestRun): number {
  for (const e of run.events) {
    const m = e.type === "log" && e.script === "audio" && /from tick (\d+)/.exec(e.text);
    if (m) return Number(m[1]);
  }
  throw new Error(`The audio driver never said where it started: ${JSON.stringify(logOf(run))}`);
}

/** What the audio driver logged. */
function logOf(run: TestRun, name = "audio"): string[] {
  return run.events.flatMap((e) => (e.type === "log" && e.script === name ? [e.text] : []));
}

/** RMS of each channel over world ticks [from, to) (the WAV's blocks, one per tick). */
function levels(
  wav: Wav,
  start: number,
  from: number,
  to: number,
): { left: number; right: number } {
  const a = Math.max(0, (from - start) * BLOCK),
    b = Math.min(wav.left.length, (to - start) * BLOCK);
  assert.ok(b - a >= BLOCK * 5, `ticks ${from}..${to} are in the file (${wav.left.length} frames)`);
  const rms = (x: Float32Array) => {
    let sum = 0;
    for (let i = a; i < b; i++) sum += x[i]! * x[i]!;
    return Math.sqrt(sum / (b - a));
  };
  return { left: rms(wav.left), right: rms(wav.right) };
}

/** Runs the world over `folder` for `ticks` at 60 Hz and reads the WAV the driver wrote. */
async function runAndRead(folder: TestFolder & { out: string }, ticks: number) {
  const run = await runTestWorld(folder, { ticks, hz: HZ });
  const audio = run.report.drivers.find((d) => d.name === "audio");
  assert.ok(audio, "the audio driver ran");
  assert.equal(audio.state, "running", audio.lastError ?? "");
  assert.equal(audio.restarts, 0, audio.lastError ?? "");
  const wav = parseWav(await Deno.readFile(folder.out));
  return { run, wav, start: firstTick(run) };
}

const fmt = (x: { left: number; right: number }) =>
  `L ${x.left.toFixed(4)} R ${x.right.toFixed(4)}`;

// The camera at the origin looks down -z; a 440 Hz tone passes it, 2 m away, from left to right.
const PASSING = `
import { AudioSource, Camera, defineSystem, Transform } from "@syncra/std";
const PHASES = [[-2, 0, 0], [-1.414, 0, -1.414], [0, 0, -2], [1.414, 0, -1.414], [2, 0, 0], [1.414, 0, 1.414]];
export default defineSystem({
  queries: { sources: { writes: [Transform, AudioSource] }, cameras: { writes: [Camera] } },
  spawns: true,
  init(ctx) {
    ctx.spawn({ Transform: {}, Camera: { active: true } });
    ctx.spawn({ Transform: { position: PHASES[0] }, AudioSource: { tone: 440, playing: true, volume: 0.8 } });
  },
  run(ctx) {
    const phase = Math.min(PHASES.length - 1, Math.floor(ctx.tick / 30));
    ctx.query("sources").write(Transform).position.set(PHASES[phase]);
  },
});`;

Deno.test("a source passing from the listener's left to its right is louder left, then equal, then louder right", async () => {
  await using folder = await audioWorld({ "scene.ts": PASSING });
  const { wav, start } = await runAndRead(folder, 6 * 30 + 20);
  assert.deepEqual([wav.rate, wav.channels, wav.bits], [48000, 2, 16]);
  // Each phase is 30 ticks; the middle 20 of each are measured.
  const at = (phase: number) => levels(wav, start, phase * 30 + 5, phase * 30 + 25);
  const phases = [0, 1, 2, 3, 4, 5].map(at);
  const [left, frontLeft, front, frontRight, right, behindRight] = phases;
  const said = phases.map(fmt).join("; ");
  console.log(`levels: ${said}`);
  // 2 m away: inverse distance gives 0.5; a 0.8 sine's RMS is 0.566: 0.283 in all.
  const whole = 0.8 * 0.5 / Math.SQRT2;
  assert.ok(left!.left > whole * 0.95 && left!.right < 0.01, `hard left: ${said}`);
  assert.ok(frontLeft!.left > frontLeft!.right * 2, `front left: ${said}`);
  assert.ok(Math.abs(front!.left - front!.right) < 0.01 * whole, `ahead, equal: ${said}`);
  assert.ok(Math.abs(front!.left - whole * Math.SQRT1_2) < 0.05 * whole, `equal power: ${said}`);
  assert.ok(frontRight!.right > frontRight!.left * 2, `front right: ${said}`);
  assert.ok(right!.right > whole * 0.95 && right!.left < 0.01, `hard right: ${said}`);
  assert.ok(behindRight!.right > behindRight!.left * 2, `behind, still on the right: ${said}`);
});

// A tone ahead that plays, stops, plays again, and is despawned: 30 ticks each.
const STOPPING = `
import { AudioSource, Camera, defineSystem, Transform } from "@syncra/std";
export default defineSystem({
  queries: { sources: { writes: [AudioSource] }, cameras: { writes: [Camera, Transform] } },
  spawns: true,
  init(ctx) {
    ctx.spawn({ Transform: {}, Camera: { active: true } });
    ctx.spawn({ Transform: { position: [0, 0, -1] }, AudioSource: { tone: 500, playing: true } });
  },
  run(ctx) {
    const sources = ctx.query("sources");
    if (sources.count === 0) return;
    sources.write(AudioSource).playing[0] = ctx.tick >= 30 && ctx.tick < 60 ? 0 : 1;
    if (ctx.tick === 90) ctx.despawn(sources.entities[0]);
  },
});`;

Deno.test("a source is silent while stopped, plays again when started, and stops when despawned", async () => {
  await using folder = await audioWorld({ "scene.ts": STOPPING });
  const { wav, start } = await runAndRead(folder, 130);
  const playing = levels(wav, start, Math.max(start, 5), 25);
  const stopped = levels(wav, start, 35, 55);
  const again = levels(wav, start, 65, 85);
  const gone = levels(wav, start, 95, 120);
  const said = [playing, stopped, again, gone].map(fmt).join("; ");
  console.log(`playing, stopped, again, despawned: ${said}`);
  // 1 m ahead: gain 1, centred: 0.707 per ear; a full-scale sine's RMS is 0.707: 0.5.
  assert.ok(Math.abs(playing.left - 0.5) < 0.01 && Math.abs(playing.right - 0.5) < 0.01, said);
  assert.deepEqual(stopped, { left: 0, right: 0 }, `stopped is silence: ${said}`);
  assert.ok(Math.abs(again.left - 0.5) < 0.01, `started again: ${said}`);
  assert.deepEqual(gone, { left: 0, right: 0 }, `despawned is silence: ${said}`);
});

// A tone straight ahead at 0.5, 1, 2, 4 and 8 m: 30 ticks each.
const RECEDING = `
import { AudioSource, Camera, defineSystem, Transform } from "@syncra/std";
const DISTANCES = [0.5, 1, 2, 4, 8];
export default defineSystem({
  queries: { sources: { writes: [Transform, AudioSource] }, cameras: { writes: [Camera] } },
  spawns: true,
  init(ctx) {
    // The camera turned to look down +x: the source ahead of it is on the +x axis.
    ctx.spawn({ Transform: { position: [0, 1, 0], rotation: [0, -Math.SQRT1_2, 0, Math.SQRT1_2] },
      Camera: { active: true } });
    ctx.spawn({ Transform: { position: [0.5, 1, 0] }, AudioSource: { tone: 300, playing: true } });
  },
  run(ctx) {
    const d = DISTANCES[Math.min(DISTANCES.length - 1, Math.floor(ctx.tick / 30))];
    ctx.query("sources").write(Transform).position.set([d, 1, 0]);
  },
});`;

Deno.test("a farther source is quieter, as 1 / distance beyond a metre, and in both ears alike when ahead", async () => {
  await using folder = await audioWorld({ "scene.ts": RECEDING });
  const { wav, start } = await runAndRead(folder, 5 * 30 + 10);
  const at = [0, 1, 2, 3, 4].map((k) =>
    levels(wav, start, Math.max(start, k * 30 + 5), k * 30 + 25)
  );
  const said = at.map(fmt).join("; ");
  console.log(`at 0.5, 1, 2, 4, 8 m: ${said}`);
  const expected = [1, 1, 0.5, 0.25, 0.125].map((g) => 0.5 * g);
  for (const [k, level] of at.entries()) {
    assert.ok(Math.abs(level.left - level.right) < 0.002, `ahead: both ears alike: ${said}`);
    assert.ok(
      Math.abs(level.left - expected[k]!) < 0.03 * expected[k]!,
      `level ${k} is ${level.left}, expected ${expected[k]}: ${said}`,
    );
  }
});

/** A WAV file's bytes (the test's own encoder): PCM16 or float32, interleaved `channels`. */
function wavFile(
  rate: number,
  channels: number,
  float: boolean,
  samples: Float32Array,
): Uint8Array {
  const width = float ? 4 : 2;
  const bytes = new Uint8Array(44 + samples.length * width);
  const view = new DataView(bytes.buffer);
  const text = (at: number, s: string) => bytes.set(new TextEncoder().encode(s), at);
  text(0, "RIFF");
  view.setUint32(4, 36 + samples.length * width, true);
  text(8, "WAVEfmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, float ? 3 : 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * channels * width, true);
  view.setUint16(32, channels * width, true);
  view.setUint16(34, width * 8, true);
  text(36, "data");
  view.setUint32(40, samples.length * width, true);
  samples.forEach((v, i) => {
    if (float) view.setFloat32(44 + i * 4, v, true);
    else view.setInt16(44 + i * 2, Math.round(v * 32767), true);
  });
  return bytes;
}

/** `seconds` of a sine at `hz`, amplitude `a`, at `rate`, in `channels` (the same in each). */
function sine(rate: number, channels: number, seconds: number, hz: number, a: number) {
  const frames = Math.round(rate * seconds);
  const out = new Float32Array(frames * channels);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      out[i * channels + c] = a * Math.sin(2 * Math.PI * hz * i / rate);
    }
  }
  return out;
}

// A looping clip 1 m to the listener's left, a one-shot clip 1 m to its right.
const CLIPS = `
import { AudioSource, Camera, defineSystem, Transform } from "@syncra/std";
export default defineSystem({
  queries: { sources: { writes: [Transform, AudioSource] }, cameras: { writes: [Camera] } },
  spawns: true,
  init(ctx) {
    ctx.spawn({ Transform: {}, Camera: { active: true } });
    ctx.spawn({ Transform: { position: [-1, 0, 0] },
      AudioSource: { asset: "sounds/loop.wav", loop: true, playing: true } });
    ctx.spawn({ Transform: { position: [1, 0, 0] },
      AudioSource: { asset: "sounds/shot.wav", playing: true } });
  },
});`;

Deno.test("a looping clip from the assets folder plays on, resampled to 48 kHz; a one-shot plays once", async () => {
  // 0.1 s of 1 kHz at 44.1 kHz, 16-bit mono (it loops seamlessly: 100 whole cycles); 0.2 s of
  // 600 Hz at 48 kHz, float stereo.
  const folder = await audioWorld({ "scene.ts": CLIPS });
  await using _ = folder;
  await Deno.mkdir(join(folder.root, "assets", "sounds"));
  await Deno.writeFile(
    join(folder.root, "assets", "sounds", "loop.wav"),
    wavFile(44100, 1, false, sine(44100, 1, 0.1, 1000, 0.5)),
  );
  await Deno.writeFile(
    join(folder.root, "assets", "sounds", "shot.wav"),
    wavFile(48000, 2, true, sine(48000, 2, 0.2, 600, 0.5)),
  );
  const { wav, start } = await runAndRead(folder, 90);
  const early = levels(wav, start, start, start + 10);
  const later = levels(wav, start, start + 20, start + 80);
  console.log(`first 10 ticks: ${fmt(early)}; ticks 20 to 80: ${fmt(later)}`);
  // Hard left and hard right at 1 m: each clip in one ear at its level (0.5 / √2).
  const level = 0.5 / Math.SQRT2;
  assert.ok(Math.abs(early.left - level) < 0.02 * level, `the loop plays: ${fmt(early)}`);
  assert.ok(Math.abs(early.right - level) < 0.02 * level, `the one-shot plays: ${fmt(early)}`);
  assert.ok(Math.abs(later.left - level) < 0.02 * level, `the loop plays on: ${fmt(later)}`);
  assert.equal(later.right, 0, "the one-shot played once (0.2 s, 12 ticks) and is silent after");
  // The loop repeats every 4800 frames (0.1 s at 48 kHz).
  let worst = 0;
  for (let i = 20 * BLOCK; i < 60 * BLOCK; i++) {
    worst = Math.max(worst, Math.abs(wav.left[i]! - wav.left[i + 4800]!));
  }
  assert.ok(worst < 0.002, `the left channel repeats every 0.1 s: off by at most ${worst}`);
});

Deno.test("voice frames are mixed in both ears; a bad voice frame, a broken WAV and a missing asset are logged by name, and it plays on", async () => {
  const scene = `
import { AudioSource, defineSystem, Transform } from "@syncra/std";
export default defineSystem({
  queries: { sources: { writes: [Transform, AudioSource] } }, spawns: true,
  init(ctx) {
    ctx.spawn({ Transform: {}, AudioSource: { asset: "broken.wav", playing: true } });
    ctx.spawn({ Transform: {}, AudioSource: { asset: "missing.wav", playing: true } });
  },
});`;
  await using folder = await audioWorld({ "scene.ts": scene }, {
    assets: { "broken.wav": new TextEncoder().encode("RIFF....WAVEjunk") },
    drivers: { voice_sender: { fixture: "voice_sender.ts" } },
  });
  const { run, wav, start } = await runAndRead(folder, 90);
  const said = logOf(run).join("\n");
  assert.match(
    said,
    /entity \d+ plays silence: Cannot load asset "broken\.wav": Cannot read WAV: it has no "fmt " chunk/,
  );
  assert.match(
    said,
    /entity \d+ plays silence: Cannot load asset "missing\.wav" from \S+: no such file/,
  );
  assert.match(
    said,
    /refused a voice frame from "voice_sender": Cannot mix a pcm block of the wrong size: its header says 800 frames of 1 channels \(1620 bytes\), it has 1610 bytes/,
  );
  // 0.25 amplitude in both ears: RMS 0.177 (less where a frame came late and left a gap).
  const voice = levels(wav, start, start + 30, start + 80);
  console.log(`voice: ${fmt(voice)}`);
  assert.ok(voice.left > 0.12 && voice.left < 0.18, fmt(voice));
  assert.ok(Math.abs(voice.left - voice.right) < 0.001, `not positioned: ${fmt(voice)}`);
});

Deno.test("the audio driver meets the driver contract", async (t) => {
  await runDriverContract(t, {
    name: "audio",
    module: AUDIO_DRIVER,
    entry: { file: AUDIO_DRIVER, approve: { read: ["assets"], write: [".syncra/audio"] }, hz: 100 },
    folders: [".syncra/audio"],
  });
});

Deno.test("deno task world --audio-out FILE runs the built-in audio driver, approved for that file's folder and the assets", async () => {
  await using folder = await makeScriptsWithCounter({
    "tone.ts": `
import { AudioSource, Camera, defineSystem, Transform } from "@syncra/std";
export default defineSystem({
  writes: [Transform, AudioSource, Camera], spawns: true,
  init(ctx) {
    ctx.spawn({ Transform: { position: [-2, 0, 0] }, AudioSource: { tone: 440, playing: true, loop: true, volume: 0.5 } });
    ctx.spawn({ Transform: {}, Camera: {} });
  },
  run() {},
});`,
  });
  // A folder that does not exist yet: the runtime makes it before the jail binds it.
  const out = join(folder.root, "recordings", "mix.wav");
  const run = await runTestWorld(folder, { ticks: 60, hz: HZ, audio: { out } });
  const audio = run.report.drivers.find((d) => d.name === "audio")!;
  assert.equal(audio.state, "running", audio.lastError ?? "");
  assert.ok(
    audio.command.includes(`--allow-write=${join(folder.root, "recordings")}`),
    audio.command.join(" "),
  );
  const wav = parseWav(await Deno.readFile(out));
  const level = levels(wav, firstTick(run), firstTick(run) + 5, 55);
  // A 0.5 sine 2 m to the left: RMS 0.5 / 2 / √2 in the left ear, nothing in the right.
  assert.ok(Math.abs(level.left - 0.25 / Math.SQRT2) < 0.01 && level.right < 0.001, fmt(level));
});

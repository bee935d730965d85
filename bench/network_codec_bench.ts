/**
 * `deno run -A bench/network_codec_bench.ts`: the viewer's transform codec
 * against `@colyseus/schema`, in-process, on the same changes.
 *
 * - **Scene** (the viewer bench's): 1 000 entities moving at 0–3 m/s in
 *   random directions and turning at 0–180°/s about random axes, for 600
 *   ticks at 60 Hz, simulated here with a seeded PRNG into float32 columns
 *   (as the feed has them), so both codecs see exactly the same changes.
 *   Every tick every position and rotation changes; scale stays [1, 1, 1].
 * - **Syncra**: `TransformEncoder.encode` of each tick's columns
 *   (drivers/viewer/transform_codec.ts), each frame decoded by a
 *   `TransformDecoder` and checked to stay within 1 mm and 0.1° of the truth.
 * - **@colyseus/schema**: an entity `Schema` with position x, y, z and
 *   rotation x, y, z, w as "float32" fields (and again as "number"), in a
 *   `MapSchema` of the root state keyed by id; each tick the fields are set,
 *   then `encoder.encode()` and `encoder.discardChanges()`; each patch is
 *   decoded by a `Decoder` and checked to hold the values exactly.
 * - **Bytes per changed Transform**: all patch bytes after the first
 *   (snapshot) frame / (entities × ticks); "on the wire" adds each tick's
 *   WebSocket frame header (2, 4 or 10 bytes). Targets: ≤ 8 B on the wire,
 *   and ≤ 0.5× @colyseus/schema's "float32" state.
 * - **Encode time** per tick (p50 over ticks): one encoder's, whose frame
 *   serves every client in both (the viewer and a colyseus room broadcast it).
 *
 * Writes `bench/network_codec_results.json` (unless `--no-json`).
 *
 * @module
 */
// A bench-only dependency, pinned here rather than in deno.json's imports.
// deno-lint-ignore no-import-prefix
import { Decoder, Encoder, schema } from "npm:@colyseus/schema@3.0.76";
import { floatsOf, TransformDecoder, TransformEncoder } from "../drivers/viewer/transform_codec.ts";
import { type Stats, stats, wsFrameBytes } from "./_bench_tools.ts";

const COLYSEUS_VERSION = "3.0.76";
const ENTITIES = 1000;
const TICKS = 600;
const DT = 1 / 60;
const SEED = 20_251_203;
const MAX_MM = 1;
const MAX_DEG = 0.1;

/** A tiny seeded PRNG (mulberry32): [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One tick's transforms, as the feed has them: position 3 and rotation 4 per row. */
interface Frame {
  position: Float32Array;
  rotation: Float32Array;
}

/** The scene: ids, the (constant) scale column, and the transforms at ticks 0…TICKS. */
interface Scene {
  entities: Uint32Array;
  scale: Float32Array;
  frames: Frame[];
}

/** bench/_moving_boxes.ts's scene.ts and move.ts, in-process, in float32 columns. */
function simulate(): Scene {
  const random = mulberry32(SEED);
  const position = new Float32Array(ENTITIES * 3);
  const rotation = new Float32Array(ENTITIES * 4);
  const velocity = new Float64Array(ENTITIES * 3);
  const axis = new Float64Array(ENTITIES * 3);
  const spin = new Float64Array(ENTITIES);
  for (let i = 0; i < ENTITIES; i++) {
    const speed = random() * 3, a = random() * Math.PI * 2, b = (random() - 0.5) * Math.PI;
    velocity.set(
      [Math.cos(a) * Math.cos(b) * speed, Math.sin(b) * speed, Math.sin(a) * Math.cos(b) * speed],
      i * 3,
    );
    const v = [random() - 0.5, random() - 0.5, random() - 0.5];
    const l = Math.hypot(...v) || 1;
    axis.set(v.map((x) => x / l), i * 3);
    position.set(
      [(random() - 0.5) * 40, (random() - 0.5) * 10, (random() - 0.5) * 40],
      i * 3,
    );
    rotation.set([0, 0, 0, 1], i * 4);
    spin[i] = random() * Math.PI; // rad/s
  }
  const frames: Frame[] = [{ position: position.slice(), rotation: rotation.slice() }];
  for (let tick = 1; tick <= TICKS; tick++) {
    for (let i = 0; i < ENTITIES; i++) {
      for (let k = 0; k < 3; k++) position[i * 3 + k]! += velocity[i * 3 + k]! * DT;
      // Turn by spin·dt about the axis: q ← dq · q.
      const h = (spin[i]! * DT) / 2, s = Math.sin(h);
      const ax = axis[i * 3]! * s, ay = axis[i * 3 + 1]! * s, az = axis[i * 3 + 2]! * s;
      const aw = Math.cos(h);
      const q = i * 4;
      const x = rotation[q]!, y = rotation[q + 1]!, z = rotation[q + 2]!, w = rotation[q + 3]!;
      rotation[q] = aw * x + ax * w + ay * z - az * y;
      rotation[q + 1] = aw * y - ax * z + ay * w + az * x;
      rotation[q + 2] = aw * z + ax * y - ay * x + az * w;
      rotation[q + 3] = aw * w - ax * x - ay * y - az * z;
    }
    frames.push({ position: position.slice(), rotation: rotation.slice() });
  }
  return {
    entities: Uint32Array.from({ length: ENTITIES }, (_, i) => i + 1),
    scale: new Float32Array(ENTITIES * 3).fill(1),
    frames,
  };
}

/** The angle between two rotations, in degrees. */
function angleBetween(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const na = Math.hypot(a[0]!, a[1]!, a[2]!, a[3]!), nb = Math.hypot(b[0]!, b[1]!, b[2]!, b[3]!);
  const dot = Math.abs(a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]! + a[3]! * b[3]!) / (na * nb);
  return (2 * Math.acos(Math.min(1, dot)) * 180) / Math.PI;
}

/** What one codec sent for the scene. */
interface CodecRun {
  snapshotBytes: number;
  /** Patch payload bytes of ticks 1…TICKS. */
  patchBytes: number;
  /** The same with each tick's WebSocket frame header. */
  wireBytes: number;
  encodeUs: Stats;
  /** Setting the fields (colyseus tracks changes there), µs per tick. */
  setUs?: Stats;
  /** Transforms the decoder was told moved (Syncra sends only those that changed visibly). */
  moved?: number;
  worstMm?: number;
  worstDeg?: number;
}

function runSyncra(scene: Scene): CodecRun {
  const { entities, scale, frames } = scene;
  const encoder = new TransformEncoder();
  const decoder = new TransformDecoder();
  const run: CodecRun = {
    snapshotBytes: 0,
    patchBytes: 0,
    wireBytes: 0,
    encodeUs: stats([]),
    moved: 0,
    worstMm: 0,
    worstDeg: 0,
  };
  const times: number[] = [];
  for (let tick = 0; tick <= TICKS; tick++) {
    const { position, rotation } = frames[tick]!;
    const t0 = performance.now();
    const frame = encoder.encode(tick, entities, position, rotation, scale);
    const t1 = performance.now();
    if (!frame) throw new Error(`Syncra sent nothing at tick ${tick}`);
    const { moved } = decoder.decode(frame);
    if (tick === 0) run.snapshotBytes = frame.length;
    else {
      times.push((t1 - t0) * 1000);
      run.patchBytes += frame.length;
      run.wireBytes += wsFrameBytes(frame.length);
      run.moved! += moved.length;
    }
    for (let i = 0; i < ENTITIES; i++) {
      const got = floatsOf(decoder.state.get(entities[i]!)!);
      for (let k = 0; k < 3; k++) {
        const mm = Math.abs(got.position[k]! - position[i * 3 + k]!) * 1000;
        if (mm > run.worstMm!) run.worstMm = mm;
      }
      const deg = angleBetween(got.rotation, rotation.subarray(i * 4, i * 4 + 4));
      if (deg > run.worstDeg!) run.worstDeg = deg;
    }
    if (run.worstMm! > MAX_MM || run.worstDeg! > MAX_DEG) {
      throw new Error(
        `Syncra's decoded transforms drifted at tick ${tick}: ${run.worstMm!.toFixed(3)} mm, ` +
          `${run.worstDeg!.toFixed(4)}° (limits ${MAX_MM} mm, ${MAX_DEG}°)`,
      );
    }
  }
  run.encodeUs = stats(times);
  return run;
}

/** The colyseus state a user writes: entities with flat position and rotation fields. */
function colyseusTypes(field: "float32" | "number") {
  const Entity = schema({
    x: field,
    y: field,
    z: field,
    rx: field,
    ry: field,
    rz: field,
    rw: field,
  }, `Entity_${field}`);
  const State = schema({ entities: { map: Entity } }, `State_${field}`);
  return { Entity, State };
}

function runColyseus(scene: Scene, field: "float32" | "number"): CodecRun {
  const { entities, frames } = scene;
  const { Entity, State } = colyseusTypes(field);
  // A tick's patch is tens of KB: room for it up front, so the encoder does not warn and regrow.
  Encoder.BUFFER_SIZE = 512 * 1024;
  const state = new State();
  const rows: InstanceType<typeof Entity>[] = [];
  const set = (tick: number) => {
    const { position: p, rotation: r } = frames[tick]!;
    for (let i = 0; i < ENTITIES; i++) {
      const e = rows[i]!;
      e.x = p[i * 3]!;
      e.y = p[i * 3 + 1]!;
      e.z = p[i * 3 + 2]!;
      e.rx = r[i * 4]!;
      e.ry = r[i * 4 + 1]!;
      e.rz = r[i * 4 + 2]!;
      e.rw = r[i * 4 + 3]!;
    }
  };
  for (let i = 0; i < ENTITIES; i++) {
    const e = new Entity();
    rows.push(e);
    state.entities.set(String(entities[i]!), e);
  }
  set(0);
  const encoder = new Encoder(state);
  const decoder = new Decoder(new State());
  // What a client joining gets: the whole state.
  const snapshot = encoder.encodeAll();
  const run: CodecRun = {
    snapshotBytes: snapshot.length,
    patchBytes: 0,
    wireBytes: 0,
    encodeUs: stats([]),
  };
  decoder.decode(snapshot);
  encoder.discardChanges();
  const encodeTimes: number[] = [], setTimes: number[] = [];
  for (let tick = 1; tick <= TICKS; tick++) {
    const t0 = performance.now();
    set(tick);
    const t1 = performance.now();
    const patch = encoder.encode();
    encoder.discardChanges();
    const t2 = performance.now();
    setTimes.push((t1 - t0) * 1000);
    encodeTimes.push((t2 - t1) * 1000);
    run.patchBytes += patch.length;
    run.wireBytes += wsFrameBytes(patch.length);
    decoder.decode(patch);
  }
  // The client's state holds exactly what was set (float32 fields round as the columns did).
  const last = frames[TICKS]!;
  const got = decoder.state.entities;
  for (let i = 0; i < ENTITIES; i++) {
    const e = got.get(String(entities[i]!));
    const want = [
      ...last.position.subarray(i * 3, i * 3 + 3),
      ...last.rotation.subarray(i * 4, i * 4 + 4),
    ];
    const have = e ? [e.x, e.y, e.z, e.rx, e.ry, e.rz, e.rw] : [];
    if (want.some((v, k) => have[k] !== v)) {
      throw new Error(`colyseus (${field}) decoded entity ${entities[i]} as ${have}, not ${want}`);
    }
  }
  run.encodeUs = stats(encodeTimes);
  run.setUs = stats(setTimes);
  return run;
}

const r2 = (n: number) => Math.round(n * 100) / 100;
const r1 = (n: number) => Math.round(n * 10) / 10;

if (import.meta.main) {
  const scene = simulate();
  const changed = ENTITIES * TICKS;
  const syncra = runSyncra(scene);
  const float32 = runColyseus(scene, "float32");
  const number = runColyseus(scene, "number");
  const row = (r: CodecRun) => ({
    bytesPerChangedTransform: r2(r.patchBytes / changed),
    onTheWireBytesPerChangedTransform: r2(r.wireBytes / changed),
    snapshotBytes: r.snapshotBytes,
    bytesPerTick: Math.round(r.wireBytes / TICKS),
    encodeUsPerTick: { p50: r1(r.encodeUs.p50), p99: r1(r.encodeUs.p99) },
    ...(r.setUs ? { setFieldsUsPerTick: { p50: r1(r.setUs.p50), p99: r1(r.setUs.p99) } } : {}),
  });
  const rows = {
    entities: ENTITIES,
    ticks: TICKS,
    changedTransforms: changed,
    colyseusVersion: COLYSEUS_VERSION,
    syncra: {
      ...row(syncra),
      movedTransforms: syncra.moved,
      worstPositionMm: Math.round(syncra.worstMm! * 1000) / 1000,
      worstRotationDeg: Math.round(syncra.worstDeg! * 10000) / 10000,
    },
    colyseusFloat32: row(float32),
    colyseusNumber: row(number),
    ratioOnTheWire: {
      float32: r2(syncra.wireBytes / float32.wireBytes),
      number: r2(syncra.wireBytes / number.wireBytes),
    },
    targets: { onTheWireBytesPerChangedTransform: 8, ratioOnTheWire: 0.5 },
  };
  const line = (name: string, r: ReturnType<typeof row>) =>
    console.log(
      `| ${name} | ${r.bytesPerChangedTransform} B | ${r.onTheWireBytesPerChangedTransform} B | ` +
        `${r.snapshotBytes} B | ${r.encodeUsPerTick.p50} µs` +
        (r.setFieldsUsPerTick ? ` (+ ${r.setFieldsUsPerTick.p50} µs setting fields)` : "") +
        " |",
    );
  console.log(
    `${ENTITIES} moving entities, ${TICKS} ticks at 60 Hz; @colyseus/schema ${COLYSEUS_VERSION}`,
  );
  console.log("| codec | B / changed Transform | on the wire | snapshot | encode p50 / tick |");
  console.log("|---|---|---|---|---|");
  line("Syncra TransformEncoder", rows.syncra);
  line('@colyseus/schema "float32"', rows.colyseusFloat32);
  line('@colyseus/schema "number"', rows.colyseusNumber);
  const perTransform = rows.syncra.onTheWireBytesPerChangedTransform;
  console.log(
    `| Syncra on the wire | ${perTransform} B per changed Transform (within ` +
      `${rows.syncra.worstPositionMm} mm, ${rows.syncra.worstRotationDeg}°) | ≤ 8 B | ${
        perTransform <= 8 ? "pass" : "MISS"
      } |`,
  );
  console.log(
    `| Syncra / colyseus "float32" on the wire | ${rows.ratioOnTheWire.float32}× ` +
      `("number": ${rows.ratioOnTheWire.number}×) | ≤ 0.5× | ${
        rows.ratioOnTheWire.float32 <= 0.5 ? "pass" : "MISS"
      } |`,
  );
  if (!Deno.args.includes("--no-json")) {
    await Deno.writeTextFile(
      new URL("./network_codec_results.json", import.meta.url),
      JSON.stringify({ date: new Date().toISOString(), ...rows }, null, 2) + "\n",
    );
  }
}

import assert from "node:assert/strict";
import { floatsOf, TransformDecoder, TransformEncoder } from "./transform_codec.ts";

/** 1 000 entities moving at 0–3 m/s and turning at 0–180°/s, stepped at 60 Hz (the bench's case). */
function movingWorld(n: number, seed = 7) {
  let s = seed;
  const random = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  const position = new Float32Array(n * 3).map(() => (random() - 0.5) * 40);
  const rotation = new Float32Array(n * 4);
  const scale = new Float32Array(n * 3).fill(1);
  const velocity = Array.from({ length: n }, () => {
    const speed = random() * 3, a = random() * Math.PI * 2, b = (random() - 0.5) * Math.PI;
    return [
      Math.cos(a) * Math.cos(b) * speed,
      Math.sin(b) * speed,
      Math.sin(a) * Math.cos(b) * speed,
    ];
  });
  const spin = Array.from({ length: n }, () => random() * Math.PI); // rad/s, about a random axis
  const axis = Array.from({ length: n }, () => {
    const v = [random() - 0.5, random() - 0.5, random() - 0.5];
    const l = Math.hypot(...v) || 1;
    return v.map((x) => x / l);
  });
  const angle = new Float64Array(n).map(() => random() * Math.PI * 2);
  const entities = Uint32Array.from({ length: n }, (_, i) => 300 + i * 3);
  const step = (dt: number) => {
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < 3; k++) {
        position[i * 3 + k] = position[i * 3 + k]! + velocity[i]![k]! * dt;
      }
      angle[i] = angle[i]! + spin[i]! * dt;
      const h = angle[i]! / 2, sin = Math.sin(h);
      rotation.set(
        [axis[i]![0]! * sin, axis[i]![1]! * sin, axis[i]![2]! * sin, Math.cos(h)],
        i * 4,
      );
    }
  };
  return { entities, position, rotation, scale, step };
}

/** The angle between two rotations, in degrees. */
function angleBetween(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const dot = Math.abs(a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]! + a[3]! * b[3]!);
  return (2 * Math.acos(Math.min(1, dot)) * 180) / Math.PI;
}

Deno.test("moving transforms cost at most 8 bytes each and stay within 1 mm and 0.1°", () => {
  const n = 1000;
  const world = movingWorld(n);
  const encoder = new TransformEncoder();
  const decoder = new TransformDecoder();
  let bytes = 0, changed = 0, worstMm = 0, worstDeg = 0;
  for (let tick = 1; tick <= 600; tick++) {
    world.step(1 / 60);
    const frame = encoder.encode(
      tick,
      world.entities,
      world.position,
      world.rotation,
      world.scale,
    )!;
    const { moved } = decoder.decode(frame);
    if (tick > 1) {
      bytes += frame.length;
      changed += moved.length;
    }
    for (let i = 0; i < n; i += 37) {
      const got = floatsOf(decoder.state.get(world.entities[i]!)!);
      for (let k = 0; k < 3; k++) {
        worstMm = Math.max(worstMm, Math.abs(got.position[k]! - world.position[i * 3 + k]!) * 1000);
      }
      worstDeg = Math.max(worstDeg, angleBetween(got.rotation, world.rotation.subarray(i * 4)));
    }
  }
  const perTransform = bytes / changed;
  assert.ok(perTransform <= 8, `${perTransform.toFixed(2)} bytes per changed transform`);
  assert.ok(worstMm <= 1, `position off by ${worstMm.toFixed(3)} mm`);
  assert.ok(worstDeg <= 0.1, `rotation off by ${worstDeg.toFixed(4)}°`);
});

Deno.test("a snapshot gives a new page exactly the state the others have", () => {
  const world = movingWorld(50);
  const encoder = new TransformEncoder();
  const early = new TransformDecoder();
  for (let tick = 1; tick <= 30; tick++) {
    world.step(1 / 60);
    early.decode(
      encoder.encode(tick, world.entities, world.position, world.rotation, world.scale)!,
    );
  }
  const late = new TransformDecoder();
  late.decode(encoder.snapshot(30)!);
  world.step(1 / 60);
  const frame = encoder.encode(31, world.entities, world.position, world.rotation, world.scale)!;
  early.decode(frame);
  late.decode(frame);
  assert.deepEqual([...late.state].sort(), [...early.state].sort());
  encoder.forget(world.entities[0]!);
  late.forget(world.entities[0]!);
  const again = encoder.encode(32, world.entities, world.position, world.rotation, world.scale)!;
  late.decode(again);
  assert.deepEqual(late.state.get(world.entities[0]!), encoder.state.get(world.entities[0]!));
});

import assert from "node:assert/strict";
import { compose, IDENTITY_POSE, rotate } from "./pose.ts";

const close = (a: readonly number[], b: readonly number[]) =>
  assert.ok(a.every((v, i) => Math.abs(v - b[i]!) < 1e-6), `${a} is not ${b}`);

Deno.test("a quarter turn about +y takes -z (ahead) to -x (left)", () => {
  close(rotate([0, Math.SQRT1_2, 0, Math.SQRT1_2], [0, 0, -1]), [-1, 0, 0]);
});

Deno.test("a child's pose composes under its parent's turn, position and scale", () => {
  const parent = {
    position: [10, 0, 0] as [number, number, number],
    rotation: [0, Math.SQRT1_2, 0, Math.SQRT1_2] as [number, number, number, number],
    scale: [2, 2, 2] as [number, number, number],
  };
  const child = { ...IDENTITY_POSE, position: [0, 0, -1] as [number, number, number] };
  const world = compose(parent, child);
  close(world.position, [8, 0, 0]);
  close(world.rotation, parent.rotation);
});

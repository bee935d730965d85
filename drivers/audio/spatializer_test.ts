import assert from "node:assert/strict";
import { azimuthOf, equalPowerPan, inverseDistanceGain, spatialGains } from "./spatializer.ts";
import { IDENTITY_POSE, type Pose } from "./pose.ts";

const near = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} is not ${b}`);

Deno.test("inverse distance gain is 1 within the reference distance and 1 / d beyond it", () => {
  near(inverseDistanceGain(0), 1, "at the listener");
  near(inverseDistanceGain(0.5), 1, "inside 1 m");
  near(inverseDistanceGain(2), 0.5, "2 m");
  near(inverseDistanceGain(8), 0.125, "8 m");
  near(inverseDistanceGain(4, { refDistance: 2, rolloffFactor: 0.5 }), 2 / 3, "WebAudio's formula");
});

Deno.test("the azimuth follows the listener's turn: ahead 0, right +90, left -90, behind 180", () => {
  near(azimuthOf(IDENTITY_POSE, [0, 0, -3]), 0, "ahead");
  near(azimuthOf(IDENTITY_POSE, [3, 0, 0]), 90, "right");
  near(azimuthOf(IDENTITY_POSE, [-3, 0, 0]), -90, "left");
  near(Math.abs(azimuthOf(IDENTITY_POSE, [0, 0, 3])), 180, "behind");
  near(azimuthOf(IDENTITY_POSE, [0, 5, 0]), 0, "straight above counts as ahead");
  // Turned 90° to the left (about +y): what was on its left is now ahead.
  const turned: Pose = { ...IDENTITY_POSE, rotation: [0, Math.SQRT1_2, 0, Math.SQRT1_2] };
  near(azimuthOf(turned, [-3, 0, 0]), 0, "turned left, the left is ahead");
  near(azimuthOf(turned, [0, 0, -3]), 90, "turned left, ahead is on the right");
});

Deno.test("equal-power panning keeps the power and folds a source behind to its own side", () => {
  for (const a of [-180, -135, -90, -30, 0, 45, 90, 150]) {
    const { left, right } = equalPowerPan(a);
    near(left * left + right * right, 1, `power at ${a}°`);
  }
  assert.deepEqual(equalPowerPan(-90), { left: 1, right: Math.sin(0) });
  near(equalPowerPan(0).left, Math.SQRT1_2, "centre");
  const behindRight = equalPowerPan(135), frontRight = equalPowerPan(45);
  near(behindRight.right, frontRight.right, "behind right pans as front right");
  assert.ok(behindRight.right > behindRight.left, "behind right is louder on the right");
  assert.ok(equalPowerPan(-150).left > equalPowerPan(-150).right, "behind left is louder left");
});

Deno.test("spatial gains combine the distance and the pan", () => {
  const g = spatialGains({ ...IDENTITY_POSE, position: [1, 0, 0] }, [1, 0, -4]);
  near(g.left, 0.25 * Math.SQRT1_2, "4 m ahead, left");
  near(g.right, 0.25 * Math.SQRT1_2, "4 m ahead, right");
});

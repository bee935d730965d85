// What a page sends of its person — controls and VR poses — checked and clamped: the viewer and
// the network driver (drivers/network) take the same messages from the same page.
import { PlayerTracked } from "@syncra/std";

/** The pose fields of a Player (std Player), as a page in VR sends them. */
export interface PlayerPose {
  tracked: number;
  headPosition: number[];
  headRotation: number[];
  leftPosition: number[];
  leftRotation: number[];
  rightPosition: number[];
  rightRotation: number[];
}

/**
 * A page's VR poses (each 7 finite numbers within 100 m, or null when not
 * tracked; an untracked pose keeps its last value). Anything else is "not tracked".
 */
export function poseOf(message: Record<string, unknown>, last: PlayerPose | null): PlayerPose {
  const pose: PlayerPose = last ? structuredClone(last) : {
    tracked: 0,
    headPosition: [0, 0, 0],
    headRotation: [0, 0, 0, 1],
    leftPosition: [0, 0, 0],
    leftRotation: [0, 0, 0, 1],
    rightPosition: [0, 0, 0],
    rightRotation: [0, 0, 0, 1],
  };
  pose.tracked = 0;
  const parts = [
    ["head", PlayerTracked.Head],
    ["left", PlayerTracked.Left],
    ["right", PlayerTracked.Right],
  ] as const;
  for (const [part, bit] of parts) {
    const value = message[part];
    if (
      !Array.isArray(value) || value.length !== 7 ||
      !value.every((v) => typeof v === "number" && Number.isFinite(v) && Math.abs(v) <= 100)
    ) continue;
    pose.tracked |= bit;
    pose[`${part}Position`] = value.slice(0, 3);
    pose[`${part}Rotation`] = value.slice(3);
  }
  return pose;
}

/** Where a page looks: yaw wrapped to ±π, pitch within ±π/2 (radians). */
export function lookOf(value: unknown): number[] {
  if (!Array.isArray(value) || value.length !== 3) return [0, 0, 0];
  const [yaw, pitch] = value.map((v) => (typeof v === "number" && Number.isFinite(v) ? v : 0));
  return [
    Math.atan2(Math.sin(yaw!), Math.cos(yaw!)),
    Math.max(-1.5708, Math.min(1.5708, pitch!)),
    0,
  ];
}

export function vec3(value: unknown): number[] {
  if (!Array.isArray(value) || value.length !== 3) return [0, 0, 0];
  return value.map((
    v,
  ) => (typeof v === "number" && Number.isFinite(v) ? Math.max(-1, Math.min(1, v)) : 0));
}

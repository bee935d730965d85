/**
 * Positions and rotations as the audio driver composes them: vectors
 * `[x, y, z]`, quaternions `[x, y, z, w]` (as in `Transform`), and a pose
 * that is both. Three.js conventions: +x right, +y up, a camera looks down -z.
 *
 * @module
 */

/** A position or direction. */
export type Vec3 = [number, number, number];
/** A rotation, unit quaternion x, y, z, w. */
export type Quat = [number, number, number, number];

/** Where something is, which way it is turned, and its scale (which places its children). */
export interface Pose {
  position: Vec3;
  rotation: Quat;
  scale: Vec3;
}

/** The pose at the origin, unturned. */
export const IDENTITY_POSE: Readonly<Pose> = Object.freeze({
  position: [0, 0, 0] as Vec3,
  rotation: [0, 0, 0, 1] as Quat,
  scale: [1, 1, 1] as Vec3,
});

/** `v` turned by `q`. */
export function rotate(q: Quat, v: Vec3): Vec3 {
  const [x, y, z, w] = q;
  // t = 2 (q.xyz × v); v' = v + w t + q.xyz × t
  const tx = 2 * (y * v[2] - z * v[1]);
  const ty = 2 * (z * v[0] - x * v[2]);
  const tz = 2 * (x * v[1] - y * v[0]);
  return [
    v[0] + w * tx + (y * tz - z * ty),
    v[1] + w * ty + (z * tx - x * tz),
    v[2] + w * tz + (x * ty - y * tx),
  ];
}

/** The rotation `a` then `b` applied inside it (`a · b`). */
export function multiply(a: Quat, b: Quat): Quat {
  const [ax, ay, az, aw] = a, [bx, by, bz, bw] = b;
  return [
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
    aw * bw - ax * bx - ay * by - az * bz,
  ];
}

/** `q` scaled to unit length (identity if it has none: a zeroed Transform). */
export function normalize(q: Quat): Quat {
  const n = Math.hypot(q[0], q[1], q[2], q[3]);
  return n > 1e-9 ? [q[0] / n, q[1] / n, q[2] / n, q[3] / n] : [0, 0, 0, 1];
}

/**
 * `child`, given relative to `parent`, in the parent's frame: as the viewer
 * places it (exact unless a non-uniform scale meets a turned child).
 */
export function compose(parent: Pose, child: Pose): Pose {
  const s = parent.scale, c = child.position;
  const offset = rotate(parent.rotation, [c[0] * s[0], c[1] * s[1], c[2] * s[2]]);
  return {
    position: [
      parent.position[0] + offset[0],
      parent.position[1] + offset[1],
      parent.position[2] + offset[2],
    ],
    rotation: normalize(multiply(parent.rotation, child.rotation)),
    scale: [s[0] * child.scale[0], s[1] * child.scale[1], s[2] * child.scale[2]],
  };
}

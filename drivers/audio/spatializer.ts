/**
 * How loud a mono source is in each ear, as WebAudio's PannerNode computes
 * it with `distanceModel: "inverse"` (refDistance 1, rolloffFactor 1) and
 * `panningModel: "equalpower"`: the gain falls as 1 / distance beyond one
 * metre (and stays 1 inside it), and the source's azimuth in the listener's
 * frame sets an equal-power pan. A source behind the listener folds to the
 * front on its own side, so it still pans by the side it is on.
 *
 * @module
 */
import { type Pose, rotate, type Vec3 } from "./pose.ts";

/** The distance model's settings (WebAudio's names and defaults but rolloff's). */
export interface DistanceModel {
  /** @default 1 */
  refDistance: number;
  /** @default 1 */
  rolloffFactor: number;
}

/** What the audio driver uses: WebAudio's "inverse" model, refDistance 1, rolloff 1. */
export const INVERSE_1M: Readonly<DistanceModel> = Object.freeze({
  refDistance: 1,
  rolloffFactor: 1,
});

/** Gains per ear, distance included. */
export interface EarGains {
  left: number;
  right: number;
}

/** WebAudio's inverse distance gain: ref / (ref + rolloff (max(d, ref) - ref)). */
export function inverseDistanceGain(distance: number, model: DistanceModel = INVERSE_1M): number {
  const { refDistance: ref, rolloffFactor: rolloff } = model;
  const d = Math.max(distance, ref);
  return ref / (ref + rolloff * (d - ref));
}

/**
 * The source's azimuth in the listener's frame, in degrees: 0 ahead, +90
 * right, -90 left, ±180 behind (WebAudio's convention; a source straight
 * above or below, or at the listener, is ahead).
 */
export function azimuthOf(listener: Pose, source: Vec3): number {
  const p = listener.position;
  const d: Vec3 = [source[0] - p[0], source[1] - p[1], source[2] - p[2]];
  const right = rotate(listener.rotation, [1, 0, 0]);
  const forward = rotate(listener.rotation, [0, 0, -1]);
  // The direction projected on the listener's horizontal plane (right, forward).
  const x = d[0] * right[0] + d[1] * right[1] + d[2] * right[2];
  const z = d[0] * forward[0] + d[1] * forward[1] + d[2] * forward[2];
  if (Math.hypot(x, z) < 1e-9) return 0;
  return (Math.atan2(x, z) * 180) / Math.PI;
}

/** Equal-power gains for a mono source at `azimuth` degrees (WebAudio's equalpower, mono in). */
export function equalPowerPan(azimuth: number): EarGains {
  let a = Math.max(-180, Math.min(180, azimuth));
  // Behind folds to the front on the same side.
  if (a < -90) a = -180 - a;
  else if (a > 90) a = 180 - a;
  const x = (a + 90) / 180;
  return { left: Math.cos((x * Math.PI) / 2), right: Math.sin((x * Math.PI) / 2) };
}

/** Ear gains of a source at `source` heard by `listener`, distance and pan together. */
export function spatialGains(
  listener: Pose,
  source: Vec3,
  model: DistanceModel = INVERSE_1M,
): EarGains {
  const p = listener.position;
  const distance = Math.hypot(source[0] - p[0], source[1] - p[1], source[2] - p[2]);
  const gain = inverseDistanceGain(distance, model);
  const pan = equalPowerPan(azimuthOf(listener, source));
  return { left: pan.left * gain, right: pan.right * gain };
}

/**
 * Changes a clip's sample rate by linear interpolation: cheap, done once per
 * clip as it loads, and good enough for effects and voice near 44.1 or
 * 48 kHz (a clip far below or above the mix rate is better resampled before
 * it goes into the assets folder: this adds no low-pass filter).
 *
 * @module
 */

/** `samples` at `from` Hz as samples at `to` Hz (the same array when the rates match). */
export function resampleLinear(samples: Float32Array, from: number, to: number): Float32Array {
  if (from === to || samples.length === 0) return samples;
  const length = Math.max(1, Math.round((samples.length * to) / from));
  const out = new Float32Array(length);
  const step = from / to;
  const last = samples.length - 1;
  for (let i = 0; i < length; i++) {
    const x = i * step;
    const k = Math.min(last, Math.floor(x));
    const a = x - k;
    out[i] = samples[k]! + (samples[Math.min(last, k + 1)]! - samples[k]!) * a;
  }
  return out;
}

/**
 * Keeps a mix of many sources from clipping: when a block's peak would pass
 * full scale the gain drops to fit it, gliding over the block from the last
 * gain, and recovers slowly (about 0.3 s to come back from -6 dB) so loud
 * moments are turned down rather than squared off. A last hard clamp catches
 * what the glide's first samples let through.
 *
 * @module
 */

/** The peak a block may reach. */
const CEILING = 0.98;

/** How much of the way back to unity gain each block recovers. */
const RELEASE_PER_BLOCK = 0.05;

/** A gain that follows the mix's peaks, block by block. */
export class Limiter {
  #gain = 1;

  /** The gain applied at the end of the last block (1 = untouched). */
  get gain(): number {
    return this.#gain;
  }

  /** Limits `block` (interleaved, any channels) in place and returns it. */
  process(block: Float32Array): Float32Array {
    let peak = 0;
    for (let i = 0; i < block.length; i++) {
      const a = Math.abs(block[i]!);
      if (a > peak) peak = a;
    }
    const recovered = this.#gain + (1 - this.#gain) * RELEASE_PER_BLOCK;
    const target = peak * recovered > CEILING ? CEILING / peak : recovered;
    const from = this.#gain;
    this.#gain = target;
    if (from === 1 && target === 1) return block;
    const step = (target - from) / block.length;
    for (let i = 0; i < block.length; i++) {
      const v = block[i]! * (from + step * i);
      block[i] = v > 1 ? 1 : v < -1 ? -1 : v;
    }
    return block;
  }
}

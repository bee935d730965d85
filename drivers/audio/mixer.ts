/**
 * Mixes sources into blocks of interleaved stereo at a fixed rate (the
 * driver asks for one block per tick). Each source keeps its playback position (or a tone's phase)
 * between blocks, by entity: a clip loops or plays once, `playing: false`
 * is silence and rewinds it, a new clip starts from the beginning, and a
 * source that is no longer passed in (despawned) is forgotten. Ear gains
 * glide from the last block's to this one's over the block, so a moving
 * source does not click.
 *
 * @module
 */
import type { EarGains } from "./spatializer.ts";

/** One source as the mixer plays it this block. */
export interface MixSource {
  /** Its entity: what its playback position is kept by. */
  id: number;
  /** Mono samples at the mix rate, or null for a tone (or nothing, with `tone` 0). */
  clip: Float32Array | null;
  /** A sine's frequency in Hz, when `clip` is null. */
  tone: number;
  volume: number;
  loop: boolean;
  playing: boolean;
  /** How loud it is in each ear (distance and pan), before `volume`. */
  gains: EarGains;
}

/** A source's state between blocks. */
interface Playback {
  clip: Float32Array | null;
  tone: number;
  /** Next frame of the clip to play. */
  position: number;
  /** The tone's phase, in cycles (0..1). */
  phase: number;
  left: number;
  right: number;
  playing: boolean;
}

/** Blocks of stereo at `rate` Hz. */
export class Mixer {
  readonly rate: number;
  readonly #playbacks = new Map<number, Playback>();

  constructor(rate: number) {
    this.rate = rate;
  }

  /** How many sources have a playback kept (playing or not). */
  get tracked(): number {
    return this.#playbacks.size;
  }

  /**
   * Mixes one block of every source into `out` (interleaved L R: its length
   * is twice the block's frames; zeroed first) and returns it; sources not
   * passed are forgotten.
   */
  mix(sources: readonly MixSource[], out: Float32Array): Float32Array {
    if (out.length % 2 !== 0) {
      throw new RangeError(`Cannot mix into ${out.length} samples: stereo needs an even number`);
    }
    out.fill(0);
    const seen = new Set<number>();
    for (const source of sources) {
      seen.add(source.id);
      const playback = this.#playbackOf(source);
      if (source.playing) this.#play(source, playback, out);
    }
    for (const id of this.#playbacks.keys()) if (!seen.has(id)) this.#playbacks.delete(id);
    return out;
  }

  /** The source's playback, rewound when it starts, stops or changes what it plays. */
  #playbackOf(source: MixSource): Playback {
    const volume = Number.isFinite(source.volume) ? Math.max(0, source.volume) : 0;
    let p = this.#playbacks.get(source.id);
    const fresh = !p || !p.playing || p.clip !== source.clip || p.tone !== source.tone;
    if (fresh || !source.playing) {
      // Starting afresh: at its gains now, no glide from where they were when it stopped.
      p = {
        clip: source.clip,
        tone: source.tone,
        position: 0,
        phase: 0,
        left: source.gains.left * volume,
        right: source.gains.right * volume,
        playing: source.playing,
      };
      this.#playbacks.set(source.id, p);
    }
    return p!;
  }

  #play(source: MixSource, p: Playback, out: Float32Array): void {
    const volume = Number.isFinite(source.volume) ? Math.max(0, source.volume) : 0;
    const toLeft = source.gains.left * volume, toRight = source.gains.right * volume;
    const n = out.length / 2;
    const dl = (toLeft - p.left) / n, dr = (toRight - p.right) / n;
    let gl = p.left, gr = p.right;
    const clip = p.clip;
    if (clip) {
      let at = p.position;
      const length = clip.length;
      for (let i = 0; i < n; i++) {
        if (at >= length) {
          if (!source.loop || length === 0) break;
          at = 0;
        }
        const s = clip[at++]!;
        gl += dl;
        gr += dr;
        out[2 * i] = out[2 * i]! + s * gl;
        out[2 * i + 1] = out[2 * i + 1]! + s * gr;
      }
      p.position = at;
    } else if (p.tone > 0 && p.tone < this.rate / 2) {
      // A phasor turned by one sample's angle each frame (a sine without Math.sin per sample),
      // set afresh from the phase every block so rounding never builds up.
      const step = p.tone / this.rate;
      const w = 2 * Math.PI * step, cw = Math.cos(w), sw = Math.sin(w);
      let c = Math.cos(2 * Math.PI * p.phase), s = Math.sin(2 * Math.PI * p.phase);
      for (let i = 0; i < n; i++) {
        gl += dl;
        gr += dr;
        out[2 * i] = out[2 * i]! + s * gl;
        out[2 * i + 1] = out[2 * i + 1]! + s * gr;
        const next = s * cw + c * sw;
        c = c * cw - s * sw;
        s = next;
      }
      p.phase = (p.phase + step * n) % 1;
    }
    p.left = toLeft;
    p.right = toRight;
  }
}

/**
 * Voice frames from the `voice` port (a microphone driver, the network
 * layer), queued per sender and mixed in as they come, not positioned: in
 * both ears at the level they were sent (mono in both channels alike,
 * stereo as sent). A sender's queue holds at most a quarter of a second; a
 * sender who runs ahead loses its oldest frames, one who falls behind
 * leaves a gap.
 *
 * @module
 */
import type { PcmBlock } from "./pcm_block.ts";

/** Frames queued per sender at most. */
const MAX_QUEUED_FRAMES = 12000;

/** Stereo frames waiting per sender. */
export class VoiceQueue {
  readonly #queues = new Map<string, Float32Array[]>();
  readonly #frames = new Map<string, number>();
  /** Frames dropped because a sender ran ahead, by sender, since the last `takeDropped`. */
  readonly #dropped = new Map<string, number>();

  /** Senders with frames waiting. */
  get senders(): number {
    return this.#queues.size;
  }

  /** Queues a decoded block from `from` (as stereo). */
  push(from: string, block: PcmBlock): void {
    const stereo = block.channels === 2 ? block.samples : new Float32Array(block.frames * 2);
    if (block.channels === 1) {
      for (let i = 0; i < block.frames; i++) stereo[2 * i] = stereo[2 * i + 1] = block.samples[i]!;
    }
    const queue = this.#queues.get(from) ?? [];
    queue.push(stereo);
    this.#queues.set(from, queue);
    let frames = (this.#frames.get(from) ?? 0) + block.frames;
    while (frames > MAX_QUEUED_FRAMES && queue.length > 1) {
      const old = queue.shift()!;
      frames -= old.length / 2;
      this.#dropped.set(from, (this.#dropped.get(from) ?? 0) + old.length / 2);
    }
    this.#frames.set(from, frames);
  }

  /** Adds up to `out.length / 2` frames of every sender into `out` (interleaved stereo). */
  mixInto(out: Float32Array): void {
    const want = out.length / 2;
    for (const [from, queue] of this.#queues) {
      let at = 0;
      while (at < want && queue.length > 0) {
        const head = queue[0]!;
        const take = Math.min(want - at, head.length / 2);
        for (let i = 0; i < take * 2; i++) out[at * 2 + i] = out[at * 2 + i]! + head[i]!;
        at += take;
        if (take * 2 === head.length) queue.shift();
        else queue[0] = head.subarray(take * 2);
      }
      const left = (this.#frames.get(from) ?? 0) - at;
      if (queue.length === 0) {
        this.#queues.delete(from);
        this.#frames.delete(from);
      } else this.#frames.set(from, left);
    }
  }

  /** Frames dropped per sender since the last call, and forgets them. */
  takeDropped(): Map<string, number> {
    const dropped = new Map(this.#dropped);
    this.#dropped.clear();
    return dropped;
  }
}

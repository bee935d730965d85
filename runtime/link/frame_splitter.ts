/**
 * Length-prefixed framing apart from the codec: bytes in, frame bodies out
 * (u32 little-endian length, then that many bytes; DESIGN §6). The limit
 * on a frame's size is checked before anything is allocated for it.
 *
 * @module
 */
import { ProtocolError } from "../protocol/mod.ts";

/** The largest reassembly buffer kept between frames. */
const KEEP_BUFFER_BYTES = 16 * 1024 * 1024;

/**
 * Splits a byte stream into frame bodies. A body is only valid until the
 * next one is asked for: it is either a view into the chunk it arrived in
 * (no copy when a frame lies within one read) or the splitter's one
 * reassembly buffer, which the next frame overwrites.
 */
export class FrameSplitter {
  readonly #maxFrameBytes: number;
  readonly #header = new Uint8Array(4);
  #headerFill = 0;
  /** The body length of the frame being reassembled; 0 between frames. */
  #length = 0;
  #filled = 0;
  /** The reassembly buffer: grows with the bytes that arrive, never to a length only claimed. */
  #buffer: Uint8Array | null = null;

  /** @param maxFrameBytes the largest body accepted; a larger prefix is a ProtocolError */
  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /**
   * Feeds a chunk and yields each body it completes. The chunk may be
   * reused by the caller once the generator is done: partial frames are
   * copied. Throws ProtocolError on an empty or oversized frame, and the
   * splitter is then unusable.
   */
  *frames(chunk: Uint8Array): Generator<Uint8Array, void, undefined> {
    let at = 0;
    while (at < chunk.length) {
      if (this.#length === 0) {
        let length: number;
        if (this.#headerFill === 0 && chunk.length - at >= 4) {
          length = readU32(chunk, at);
          at += 4;
        } else {
          // The prefix straddles chunks.
          const take = Math.min(4 - this.#headerFill, chunk.length - at);
          this.#header.set(chunk.subarray(at, at + take), this.#headerFill);
          this.#headerFill += take;
          at += take;
          if (this.#headerFill < 4) return;
          this.#headerFill = 0;
          length = readU32(this.#header, 0);
        }
        this.#check(length);
        if (chunk.length - at >= length) {
          at += length;
          yield chunk.subarray(at - length, at);
          continue;
        }
        this.#length = length;
        this.#filled = 0;
      }
      const take = Math.min(this.#length - this.#filled, chunk.length - at);
      const buffer = this.#room(this.#filled + take);
      buffer.set(chunk.subarray(at, at + take), this.#filled);
      this.#filled += take;
      at += take;
      if (this.#filled < this.#length) return;
      const length = this.#length;
      this.#length = 0;
      yield buffer.subarray(0, length);
      // One huge frame must not make the link hold that much from then on.
      if (length > KEEP_BUFFER_BYTES) this.#buffer = null;
    }
  }

  /** Whether a frame has begun and not yet ended (a peer that stops now cut it off). */
  get midFrame(): boolean {
    return this.#length > 0 || this.#headerFill > 0;
  }

  #check(length: number): void {
    if (length > this.#maxFrameBytes) {
      throw new ProtocolError(
        `Frame of ${length} bytes exceeds the limit of ${this.#maxFrameBytes}`,
      );
    }
    if (length === 0) throw new ProtocolError("Empty frame");
  }

  /**
   * The reassembly buffer with room for `bytes` of the current frame: a peer
   * that claims 64 MiB and sends ten bytes costs the runtime 64 KiB, not 64 MiB.
   */
  #room(bytes: number): Uint8Array {
    const buffer = this.#buffer;
    if (buffer && buffer.length >= bytes) return buffer;
    const size = Math.min(this.#length, Math.max(bytes, (buffer?.length ?? 0) * 2, 64 * 1024));
    const grown = new Uint8Array(size);
    if (buffer && this.#filled > 0) grown.set(buffer.subarray(0, this.#filled));
    this.#buffer = grown;
    return grown;
  }
}

function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | bytes[at + 1]! << 8 | bytes[at + 2]! << 16 | bytes[at + 3]! << 24) >>> 0;
}

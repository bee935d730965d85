/**
 * Reassembles length-prefixed frames (u32 little-endian, then MessagePack)
 * from a byte stream, enforcing a maximum frame size before allocating.
 *
 * @module
 */
import { type DecodeLimits, decodeMessagePack, DEFAULT_DECODE_LIMITS } from "./msgpack_decode.ts";
import { ProtocolError } from "./errors.ts";

/** Limits for one direction of a frame channel. */
export interface FrameLimits extends DecodeLimits {
  /** Largest frame body accepted. @default 64 MiB */
  maxFrameBytes: number;
}

/** Default limits for frames from an untrusted child. */
export const DEFAULT_FRAME_LIMITS: Readonly<FrameLimits> = Object.freeze({
  ...DEFAULT_DECODE_LIMITS,
  maxFrameBytes: 64 * 1024 * 1024,
});

/** The largest reusable buffer a reader keeps between frames. */
const KEEP_BUFFER_BYTES = 16 * 1024 * 1024;

/** Turns chunks into decoded messages. Throws ProtocolError on the first bad frame. */
export class FrameReader {
  readonly #limits: Readonly<FrameLimits>;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #frame: Uint8Array | null = null;
  #filled = 0;

  readonly #reuse: boolean;
  #spare: Uint8Array | null = null;

  /**
   * With `reuse`, every message is decoded into one buffer that the next
   * message overwrites: use `frames()` and finish with each message (and the
   * views into it) before asking for the next. It spares a large allocation
   * per frame, and the garbage collections that follow.
   */
  constructor(
    limits: Readonly<FrameLimits> = DEFAULT_FRAME_LIMITS,
    options: { reuse?: boolean } = {},
  ) {
    this.#limits = limits;
    this.#reuse = options.reuse ?? false;
  }

  /** Feeds a chunk; returns every message completed by it (a fresh buffer each). */
  push(chunk: Uint8Array): unknown[] {
    if (this.#reuse) throw new TypeError("A reusing FrameReader must be read with frames()");
    return [...this.frames(chunk)];
  }

  #allocate(length: number): Uint8Array {
    if (!this.#reuse) return new Uint8Array(length);
    if (!this.#spare || this.#spare.length < length) {
      this.#spare = new Uint8Array(Math.max(length, (this.#spare?.length ?? 0) * 2, 64 * 1024));
    }
    return this.#spare.subarray(0, length);
  }

  /** Feeds a chunk; yields each message it completes, one at a time. */
  *frames(chunk: Uint8Array): Generator<unknown, void, undefined> {
    let at = 0;
    while (at < chunk.length) {
      if (this.#frame === null) {
        // Collect the 4-byte length prefix (it may straddle chunks).
        const take = Math.min(4 - this.#pendingBytes, chunk.length - at);
        // Copied: callers may reuse `chunk` for their next read.
        this.#pending.push(chunk.slice(at, at + take));
        this.#pendingBytes += take;
        at += take;
        if (this.#pendingBytes < 4) break;
        const header = new Uint8Array(4);
        let o = 0;
        for (const p of this.#pending) {
          header.set(p, o);
          o += p.length;
        }
        this.#pending = [];
        this.#pendingBytes = 0;
        const length = new DataView(header.buffer).getUint32(0, true);
        if (length > this.#limits.maxFrameBytes) {
          throw new ProtocolError(
            `Frame of ${length} bytes exceeds the limit of ${this.#limits.maxFrameBytes}`,
          );
        }
        if (length === 0) throw new ProtocolError("Empty frame");
        this.#frame = this.#allocate(length);
        this.#filled = 0;
      }
      const frame = this.#frame;
      const take = Math.min(frame.length - this.#filled, chunk.length - at);
      frame.set(chunk.subarray(at, at + take), this.#filled);
      this.#filled += take;
      at += take;
      if (this.#filled === frame.length) {
        this.#frame = null;
        yield decodeMessagePack(frame, this.#limits);
        // A huge frame's buffer is not kept: a child that sent one big frame must not make
        // the runtime hold that much for it from then on.
        if (this.#reuse && frame.length > KEEP_BUFFER_BYTES) this.#spare = null;
      }
    }
  }
}

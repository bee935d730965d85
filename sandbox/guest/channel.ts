/**
 * The child's end of the frame channel (DESIGN §6): length-prefixed (u32
 * little-endian) MessagePack frames in on fd 0 and out on fd 1, whether those
 * are pipes or a socket.
 *
 * Reading. The channel waits for a frame's first bytes with one asynchronous
 * read — so the event loop runs between ticks, as a script's timers and
 * sockets expect — and then reads the rest of that frame with `readSync`
 * into one growing buffer: one event-loop wake-up per frame, where reading
 * every 64 KiB pipe chunk asynchronously cost one each. Blocking there is
 * fine: the runtime writes a frame whole, so the rest is on its way, and the
 * child has nothing to do until it has the frame. Should fd 0 be
 * non-blocking (`WouldBlock`), the rest is awaited instead.
 *
 * The buffer is the host's own: the asynchronous read fills a separate
 * buffer that is copied in, so nothing writes into the frame buffer while a
 * script's code runs. A frame is decoded in place with each message starting
 * on an 8-byte boundary of the buffer (frames that arrive off one are moved
 * first), so the tick layout's aligned columns can be viewed as typed arrays
 * without a copy (`tick_context.ts` checks, and copies what is not aligned).
 * A message and its views are valid until the next {@linkcode FrameChannel.next}.
 *
 * Limits: a frame's length is checked before anything is allocated for it.
 * A frame over {@linkcode GUEST_FRAME_LIMITS}`.maxFrameBytes`, an empty one,
 * malformed MessagePack, or input that ends inside a frame throws a
 * {@linkcode ProtocolError}; end of input between frames is `null`.
 *
 * Writing: each message is encoded into one reused buffer and written with a
 * `writeSync` loop, since a pipe or socket may take part of it.
 *
 * @module
 */
import {
  type ChildMessage,
  decodeMessagePack,
  type FrameLimits,
  MessagePackWriter,
  ProtocolError,
} from "../../runtime/protocol/mod.ts";
import type { ChannelInput, ChannelOutput } from "./hardening.ts";

/**
 * Limits on frames from the runtime. The runtime is trusted; these only stop
 * a broken one from making the child allocate without bound. A tick of a
 * large world is large (a column of 10 M vec3 is 120 MB), hence 1 GiB.
 */
export const GUEST_FRAME_LIMITS: Readonly<FrameLimits> = Object.freeze({
  maxDepth: 16,
  maxStringBytes: 1 << 20,
  maxBinBytes: 1 << 30,
  maxItems: 1 << 24,
  maxValues: Number.MAX_SAFE_INTEGER,
  maxContainers: Number.MAX_SAFE_INTEGER,
  maxFrameBytes: 1 << 30,
});

/** Options of a {@linkcode FrameChannel}. */
export interface FrameChannelOptions {
  /** Limits on incoming frames. @default GUEST_FRAME_LIMITS */
  limits?: Readonly<FrameLimits>;
  /** Bytes of the frame buffer to begin with. @default 262144 */
  initialBytes?: number;
  /** Largest frame buffer kept once the frame that needed it is done. @default 16777216 */
  keepBytes?: number;
}

/** Where a message starts in the buffer: after a 4-byte prefix that starts at 4 (mod 8). */
const HEAD = 4;
const ALIGN = 8;

/** Frames in from `input`, out to `output`. */
export class FrameChannel {
  readonly #input: ChannelInput;
  readonly #output: ChannelOutput;
  readonly #limits: Readonly<FrameLimits>;
  readonly #initialBytes: number;
  readonly #keepBytes: number;
  readonly #writer = new MessagePackWriter();
  /** Taken when the channel is made, before a script could replace `Deno.errors`. */
  readonly #errors = { Interrupted: Deno.errors.Interrupted, WouldBlock: Deno.errors.WouldBlock };
  /** Where the asynchronous wait for a frame reads to; copied into #buffer. */
  readonly #wake: Uint8Array;
  #buffer: Uint8Array;
  /** Unconsumed bytes are #buffer[#start, #end). */
  #start = 0;
  #end = 0;
  /** Bytes of the frame last returned, consumed on the next call. */
  #current = 0;

  constructor(input: ChannelInput, output: ChannelOutput, options: FrameChannelOptions = {}) {
    this.#input = input;
    this.#output = output;
    this.#limits = options.limits ?? GUEST_FRAME_LIMITS;
    this.#initialBytes = Math.max(options.initialBytes ?? 256 * 1024, 64);
    this.#keepBytes = options.keepBytes ?? 16 * 1024 * 1024;
    this.#buffer = new Uint8Array(this.#initialBytes);
    this.#wake = new Uint8Array(this.#initialBytes - HEAD);
  }

  /** Bytes of the frame buffer now (it grows for large frames, and shrinks back after). */
  get bufferBytes(): number {
    return this.#buffer.length;
  }

  /**
   * The next message, or null when input ended between frames. The message's
   * `bin` values are views into the channel's buffer, valid until the next call.
   */
  async next(): Promise<unknown | null> {
    this.#start += this.#current;
    this.#current = 0;
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
      if (this.#buffer.length > this.#keepBytes) this.#buffer = new Uint8Array(this.#initialBytes);
      if (!(await this.#wait())) return null;
    }
    await this.#fill(4, "a frame's length prefix", 0);
    const b = this.#buffer;
    const s = this.#start;
    const length = (b[s]! | (b[s + 1]! << 8) | (b[s + 2]! << 16) | (b[s + 3]! << 24)) >>> 0;
    if (length > this.#limits.maxFrameBytes) {
      throw new ProtocolError(
        `Frame of ${length} bytes exceeds the limit of ${this.#limits.maxFrameBytes}`,
      );
    }
    if (length === 0) throw new ProtocolError("Empty frame");
    this.#place(4 + length);
    await this.#fill(4 + length, "a frame", 4);
    this.#current = 4 + length;
    const message = this.#buffer.subarray(this.#start + 4, this.#start + 4 + length);
    return decodeMessagePack(message, this.#limits);
  }

  /** Encodes `message` as one frame and writes all of it. */
  send(message: ChildMessage): void {
    const frame = this.#writer.beginFrame().value(message).finishFrame();
    let written = 0;
    while (written < frame.length) {
      const n = this.#output.writeSync(frame.subarray(written));
      if (!(n > 0)) throw new ProtocolError(`The channel took no bytes: wrote ${n}`);
      written += n;
    }
  }

  /** Waits for the first bytes of a frame, letting the event loop run meanwhile; false at end of input. */
  async #wait(): Promise<boolean> {
    const n = await this.#input.read(this.#wake);
    if (n === null || n === 0) return false;
    this.#buffer.set(this.#wake.subarray(0, n), HEAD);
    this.#start = HEAD;
    this.#end = HEAD + n;
    return true;
  }

  /**
   * Makes room for a frame of `bytes` (prefix included) at #start, its message
   * on an 8-byte boundary: moves the unconsumed bytes to the front, or into a
   * larger buffer (always, with `move`: the buffer is full up to its end).
   */
  #place(bytes: number, move = false): void {
    const aligned = (this.#start + 4) % ALIGN === 0;
    if (!move && aligned && this.#start + bytes <= this.#buffer.length) return;
    const pending = this.#buffer.subarray(this.#start, this.#end);
    if (HEAD + bytes > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(HEAD + bytes, this.#buffer.length * 2));
      grown.set(pending, HEAD);
      this.#buffer = grown;
    } else {
      this.#buffer.copyWithin(HEAD, this.#start, this.#end);
    }
    this.#end = HEAD + pending.length;
    this.#start = HEAD;
  }

  /**
   * Reads until `bytes` unconsumed bytes are buffered: `what` of the frame at
   * #start, whose first `skip` bytes are not counted in the message if input ends.
   */
  async #fill(bytes: number, what: string, skip: number): Promise<void> {
    while (this.#end - this.#start < bytes) {
      if (this.#end === this.#buffer.length) this.#place(bytes, true);
      const room = this.#buffer.subarray(this.#end);
      let n: number | null;
      try {
        n = this.#input.readSync(room);
      } catch (error) {
        if (error instanceof this.#errors.Interrupted) continue;
        if (!(error instanceof this.#errors.WouldBlock)) throw error;
        n = await this.#input.read(room);
      }
      if (n === null || n === 0) {
        throw new ProtocolError(
          `Input ended inside ${what}: ${this.#end - this.#start - skip} of ${
            bytes - skip
          } bytes arrived`,
        );
      }
      this.#end += n;
    }
  }
}

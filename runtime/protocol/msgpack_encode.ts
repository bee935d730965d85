/**
 * A small MessagePack encoder that writes straight into a reusable buffer,
 * leaving room for the frame's length prefix, so a tick's columns are copied
 * exactly once on their way to a pipe. Typed arrays are written as `bin`.
 *
 * @module
 */

const utf8 = new TextEncoder();

/** Where parts of the given lengths go when each starts at a multiple of `align`. */
export function alignedOffsets(
  lengths: readonly number[],
  align: number,
): { offsets: number[]; size: number } {
  const offsets: number[] = [];
  let size = 0;
  for (const length of lengths) {
    size = Math.ceil(size / align) * align;
    offsets.push(size);
    size += length;
  }
  return { offsets, size };
}

/** Encodes values into one growing buffer; `finishFrame` returns the framed bytes. */
export class MessagePackWriter {
  #buf: Uint8Array;
  #view: DataView;
  #pos = 0;

  constructor(initialBytes = 64 * 1024) {
    this.#buf = new Uint8Array(initialBytes);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Starts a new frame: 4 bytes for the length, then the value. */
  beginFrame(): this {
    this.#pos = 4;
    return this;
  }

  /**
   * Writes the length prefix (u32 little-endian) and returns the frame. The
   * returned view is only valid until the next `beginFrame`, unless copied.
   */
  finishFrame(): Uint8Array {
    this.#view.setUint32(0, this.#pos - 4, true);
    return this.#buf.subarray(0, this.#pos);
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  #u8(b: number): void {
    this.#buf[this.#pos++] = b;
  }

  /** Writes any supported value. */
  value(v: unknown): this {
    if (v === null || v === undefined) {
      this.#ensure(1);
      this.#u8(0xc0);
    } else if (typeof v === "boolean") {
      this.#ensure(1);
      this.#u8(v ? 0xc3 : 0xc2);
    } else if (typeof v === "number") this.number(v);
    else if (typeof v === "string") this.string(v);
    else if (ArrayBuffer.isView(v)) this.bin(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    else if (Array.isArray(v)) {
      this.arrayHeader(v.length);
      for (const item of v) this.value(item);
    } else if (typeof v === "object") {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) =>
        x !== undefined
      );
      this.mapHeader(entries.length);
      for (const [k, x] of entries) this.string(k).value(x);
    } else {
      throw new TypeError(`Cannot encode a value of type ${typeof v} as MessagePack`);
    }
    return this;
  }

  number(n: number): this {
    this.#ensure(9);
    const v = this.#view;
    if (Number.isInteger(n) && n >= -0x80000000 && n <= 0xffffffff) {
      if (n >= 0 && n <= 0x7f) this.#u8(n);
      else if (n < 0 && n >= -32) this.#u8(n + 0x100);
      else if (n >= 0) {
        this.#u8(0xce);
        v.setUint32(this.#pos, n);
        this.#pos += 4;
      } else {
        this.#u8(0xd2);
        v.setInt32(this.#pos, n);
        this.#pos += 4;
      }
    } else {
      this.#u8(0xcb);
      v.setFloat64(this.#pos, n);
      this.#pos += 8;
    }
    return this;
  }

  string(s: string): this {
    this.#ensure(5 + s.length * 3);
    const start = this.#pos + 5;
    const { written } = utf8.encodeInto(s, this.#buf.subarray(start));
    if (written < 32) {
      this.#u8(0xa0 | written);
      this.#buf.copyWithin(this.#pos, start, start + written);
    } else {
      this.#u8(0xdb);
      this.#view.setUint32(this.#pos, written);
      this.#pos += 4;
    }
    this.#pos += written;
    return this;
  }

  /** The header of a `bin` of `n` bytes, for a caller that writes the bytes itself. */
  binHeader(n: number): this {
    return this.#header32(0xc6, n);
  }

  /** A type byte and a u32 big-endian length: the 32-bit headers of bin, array and map. */
  #header32(type: number, n: number): this {
    this.#ensure(5);
    this.#u8(type);
    this.#view.setUint32(this.#pos, n);
    this.#pos += 4;
    return this;
  }

  bin(bytes: Uint8Array): this {
    this.#ensure(5 + bytes.length);
    this.binHeader(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
    return this;
  }

  /** Bytes written since `beginFrame`, length prefix included. */
  get position(): number {
    return this.#pos;
  }

  /**
   * Writes one bin holding every part, each starting at a multiple of `align`
   * from the bin's start (gaps zeroed). Returns each part's offset.
   */
  packedBin(parts: readonly Uint8Array[], align: number): number[] {
    const { offsets, size } = alignedOffsets(parts.map((p) => p.length), align);
    this.#ensure(5 + size);
    this.binHeader(size);
    this.#buf.fill(0, this.#pos, this.#pos + size);
    parts.forEach((p, i) => this.#buf.set(p, this.#pos + offsets[i]!));
    this.#pos += size;
    return offsets;
  }

  arrayHeader(n: number): this {
    return this.#header32(0xdd, n);
  }

  mapHeader(n: number): this {
    return this.#header32(0xdf, n);
  }
}

/** `bin` values at least this large are written straight to the sink, not copied. */
const DIRECT_BIN_BYTES = 64 * 1024;

/**
 * Encodes `value` as MessagePack (no length prefix) into `write`, in pieces
 * of about `chunkBytes`: large `bin` values go to the sink as they are, so
 * encoding a value of hundreds of megabytes (a saved world) needs memory for
 * one piece, not for the whole encoding. Each piece passed to `write` is
 * only valid until `write` resolves.
 */
export async function streamMessagePack(
  value: unknown,
  write: (bytes: Uint8Array) => Promise<void>,
  chunkBytes = 1 << 20,
): Promise<void> {
  const writer = new MessagePackWriter(Math.min(chunkBytes * 2, 1 << 22));
  writer.beginFrame();
  const flush = async () => {
    if (writer.position > 4) await write(writer.finishFrame().subarray(4));
    writer.beginFrame();
  };
  const walk = async (v: unknown): Promise<void> => {
    if (ArrayBuffer.isView(v) && v.byteLength >= DIRECT_BIN_BYTES) {
      writer.binHeader(v.byteLength);
      await flush();
      await write(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    } else if (Array.isArray(v)) {
      writer.arrayHeader(v.length);
      for (const item of v) await walk(item);
    } else if (typeof v === "object" && v !== null && !ArrayBuffer.isView(v)) {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) =>
        x !== undefined
      );
      writer.mapHeader(entries.length);
      for (const [k, x] of entries) {
        writer.string(k);
        await walk(x);
      }
    } else writer.value(v);
    if (writer.position >= chunkBytes) await flush();
  };
  await walk(value);
  await flush();
}

/** Encodes one value as a standalone length-prefixed frame (a fresh copy). */
export function encodeFrame(value: unknown): Uint8Array {
  return new MessagePackWriter(256).beginFrame().value(value).finishFrame().slice();
}

/** Byte strings (frames, columns) back to back in one new buffer. */
export function concatBytes(...frames: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/**
 * A MessagePack decoder for untrusted bytes. Unlike a general decoder it
 * enforces a nesting depth, string, binary, array and map limits, rejects
 * `__proto__` keys and trailing bytes, and returns `bin` as a zero-copy view
 * (possibly unaligned: copy before viewing it as a wider typed array).
 *
 * @module
 */
import { ProtocolError } from "./errors.ts";

/** Limits applied while decoding one message. */
export interface DecodeLimits {
  /** @default 32 */
  maxDepth: number;
  /** Bytes of one string. @default 65536 */
  maxStringBytes: number;
  /** Bytes of one bin. @default 64 MiB */
  maxBinBytes: number;
  /** Elements of one array or entries of one map. @default 1_000_000 */
  maxItems: number;
  /**
   * Values decoded from one message, every scalar, string, array and map
   * counted: what a frame may cost in JavaScript values, whatever its bytes.
   * @default 2_000_000
   */
  maxValues: number;
  /**
   * Arrays and maps decoded from one message. An empty map is one byte on
   * the wire and an object of a hundred bytes or more in memory, so this is
   * the budget that keeps a padded frame from costing gigabytes.
   * @default 100_000
   */
  maxContainers: number;
}

/** Limits for frames from an untrusted child. */
export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxDepth: 32,
  maxStringBytes: 65536,
  maxBinBytes: 64 * 1024 * 1024,
  maxItems: 1_000_000,
  maxValues: 2_000_000,
  maxContainers: 100_000,
});

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes exactly one MessagePack value that spans all of `bytes`. */
export function decodeMessagePack(
  bytes: Uint8Array,
  limits: Readonly<DecodeLimits> = DEFAULT_DECODE_LIMITS,
): unknown {
  const reader = new Reader(bytes, limits);
  const value = reader.value(0);
  if (reader.pos !== bytes.length) {
    throw new ProtocolError(
      `Malformed MessagePack: ${bytes.length - reader.pos} trailing bytes after the value`,
    );
  }
  return value;
}

class Reader {
  pos = 0;
  #values = 0;
  #containers = 0;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #limits: Readonly<DecodeLimits>;

  constructor(bytes: Uint8Array, limits: Readonly<DecodeLimits>) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#limits = limits;
  }

  #need(n: number): number {
    const at = this.pos;
    if (at + n > this.#bytes.length) {
      throw new ProtocolError(
        `Malformed MessagePack: needs ${n} bytes at offset ${at}, only ${
          this.#bytes.length - at
        } left`,
      );
    }
    this.pos = at + n;
    return at;
  }

  value(depth: number): unknown {
    if (depth > this.#limits.maxDepth) {
      throw new ProtocolError(
        `Malformed MessagePack: nesting deeper than ${this.#limits.maxDepth}`,
      );
    }
    if (++this.#values > this.#limits.maxValues) {
      throw new ProtocolError(
        `Malformed MessagePack: more than ${this.#limits.maxValues} values in one message`,
      );
    }
    const v = this.#view;
    const head = this.#bytes[this.#need(1)]!;
    if (head <= 0x7f) return head;
    if (head >= 0xe0) return head - 0x100;
    if ((head & 0xf0) === 0x80) return this.#map(head & 0x0f, depth);
    if ((head & 0xf0) === 0x90) return this.#array(head & 0x0f, depth);
    if ((head & 0xe0) === 0xa0) return this.#string(head & 0x1f);
    switch (head) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.#bin(v.getUint8(this.#need(1)));
      case 0xc5:
        return this.#bin(v.getUint16(this.#need(2)));
      case 0xc6:
        return this.#bin(v.getUint32(this.#need(4)));
      case 0xca:
        return v.getFloat32(this.#need(4));
      case 0xcb:
        return v.getFloat64(this.#need(8));
      case 0xcc:
        return v.getUint8(this.#need(1));
      case 0xcd:
        return v.getUint16(this.#need(2));
      case 0xce:
        return v.getUint32(this.#need(4));
      case 0xcf:
        return this.#int64(v.getBigUint64(this.#need(8)));
      case 0xd0:
        return v.getInt8(this.#need(1));
      case 0xd1:
        return v.getInt16(this.#need(2));
      case 0xd2:
        return v.getInt32(this.#need(4));
      case 0xd3:
        return this.#int64(v.getBigInt64(this.#need(8)));
      case 0xd9:
        return this.#string(v.getUint8(this.#need(1)));
      case 0xda:
        return this.#string(v.getUint16(this.#need(2)));
      case 0xdb:
        return this.#string(v.getUint32(this.#need(4)));
      case 0xdc:
        return this.#array(v.getUint16(this.#need(2)), depth);
      case 0xdd:
        return this.#array(v.getUint32(this.#need(4)), depth);
      case 0xde:
        return this.#map(v.getUint16(this.#need(2)), depth);
      case 0xdf:
        return this.#map(v.getUint32(this.#need(4)), depth);
      default:
        // 0xc1 (never used), ext types (0xc7-0xc9, 0xd4-0xd8): not part of our protocol.
        throw new ProtocolError(
          `Malformed MessagePack: unsupported type byte 0x${head.toString(16)}`,
        );
    }
  }

  #int64(n: bigint): number {
    if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new ProtocolError("Malformed MessagePack: 64-bit integer out of the safe range");
    }
    return Number(n);
  }

  #checkItems(n: number, what: string): void {
    if (++this.#containers > this.#limits.maxContainers) {
      throw new ProtocolError(
        `Malformed MessagePack: more than ${this.#limits.maxContainers} arrays and maps in one message`,
      );
    }
    if (n > this.#limits.maxItems) {
      throw new ProtocolError(
        `Malformed MessagePack: ${what} of ${n} items exceeds the limit of ${this.#limits.maxItems}`,
      );
    }
    // Every item takes at least one byte: a huge declared length fails here, not after allocating.
    if (n > this.#bytes.length - this.pos) {
      throw new ProtocolError(
        `Malformed MessagePack: ${what} declares ${n} items but only ${
          this.#bytes.length - this.pos
        } bytes remain`,
      );
    }
  }

  #array(n: number, depth: number): unknown[] {
    this.#checkItems(n, "array");
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.value(depth + 1);
    return out;
  }

  #map(n: number, depth: number): Record<string, unknown> {
    this.#checkItems(n * 2, "map");
    const out: Record<string, unknown> = Object.create(null);
    for (let i = 0; i < n; i++) {
      const key = this.value(depth + 1);
      if (typeof key !== "string" && typeof key !== "number") {
        throw new ProtocolError("Malformed MessagePack: map keys must be strings or numbers");
      }
      const k = String(key);
      if (k === "__proto__") {
        throw new ProtocolError('Malformed MessagePack: the map key "__proto__" is not allowed');
      }
      if (Object.hasOwn(out, k)) {
        throw new ProtocolError(`Malformed MessagePack: duplicate map key "${k.slice(0, 64)}"`);
      }
      out[k] = this.value(depth + 1);
    }
    return out;
  }

  #string(n: number): string {
    if (n > this.#limits.maxStringBytes) {
      throw new ProtocolError(
        `Malformed MessagePack: string of ${n} bytes exceeds the limit of ${this.#limits.maxStringBytes}`,
      );
    }
    const at = this.#need(n);
    try {
      return utf8.decode(this.#bytes.subarray(at, at + n));
    } catch (cause) {
      throw new ProtocolError("Malformed MessagePack: string is not valid UTF-8", { cause });
    }
  }

  #bin(n: number): Uint8Array {
    if (n > this.#limits.maxBinBytes) {
      throw new ProtocolError(
        `Malformed MessagePack: bin of ${n} bytes exceeds the limit of ${this.#limits.maxBinBytes}`,
      );
    }
    const at = this.#need(n);
    return this.#bytes.subarray(at, at + n);
  }
}

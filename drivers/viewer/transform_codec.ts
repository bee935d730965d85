// Transforms on the wire between the viewer and its pages: quantized (position to 1 mm, rotation
// to better than 0.1°), and sent as small integer deltas from what the page already has, so a
// moving entity costs about 7 bytes a tick. Both sides keep the same integer state, so errors
// never accumulate: the page is always within half a millimetre of what was last sent.
//
// A frame: [u8 kind = 2][u32 tick][u32 count], then per entity, in ascending id order:
//   varint((idGap << 5) | flags)   flags: 1 position, 2 rotation, 4 scale, 8 rotation whole,
//                                  16 new (everything whole: the page did not have it)
//   position: 3 zigzag varints (mm; deltas, or values when new)
//   rotation: whole (new, or its largest component changed): u8 index of the dropped largest
//             component, then 3 zigzag varints of the other three (in steps of ROT_STEP);
//             else 3 zigzag varints of their deltas
//   scale:    3 f32 (rarely changes)
// Shared by the driver (encoder) and the page (decoder).

/** The frame kind of a transform frame. */
export const TRANSFORM_FRAME = 2;

const POS_STEP = 0.001; // metres
/** Step of a quaternion's smaller components: about 0.08° of angle at worst (measured in transform_codec_test.ts). */
const ROT_STEP = 0.0005;

const F_POS = 1, F_ROT = 2, F_SCALE = 4, F_ABS = 8, F_NEW = 16;
const FLAG_SPAN = 32;

/** One entity's transform as both sides hold it: integers, plus the scale as floats. */
export interface QuantizedTransform {
  px: number;
  py: number;
  pz: number;
  /** Which quaternion component was dropped (the largest), and the other three in steps. */
  ri: number;
  r0: number;
  r1: number;
  r2: number;
  sx: number;
  sy: number;
  sz: number;
}

/** A transform as floats: position, rotation (x, y, z, w), scale. */
export interface FloatTransform {
  position: number[];
  rotation: number[];
  scale: number[];
}

/** Row `i` of a feed's transform columns, quantized as both sides hold it. */
export function quantize(
  position: ArrayLike<number>,
  rotation: ArrayLike<number>,
  scale: ArrayLike<number>,
  i: number,
): QuantizedTransform {
  const [ri, r0, r1, r2] = quantizeRotation(
    rotation[i * 4]!,
    rotation[i * 4 + 1]!,
    rotation[i * 4 + 2]!,
    rotation[i * 4 + 3]!,
  );
  return {
    px: Math.round(position[i * 3]! / POS_STEP),
    py: Math.round(position[i * 3 + 1]! / POS_STEP),
    pz: Math.round(position[i * 3 + 2]! / POS_STEP),
    ri,
    r0,
    r1,
    r2,
    sx: Math.fround(scale[i * 3]!),
    sy: Math.fround(scale[i * 3 + 1]!),
    sz: Math.fround(scale[i * 3 + 2]!),
  };
}

/** Quantizes a rotation: drop the largest component (made positive), keep the other three. */
function quantizeRotation(
  x: number,
  y: number,
  z: number,
  w: number,
): [number, number, number, number] {
  // Without intermediate arrays: this runs for every moved entity of every client's frame.
  const ax = Math.abs(x), ay = Math.abs(y), az = Math.abs(z), aw = Math.abs(w);
  let ri = 0, largest = ax;
  if (ay > largest) (ri = 1, largest = ay);
  if (az > largest) (ri = 2, largest = az);
  if (aw > largest) ri = 3;
  const sign = (ri === 0 ? x : ri === 1 ? y : ri === 2 ? z : w) < 0 ? -1 : 1;
  const k = sign / ROT_STEP; // q and -q are one rotation
  const q = (v: number) => Math.round(v * k);
  return ri === 0
    ? [0, q(y), q(z), q(w)]
    : ri === 1
    ? [1, q(x), q(z), q(w)]
    : ri === 2
    ? [2, q(x), q(y), q(w)]
    : [3, q(x), q(y), q(z)];
}

/** The rotation a quantized transform stands for. */
export function rotationOf(t: QuantizedTransform): number[] {
  const rest = [t.r0 * ROT_STEP, t.r1 * ROT_STEP, t.r2 * ROT_STEP];
  const largest = Math.sqrt(Math.max(0, 1 - rest[0]! ** 2 - rest[1]! ** 2 - rest[2]! ** 2));
  const q: number[] = [];
  for (let i = 0, k = 0; i < 4; i++) q.push(i === t.ri ? largest : rest[k++]!);
  return q;
}

/** The floats a quantized transform stands for. */
export function floatsOf(t: QuantizedTransform): FloatTransform {
  return {
    position: [t.px * POS_STEP, t.py * POS_STEP, t.pz * POS_STEP],
    rotation: rotationOf(t),
    scale: [t.sx, t.sy, t.sz],
  };
}

/** A growing byte buffer with LEB128 varints. */
class Writer {
  bytes = new Uint8Array(1024);
  at = 0;

  #room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.at + n));
    next.set(this.bytes.subarray(0, this.at));
    this.bytes = next;
  }

  u8(v: number): void {
    this.#room(1);
    this.bytes[this.at++] = v;
  }

  u32(v: number): void {
    this.#room(4);
    new DataView(this.bytes.buffer).setUint32(this.at, v, true);
    this.at += 4;
  }

  f32(v: number): void {
    this.#room(4);
    new DataView(this.bytes.buffer).setFloat32(this.at, v, true);
    this.at += 4;
  }

  varint(v: number): void {
    this.#room(10);
    while (v >= 0x80) {
      this.bytes[this.at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.bytes[this.at++] = v;
  }

  zigzag(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  done(): Uint8Array {
    return this.bytes.slice(0, this.at);
  }
}

/** The server side: what each page was last sent, and the frames that move it on. */
export class TransformEncoder {
  readonly state = new Map<number, QuantizedTransform>();

  /** Forgets an entity (it is gone): the next time it is sent, it is sent whole. */
  forget(id: number): void {
    this.state.delete(id);
  }

  /**
   * The frame for the given transforms (parallel arrays, as the feed has
   * them), updating the state; null when nothing visible changed.
   */
  encode(
    tick: number,
    entities: ArrayLike<number>,
    position: ArrayLike<number>,
    rotation: ArrayLike<number>,
    scale: ArrayLike<number>,
  ): Uint8Array | null {
    const order = Array.from({ length: entities.length }, (_, i) => i)
      .sort((a, b) => entities[a]! - entities[b]!);
    return this.encodeQuantized(
      tick,
      order.map((i) => entities[i]!),
      order.map((i) => quantize(position, rotation, scale, i)),
    );
  }

  /**
   * The frame for transforms already quantized (`ids` ascending, with their
   * values in `values`): a server with many clients quantizes each moved
   * entity once a tick and encodes per client only what that client lacks.
   */
  encodeQuantized(
    tick: number,
    ids: readonly number[],
    values: readonly QuantizedTransform[],
  ): Uint8Array | null {
    const w = new Writer();
    w.u8(TRANSFORM_FRAME);
    w.u32(tick);
    const countAt = w.at;
    w.u32(0);
    let count = 0;
    let lastId = 0;
    for (let n = 0; n < ids.length; n++) {
      const id = ids[n]!;
      const next = values[n]!;
      const last = this.state.get(id);
      let flags = 0;
      if (!last) flags = F_NEW | F_POS | F_ROT | F_ABS | F_SCALE;
      else {
        if (next.px !== last.px || next.py !== last.py || next.pz !== last.pz) flags |= F_POS;
        if (
          next.ri !== last.ri || next.r0 !== last.r0 || next.r1 !== last.r1 || next.r2 !== last.r2
        ) flags |= F_ROT;
        if (next.sx !== last.sx || next.sy !== last.sy || next.sz !== last.sz) flags |= F_SCALE;
        // A new largest component cannot be a delta: the rotation goes whole.
        if ((flags & F_ROT) && next.ri !== last.ri) flags |= F_ABS;
      }
      if (flags === 0) continue;
      this.state.set(id, next);
      writeEntity(w, id - lastId, flags, next, last ?? null);
      lastId = id;
      count++;
    }
    if (count === 0) return null;
    const frame = w.done();
    new DataView(frame.buffer).setUint32(countAt, count, true);
    return frame;
  }

  /** Every known transform, whole: what a page that just connected needs. */
  snapshot(tick: number): Uint8Array | null {
    if (this.state.size === 0) return null;
    const w = new Writer();
    w.u8(TRANSFORM_FRAME);
    w.u32(tick);
    w.u32(this.state.size);
    let lastId = 0;
    for (const id of [...this.state.keys()].sort((a, b) => a - b)) {
      writeEntity(
        w,
        id - lastId,
        F_NEW | F_POS | F_ROT | F_ABS | F_SCALE,
        this.state.get(id)!,
        null,
      );
      lastId = id;
    }
    return w.done();
  }
}

/** One entity's record: what `flags` says changed, whole or as deltas from `last`. */
function writeEntity(
  w: Writer,
  gap: number,
  flags: number,
  t: QuantizedTransform,
  last: QuantizedTransform | null,
): void {
  w.varint(gap * FLAG_SPAN + flags);
  const base = flags & F_NEW || !last ? { px: 0, py: 0, pz: 0 } : last;
  if (flags & F_POS) {
    w.zigzag(t.px - base.px);
    w.zigzag(t.py - base.py);
    w.zigzag(t.pz - base.pz);
  }
  if (flags & F_ROT) {
    if (flags & F_ABS) {
      w.u8(t.ri);
      w.zigzag(t.r0);
      w.zigzag(t.r1);
      w.zigzag(t.r2);
    } else {
      w.zigzag(t.r0 - last!.r0);
      w.zigzag(t.r1 - last!.r1);
      w.zigzag(t.r2 - last!.r2);
    }
  }
  if (flags & F_SCALE) {
    w.f32(t.sx);
    w.f32(t.sy);
    w.f32(t.sz);
  }
}

/** The page side: the same state, moved on by each frame. */
export class TransformDecoder {
  readonly state = new Map<number, QuantizedTransform>();

  forget(id: number): void {
    this.state.delete(id);
  }

  /** Applies a frame; returns its tick and the ids it moved. */
  decode(buffer: ArrayBuffer | Uint8Array): { tick: number; moved: number[] } {
    const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes[0] !== TRANSFORM_FRAME) throw new Error("not a transform frame");
    const tick = view.getUint32(1, true);
    const count = view.getUint32(5, true);
    let at = 9;
    const varint = () => {
      let v = 0, scale = 1, b: number;
      do {
        b = bytes[at++]!;
        v += (b & 0x7f) * scale;
        scale *= 0x80;
      } while (b & 0x80);
      return v;
    };
    const zigzag = () => {
      const v = varint();
      return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
    };
    const moved: number[] = [];
    let id = 0;
    for (let n = 0; n < count; n++) {
      const head = varint();
      const flags = head % FLAG_SPAN;
      id += Math.floor(head / FLAG_SPAN);
      const known = this.state.get(id);
      const t: QuantizedTransform = known && !(flags & F_NEW)
        ? known
        : { px: 0, py: 0, pz: 0, ri: 3, r0: 0, r1: 0, r2: 0, sx: 1, sy: 1, sz: 1 };
      if (flags & F_POS) {
        t.px += zigzag();
        t.py += zigzag();
        t.pz += zigzag();
      }
      if (flags & F_ROT) {
        if (flags & F_ABS) {
          t.ri = bytes[at++]!;
          t.r0 = zigzag();
          t.r1 = zigzag();
          t.r2 = zigzag();
        } else {
          t.r0 += zigzag();
          t.r1 += zigzag();
          t.r2 += zigzag();
        }
      }
      if (flags & F_SCALE) {
        t.sx = view.getFloat32(at, true);
        t.sy = view.getFloat32(at + 4, true);
        t.sz = view.getFloat32(at + 8, true);
        at += 12;
      }
      this.state.set(id, t);
      moved.push(id);
    }
    return { tick, moved };
  }
}

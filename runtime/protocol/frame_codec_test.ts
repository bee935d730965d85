import assert from "node:assert/strict";
import { encodeFrame, MessagePackWriter } from "./msgpack_encode.ts";
import { FrameReader } from "./frame_reader.ts";
import { decodeMessagePack } from "./msgpack_decode.ts";
import { ProtocolError } from "./errors.ts";

Deno.test("frames round-trip through a reader fed one byte at a time", () => {
  const msg = {
    t: "tick",
    tick: 7,
    dt: 1 / 60,
    neg: -5,
    big: 4_000_000_000,
    s: "héllo".repeat(20),
    ok: true,
    none: null,
    cols: { Transform: { position: new Float32Array([1.5, 2, 3]) } },
    list: [1, [2, [3]]],
  };
  const bytes = new Uint8Array([...encodeFrame(msg), ...encodeFrame({ t: "x" })]);
  const reader = new FrameReader();
  const got: unknown[] = [];
  for (const b of bytes) got.push(...reader.push(new Uint8Array([b])));
  assert.equal(got.length, 2);
  const first = got[0] as Omit<typeof msg, "cols"> & {
    cols: { Transform: { position: Uint8Array } };
  };
  assert.equal(first.tick, 7);
  assert.equal(first.dt, 1 / 60);
  assert.equal(first.neg, -5);
  assert.equal(first.big, 4_000_000_000);
  assert.equal(first.s, msg.s);
  assert.equal(first.none, null);
  assert.deepEqual(first.list, [1, [2, [3]]]);
  const pos = first.cols.Transform.position;
  assert.deepEqual(new Float32Array(pos.slice().buffer), new Float32Array([1.5, 2, 3]));
});

Deno.test("reader refuses a length prefix larger than the frame limit before allocating", () => {
  const reader = new FrameReader();
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, 0xffffffff, true);
  assert.throws(() => reader.push(header), ProtocolError);
});

Deno.test("decoder refuses deep nesting, trailing bytes, __proto__ keys and huge declared lengths", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = [deep];
  const encode = (v: unknown) =>
    new MessagePackWriter().beginFrame().value(v).finishFrame().slice(4);
  assert.throws(() => decodeMessagePack(encode(deep)), /nesting deeper/);
  assert.throws(() => decodeMessagePack(new Uint8Array([...encode(1), 0])), /trailing/);
  const proto = new Uint8Array([0x81, 0xa9, ...new TextEncoder().encode("__proto__"), 0x01]);
  assert.throws(() => decodeMessagePack(proto), /__proto__/);
  assert.throws(() => decodeMessagePack(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff])), /items/);
  assert.throws(
    () => decodeMessagePack(new Uint8Array([0xc6, 0x7f, 0xff, 0xff, 0xff])),
    /bin|needs/,
  );
  assert.throws(() => decodeMessagePack(new Uint8Array([0xc1])), /unsupported/);
});

import assert from "node:assert/strict";
import { ProtocolError } from "../protocol/mod.ts";
import { FrameSplitter } from "./frame_splitter.ts";

function framed(...bodies: number[][]): Uint8Array {
  const out: number[] = [];
  for (const body of bodies) {
    out.push(body.length & 0xff, (body.length >> 8) & 0xff, (body.length >> 16) & 0xff, 0);
    out.push(...body);
  }
  return new Uint8Array(out);
}

/** Feeds `bytes` cut at `cuts`, reusing one chunk buffer as a socket reader does. */
function split(
  bytes: Uint8Array,
  cuts: number[],
  splitter = new FrameSplitter(1 << 20),
): number[][] {
  const out: number[][] = [];
  const reused = new Uint8Array(bytes.length);
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    reused.set(bytes.subarray(from, to));
    for (const body of splitter.frames(reused.subarray(0, to - from))) out.push([...body]);
    reused.fill(0xee);
    from = to;
  }
  return out;
}

const BODIES = [[1], [2, 3], Array.from({ length: 300 }, (_, i) => i & 0xff), [4, 5, 6]];

Deno.test("the splitter yields the same frames wherever the stream is cut", () => {
  const bytes = framed(...BODIES);
  assert.deepEqual(split(bytes, []), BODIES);
  for (let cut = 1; cut < bytes.length; cut++) {
    assert.deepEqual(split(bytes, [cut]), BODIES, `cut at ${cut}`);
  }
  const everyByte = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(split(bytes, everyByte), BODIES);
});

Deno.test("the splitter reports a frame over the limit before allocating it, and empty frames", () => {
  assert.throws(
    () => split(new Uint8Array([0xff, 0xff, 0xff, 0xff]), []),
    (e: Error) =>
      e instanceof ProtocolError &&
      /Frame of 4294967295 bytes exceeds the limit of 1048576/.test(e.message),
  );
  assert.throws(() => split(framed([]), []), /Empty frame/);
});

Deno.test("the splitter knows when a frame is cut off", () => {
  const splitter = new FrameSplitter(100);
  assert.equal(splitter.midFrame, false);
  split(framed([1, 2, 3]).subarray(0, 2), [], splitter);
  assert.equal(splitter.midFrame, true, "half a prefix");
  split(new Uint8Array([0, 0, 1]), [], splitter);
  assert.equal(splitter.midFrame, true, "a prefix and part of the body");
  assert.deepEqual(split(new Uint8Array([2, 3]), [], splitter), [[1, 2, 3]]);
  assert.equal(splitter.midFrame, false);
});

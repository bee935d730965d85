import assert from "node:assert/strict";
import { decodePng, encodePng } from "./png.ts";

Deno.test("a PNG encoded here decodes to the same pixels, and its chunks are well formed", async () => {
  const width = 37, height = 11;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 7919) & 0xff;
  const png = await encodePng(rgba, width, height);
  const back = await decodePng(png);
  assert.equal(back.width, width);
  assert.equal(back.height, height);
  assert.deepEqual(back.rgba, rgba);
  // IHDR right after the signature, IEND last.
  assert.equal(new TextDecoder().decode(png.subarray(12, 16)), "IHDR");
  assert.equal(new TextDecoder().decode(png.subarray(png.length - 8, png.length - 4)), "IEND");
});

Deno.test("a frame of the wrong size is refused, saying what it should be", async () => {
  await assert.rejects(
    () => encodePng(new Uint8Array(10), 2, 2),
    /A 2×2 frame has 16 bytes, not 10/,
  );
});

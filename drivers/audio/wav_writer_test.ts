import assert from "node:assert/strict";
import { WavWriter } from "./wav_writer.ts";
import { readWav } from "./wav_reader.ts";

Deno.test("the WAV being written reads whole after every block, with no close (a killed driver)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/out.wav`;
    const writer = WavWriter.create(path, 48000, 2);
    assert.equal(readWav(Deno.readFileSync(path)).samples.length, 0, "empty but valid at once");
    for (let k = 1; k <= 3; k++) {
      writer.write(new Float32Array(1600).fill(k / 4));
      // Read through another handle while the writer is still open.
      const clip = readWav(Deno.readFileSync(path));
      assert.deepEqual([clip.sampleRate, clip.channels, clip.samples.length], [48000, 2, 800 * k]);
      assert.ok(Math.abs(clip.samples.at(-1)! - k / 4) < 1e-4);
      const view = new DataView(Deno.readFileSync(path).buffer);
      assert.equal(view.getUint32(40, true), 3200 * k, "the data size");
      assert.equal(view.getUint32(4, true), 36 + 3200 * k, "the RIFF size");
    }
    writer.close();
    assert.throws(() => writer.write(new Float32Array(3)), /not whole frames/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

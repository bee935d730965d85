import assert from "node:assert/strict";
import { VoiceQueue } from "./voice_queue.ts";

Deno.test("voice from each sender is mixed in both ears, across block edges, and bounded", () => {
  const voices = new VoiceQueue();
  voices.push("mic", { tick: 0, channels: 1, frames: 3, samples: Float32Array.of(0.1, 0.2, 0.3) });
  voices.push("net", { tick: 0, channels: 2, frames: 1, samples: Float32Array.of(0.5, -0.5) });
  const out = new Float32Array(4);
  voices.mixInto(out);
  assert.deepEqual([...out].map((v) => Math.round(v * 100) / 100), [0.6, -0.4, 0.2, 0.2]);
  const next = new Float32Array(4);
  voices.mixInto(next);
  assert.deepEqual([...next].map((v) => Math.round(v * 100) / 100), [0.3, 0.3, 0, 0]);
  assert.equal(voices.senders, 0);
  for (let i = 0; i < 40; i++) {
    voices.push("fast", { tick: i, channels: 1, frames: 800, samples: new Float32Array(800) });
  }
  assert.ok(
    (voices.takeDropped().get("fast") ?? 0) >= 20000,
    "a sender running ahead loses frames",
  );
});

import assert from "node:assert/strict";
import {
  concatBytes,
  decodeMessagePack,
  encodeFrame,
  MessagePackWriter,
  ProtocolError,
  writeRuntimeFrame,
} from "../../runtime/protocol/mod.ts";
import type { ChannelInput, ChannelOutput } from "./hardening.ts";
import { FrameChannel, GUEST_FRAME_LIMITS } from "./channel.ts";

/**
 * fd 0 as a socket or pipe hands it out: `bytes` in reads of at most `chunk`
 * bytes (and of what the caller's buffer holds), then end of input. Counts
 * the asynchronous reads (event-loop wake-ups) and the synchronous ones.
 */
class ChunkedInput implements ChannelInput {
  readonly #bytes: Uint8Array;
  readonly #chunk: number;
  #at = 0;
  reads = 0;
  syncReads = 0;
  /** Makes readSync throw WouldBlock, as on a non-blocking fd. */
  wouldBlock = false;

  constructor(bytes: Uint8Array, chunk: number) {
    this.#bytes = bytes;
    this.#chunk = chunk;
  }

  #take(buffer: Uint8Array): number | null {
    if (this.#at === this.#bytes.length) return null;
    const n = Math.min(this.#chunk, buffer.length, this.#bytes.length - this.#at);
    buffer.set(this.#bytes.subarray(this.#at, this.#at + n));
    this.#at += n;
    return n;
  }

  readSync(buffer: Uint8Array): number | null {
    this.syncReads++;
    if (this.wouldBlock) throw new Deno.errors.WouldBlock("Resource temporarily unavailable");
    return this.#take(buffer);
  }

  read(buffer: Uint8Array): Promise<number | null> {
    this.reads++;
    return Promise.resolve(this.#take(buffer));
  }
}

/** fd 1 that takes at most `chunk` bytes per write, as a full pipe or socket may. */
class ChunkedOutput implements ChannelOutput {
  readonly parts: Uint8Array[] = [];
  readonly #chunk: number;

  constructor(chunk: number) {
    this.#chunk = chunk;
  }

  writeSync(bytes: Uint8Array): number {
    const n = Math.min(this.#chunk, bytes.length);
    this.parts.push(bytes.slice(0, n));
    return n;
  }

  get bytes(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** A tick frame as the runtime writes it, with `n` entities and a vec3 column of distinct bytes. */
function tickFrame(n: number, tick = 1): Uint8Array {
  const p = new Uint8Array(n * 12).map((_, i) => (i * 7 + tick) & 0xff);
  return writeRuntimeFrame(new MessagePackWriter(), {
    t: "tick",
    tick,
    dt: 0.5,
    queries: {
      default: {
        count: n,
        entities: new Uint8Array(n * 4).map((_, i) => i & 0xff),
        columns: { P: { p } },
      },
    },
  }).slice();
}

async function readAll(channel: FrameChannel): Promise<unknown[]> {
  const out: unknown[] = [];
  while (true) {
    const m = await channel.next();
    if (m === null) return out;
    // Copied: a message's views are valid only until the next call.
    out.push(structuredClone(m));
  }
}

async function rejects(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof ProtocolError, `a ProtocolError, got ${error}`);
    assert.match(error.message, message);
    return true;
  });
}

const FRAMES = [
  encodeFrame({ t: "init", reserve: new Uint8Array(8) }),
  tickFrame(3, 1),
  encodeFrame({ t: "x", s: "odd length" }),
  tickFrame(1000, 2),
  tickFrame(0, 3),
  encodeFrame({ t: "shutdown" }),
];
const EXPECTED = FRAMES.map((f) => structuredClone(decodeMessagePack(f.subarray(4))));

for (const chunk of [1, 3, 7, 4096, 65536, 1 << 20]) {
  Deno.test(`the channel reads back-to-back frames delivered in reads of ${chunk} bytes`, async () => {
    const channel = new FrameChannel(
      new ChunkedInput(concatBytes(...FRAMES), chunk),
      new ChunkedOutput(1),
      { initialBytes: 256 },
    );
    assert.deepEqual(await readAll(channel), EXPECTED);
  });
}

Deno.test("the channel hands out tick columns on 8-byte boundaries, wherever a frame arrived", async () => {
  // Odd-length frames in between put every tick at a different offset of the stream.
  const frames = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((k) => [
    encodeFrame({ t: "x", s: "y".repeat(k) }),
    tickFrame(k * 10, k),
  ]);
  const channel = new FrameChannel(
    new ChunkedInput(concatBytes(...frames), 1 << 20),
    new ChunkedOutput(1),
  );
  let ticks = 0;
  for (let m = await channel.next(); m !== null; m = await channel.next()) {
    const message = m as { t: string; blob?: Uint8Array };
    if (message.t !== "tick") continue;
    ticks++;
    assert.equal(message.blob!.byteOffset % 8, 0, "the blob starts on an 8-byte boundary");
    // Viewable in place: no RangeError.
    new Float64Array(message.blob!.buffer, message.blob!.byteOffset, message.blob!.length >> 3);
  }
  assert.equal(ticks, 8);
});

Deno.test("the channel wakes once per frame and reads the rest of a large frame synchronously", async () => {
  const frame = tickFrame(100_000); // 1.6 MB
  const input = new ChunkedInput(concatBytes(frame, frame), 64 * 1024);
  const channel = new FrameChannel(input, new ChunkedOutput(1));
  assert.notEqual(await channel.next(), null);
  assert.notEqual(await channel.next(), null);
  assert.equal(await channel.next(), null);
  // One wake-up per frame and one for the end of input.
  assert.equal(input.reads, 3);
  assert.ok(input.syncReads >= 2 * Math.floor(frame.length / 65536) - 2, `${input.syncReads}`);
});

Deno.test("the channel awaits the rest of a frame when fd 0 is non-blocking", async () => {
  const input = new ChunkedInput(concatBytes(tickFrame(5000), tickFrame(7000)), 4096);
  input.wouldBlock = true;
  const channel = new FrameChannel(input, new ChunkedOutput(1), { initialBytes: 1024 });
  assert.equal((await readAll(channel)).length, 2);
  assert.ok(input.reads > 3, "the rest came from awaited reads");
});

Deno.test("end of input between frames ends the channel without an error", async () => {
  const channel = new FrameChannel(new ChunkedInput(new Uint8Array(0), 1), new ChunkedOutput(1));
  assert.equal(await channel.next(), null);
});

Deno.test("input that ends inside a frame is a ProtocolError saying how much arrived", async () => {
  const frame = tickFrame(1000);
  const cut = new FrameChannel(
    new ChunkedInput(frame.subarray(0, 5000), 4096),
    new ChunkedOutput(1),
  );
  await rejects(
    cut.next(),
    new RegExp(`^Input ended inside a frame: 4996 of ${frame.length - 4} bytes arrived$`),
  );
  const prefix = new FrameChannel(
    new ChunkedInput(concatBytes(encodeFrame({ t: "x" }), new Uint8Array([9, 0])), 1),
    new ChunkedOutput(1),
  );
  assert.deepEqual(structuredClone(await prefix.next()), { t: "x" });
  await rejects(
    prefix.next(),
    /^Input ended inside a frame's length prefix: 2 of 4 bytes arrived$/,
  );
});

Deno.test("a frame over the limit is refused before anything is allocated for it", async () => {
  const huge = new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
  const channel = new FrameChannel(new ChunkedInput(huge, 1 << 20), new ChunkedOutput(1));
  await rejects(
    channel.next(),
    new RegExp(
      `^Frame of 4294967295 bytes exceeds the limit of ${GUEST_FRAME_LIMITS.maxFrameBytes}$`,
    ),
  );
  assert.equal(channel.bufferBytes, 256 * 1024);
  const small = new FrameChannel(new ChunkedInput(tickFrame(100), 1 << 20), new ChunkedOutput(1), {
    limits: { ...GUEST_FRAME_LIMITS, maxFrameBytes: 1000 },
  });
  await rejects(small.next(), /^Frame of \d+ bytes exceeds the limit of 1000$/);
  const empty = new FrameChannel(new ChunkedInput(new Uint8Array(4), 1), new ChunkedOutput(1));
  await rejects(empty.next(), /^Empty frame$/);
});

Deno.test("malformed MessagePack in a whole frame is a ProtocolError", async () => {
  const channel = new FrameChannel(
    new ChunkedInput(new Uint8Array([3, 0, 0, 0, 0xc1, 0xc1, 0xc1]), 1 << 20),
    new ChunkedOutput(1),
  );
  await assert.rejects(channel.next(), /Malformed MessagePack/);
});

Deno.test("the channel's buffer grows for a large frame and shrinks back after it", async () => {
  const big = tickFrame(200_000); // 3.2 MB
  const input = new ChunkedInput(concatBytes(big, tickFrame(10)), 64 * 1024);
  const channel = new FrameChannel(input, new ChunkedOutput(1), { keepBytes: 1 << 20 });
  const count = (m: unknown) =>
    (m as { layout: { default: { count: number } } }).layout.default.count;
  assert.equal(count(await channel.next()), 200_000);
  assert.ok(channel.bufferBytes >= big.length);
  assert.equal(count(await channel.next()), 10);
  assert.equal(await channel.next(), null);
  assert.equal(channel.bufferBytes, 256 * 1024);
});

Deno.test("send writes every byte of each frame, in order, through partial writes", () => {
  const output = new ChunkedOutput(7);
  const channel = new FrameChannel(new ChunkedInput(new Uint8Array(0), 1), output);
  const messages = [
    { t: "log" as const, level: "log" as const, text: "x".repeat(1000) },
    { t: "result" as const, tick: 3, changed: {}, commands: [], error: null },
  ];
  for (const m of messages) channel.send(m);
  assert.deepEqual(output.bytes, concatBytes(...messages.map((m) => encodeFrame(m))));
  assert.ok(output.parts.length > 100, "the writes were partial");
});

Deno.test("send refuses an output that takes no bytes instead of spinning", () => {
  const channel = new FrameChannel(new ChunkedInput(new Uint8Array(0), 1), { writeSync: () => 0 });
  assert.throws(
    () => channel.send({ t: "log", level: "log", text: "x" }),
    /^ProtocolError: The channel took no bytes: wrote 0$/,
  );
});

/**
 * Fuzzes the coordinator's frame decoder (`FrameReader` with the limits for
 * untrusted children) with random bytes and with mutations of realistic
 * frames, fed in random chunkings, and with frames of tens of thousands of
 * empty arrays and maps around the decoder's per-message object budget
 * (which must decide exactly). Every input must decode to messages or end
 * in a `ProtocolError`: any other exception, a hang or a crash fails.
 * The same bytes must decode the same way however they are chunked.
 *
 * The fuzzing runs in a Worker (this same module) so that a hang is caught
 * by a timeout. `FUZZ_SEED=<n>` replays a run, `FUZZ_CASES=<n>` sets its size.
 *
 * @module
 */
import assert from "node:assert/strict";
import { concatBytes, encodeFrame } from "./msgpack_encode.ts";
import { DEFAULT_FRAME_LIMITS, FrameReader } from "./frame_reader.ts";
import { ProtocolError } from "./errors.ts";

const CASES = 12_000;
const TIMEOUT_MS = 30_000;

/** mulberry32: a small seeded PRNG, so that a failure replays from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = ReturnType<typeof prng>;
const int = (r: Random, n: number) => Math.floor(r() * n);
const pick = <T>(r: Random, items: readonly T[]): T => items[int(r, items.length)]!;

function randomBytes(r: Random, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = int(r, 256);
  return out;
}

const COMPONENTS = ["Transform", "Velocity", "Spin", "Counter", "Mesh"];
const TEXT = ["", "a", "héllo wörld", "__proto__", "constructor", "x".repeat(40), "🦕".repeat(9)];

/** A realistic message of the protocol, either direction. */
function message(r: Random): unknown {
  const count = int(r, 8);
  const column = () => new Float32Array(count * 3).map(() => r() * 100 - 50);
  switch (int(r, 6)) {
    case 0:
      return {
        t: "hello",
        v: 1,
        manifest: {
          name: pick(r, ["spinner", "door", null]),
          reads: [pick(r, COMPONENTS)],
          writes: [pick(r, COMPONENTS)],
          spawns: r() < 0.5,
          hasInit: r() < 0.5,
          hasRun: true,
          components: { Spin: { speed: { type: "f32", default: [0] } } },
          net: r() < 0.2 ? ["127.0.0.1:8080"] : [],
          storage: false,
        },
      };
    case 1:
      return {
        t: "result",
        tick: int(r, 1 << 20),
        changed: r() < 0.5 ? {} : { Transform: { position: new Uint8Array(column().buffer) } },
        commands: [
          ["spawn", int(r, 1 << 16), { Transform: { position: [1, 2, 3] } }],
          ["despawn", int(r, 1 << 16)],
          ["add", int(r, 1 << 16), "Velocity", { linear: [0, r(), 0] }],
          ["remove", int(r, 1 << 16), pick(r, COMPONENTS)],
        ].slice(0, int(r, 5)),
        error: r() < 0.8 ? null : { name: "TypeError", message: pick(r, TEXT), stack: null },
      };
    case 2:
      return { t: "log", level: pick(r, ["log", "warn", "error"]), text: pick(r, TEXT) };
    case 3:
      return {
        t: "tick",
        tick: int(r, 1 << 30),
        dt: 1 / 60,
        count,
        entities: new Uint8Array(new Uint32Array(count).map(() => int(r, 1 << 30)).buffer),
        columns: { [pick(r, COMPONENTS)]: { position: new Uint8Array(column().buffer) } },
        reserve: new Uint8Array(new Uint32Array(int(r, 16)).buffer),
      };
    case 4:
      return { t: "fail", error: { name: "Error", message: pick(r, TEXT), stack: "at x.ts:1:1" } };
    default:
      return { t: pick(r, ["shutdown", "init"]), big: -(2 ** 40), neg: -5, f: 0.5, list: [[[]]] };
  }
}

/** A few valid frames back to back. */
function validStream(r: Random): Uint8Array {
  return concatBytes(...Array.from({ length: 1 + int(r, 3) }, () => encodeFrame(message(r))));
}

const INTERESTING = [
  0x00,
  0x7f,
  0x80,
  0x8f,
  0x90,
  0x9f,
  0xc0,
  0xc1,
  0xc4,
  0xc6,
  0xcf,
  0xd3,
  0xd4,
  0xd9,
  0xdb,
  0xdc,
  0xdd,
  0xde,
  0xdf,
  0xff,
];
const CONTAINERS = new Set([0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf]);

/**
 * A frame whose arrays all stay within the per-array limit but whose total
 * of arrays and maps is around the per-message budget: tens of thousands of
 * empty containers, a byte each on the wire. Returns the containers it holds.
 */
function paddedFrame(r: Random): { bytes: Uint8Array; containers: number } {
  const limit = DEFAULT_FRAME_LIMITS.maxContainers;
  const groups = 1 + int(r, 4);
  const perGroup = Math.floor((limit * (0.5 + r())) / groups);
  const body = new Uint8Array(5 + groups * (5 + perGroup));
  const view = new DataView(body.buffer);
  body[0] = 0xdd;
  view.setUint32(1, groups);
  let at = 5;
  for (let g = 0; g < groups; g++) {
    body[at] = 0xdd;
    view.setUint32(at + 1, perGroup);
    at += 5;
    body.fill(pick(r, [0x80, 0x90]), at, at + perGroup); // empty fixmaps or fixarrays
    at += perGroup;
  }
  const frame = new Uint8Array(4 + at);
  new DataView(frame.buffer).setUint32(0, at, true);
  frame.set(body.subarray(0, at), 4);
  return { bytes: frame, containers: 1 + groups + groups * perGroup };
}

/** One fuzz input: random bytes, a padded frame, or a valid stream mutated one or more ways. */
function input(r: Random): { bytes: Uint8Array; how: string; containers?: number } {
  if (r() < 0.12) return { bytes: randomBytes(r, int(r, 2048)), how: "random" };
  if (r() < 0.0025) return { ...paddedFrame(r), how: "containers" };
  let bytes = validStream(r);
  const hows: string[] = [];
  for (let m = 1 + int(r, 3); m > 0; m--) {
    const at = int(r, bytes.length + 1);
    const how = pick(r, [
      "bitflip",
      "byte",
      "truncate",
      "insert",
      "delete",
      "length",
      "splice",
      "duplicate",
      "header",
    ]);
    hows.push(how);
    const copy = () => new Uint8Array(bytes);
    switch (how) {
      case "bitflip": {
        bytes = copy();
        for (let i = 1 + int(r, 8); i > 0 && bytes.length > 0; i--) {
          bytes[int(r, bytes.length)]! ^= 1 << int(r, 8);
        }
        break;
      }
      case "byte":
        bytes = copy();
        if (bytes.length > 0) bytes[int(r, bytes.length)] = pick(r, INTERESTING);
        break;
      case "truncate":
        bytes = bytes.slice(0, at);
        break;
      case "insert":
        bytes = new Uint8Array([
          ...bytes.subarray(0, at),
          ...randomBytes(r, 1 + int(r, 16)),
          ...bytes.subarray(at),
        ]);
        break;
      case "delete":
        bytes = new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + 1 + int(r, 16))]);
        break;
      case "length": {
        // Corrupt the first frame's length prefix: a random, off-by-a-few or boundary value.
        bytes = copy();
        if (bytes.length < 4) break;
        const view = new DataView(bytes.buffer);
        const length = view.getUint32(0, true);
        const limit = DEFAULT_FRAME_LIMITS.maxFrameBytes;
        const forged = pick(r, [
          int(r, 2 ** 32),
          length + 1 + int(r, 16),
          Math.max(0, length - 1 - int(r, 16)),
          0,
          0xffffffff,
          limit,
          limit + 1,
        ]);
        view.setUint32(0, forged >>> 0, true);
        break;
      }
      case "splice": {
        const other = validStream(r);
        bytes = new Uint8Array([...bytes.subarray(0, at), ...other.subarray(int(r, other.length))]);
        break;
      }
      case "duplicate": {
        const end = Math.min(bytes.length, at + 1 + int(r, 64));
        bytes = new Uint8Array([
          ...bytes.subarray(0, end),
          ...bytes.subarray(at, end),
          ...bytes.subarray(end),
        ]);
        break;
      }
      case "header": {
        // Give a str/bin/array/map header a huge declared length.
        bytes = copy();
        const heads = [...bytes.keys()].filter((i) => i >= 4 && CONTAINERS.has(bytes[i]!));
        if (heads.length === 0) break;
        const i = pick(r, heads);
        for (let k = 1; k <= 4 && i + k < bytes.length; k++) {
          bytes[i + k] = r() < 0.5 ? 0xff : int(r, 256);
        }
        break;
      }
    }
  }
  return { bytes, how: hows.join("+") };
}

/** Splits bytes into random chunks (sometimes one byte each, sometimes whole). */
function chunks(r: Random, bytes: Uint8Array): Uint8Array[] {
  const mode = int(r, 4);
  if (mode === 0) return [bytes];
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = mode === 1 ? 1 : 1 + int(r, mode === 2 ? 8 : 512);
    out.push(bytes.slice(at, at + size));
    at += size;
  }
  return out;
}

type Outcome = { messages: string; error: string | null };

const normalize = (_key: string, value: unknown) =>
  value instanceof Uint8Array ? `bin:${Array.from(value).join(",")}` : value;

/** Decodes chunk by chunk; anything thrown other than a ProtocolError escapes. */
function decode(parts: readonly Uint8Array[]): Outcome {
  const reader = new FrameReader(DEFAULT_FRAME_LIMITS);
  const messages: unknown[] = [];
  try {
    for (const part of parts) messages.push(...reader.push(part));
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return { messages: JSON.stringify(messages, normalize), error: error.message };
  }
  return { messages: JSON.stringify(messages, normalize), error: null };
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes.subarray(0, 96), (b) => b.toString(16).padStart(2, "0")).join("") +
  (bytes.length > 96 ? `... (${bytes.length} bytes)` : "");

/** Runs the fuzz loop; returns counts, or the first failure. */
export function fuzzDecoder(seed: number, cases: number) {
  const r = prng(seed);
  const tally = {
    cases: 0,
    decoded: 0,
    protocolErrors: 0,
    messages: 0,
    slowestMs: 0,
    padded: 0,
  };
  for (let i = 0; i < cases; i++) {
    const { bytes, how, containers } = input(r);
    const parts = chunks(r, bytes);
    const started = performance.now();
    let whole: Outcome;
    let chunked: Outcome;
    try {
      whole = decode([bytes]);
      chunked = decode(parts);
    } catch (error) {
      return {
        ...tally,
        failure: `case ${i} (${how}): ${(error as Error)?.stack ?? error}\n  input: ${hex(bytes)}`,
      };
    }
    tally.slowestMs = Math.max(tally.slowestMs, performance.now() - started);
    if (
      whole.error !== chunked.error || (whole.error === null && whole.messages !== chunked.messages)
    ) {
      return {
        ...tally,
        failure: `case ${i} (${how}): decoding depends on chunking: whole ${
          JSON.stringify(whole.error)
        }, in ${parts.length} chunks ${JSON.stringify(chunked.error)}\n  input: ${hex(bytes)}`,
      };
    }
    if (containers !== undefined) {
      // The object budget decides, exactly: over it is refused, within it decodes.
      const over = containers > DEFAULT_FRAME_LIMITS.maxContainers;
      const refused = whole.error?.endsWith("arrays and maps in one message") ?? false;
      if (over !== refused) {
        return {
          ...tally,
          failure: `case ${i}: ${containers} containers ${
            over ? "were not refused" : "were refused"
          }: ${whole.error}`,
        };
      }
      tally.padded++;
    }
    tally.cases++;
    if (whole.error === null) tally.decoded++;
    else tally.protocolErrors++;
    tally.messages += (JSON.parse(chunked.messages) as unknown[]).length;
  }
  return { ...tally, failure: null };
}

const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !==
  "undefined";

if (inWorker) {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<{ seed: number; cases: number }>) => void) | null;
    postMessage(message: unknown): void;
  };
  scope.onmessage = (e) => scope.postMessage(fuzzDecoder(e.data.seed, e.data.cases));
} else {
  Deno.test("the coordinator's frame decoder survives random and mutated frames in any chunking with nothing but ProtocolError", async () => {
    const seed = Number(Deno.env.get("FUZZ_SEED") ?? Math.floor(Math.random() * 2 ** 32));
    const cases = Number(Deno.env.get("FUZZ_CASES") ?? CASES);
    console.log(`decoder fuzz: seed ${seed} (replay with FUZZ_SEED=${seed}), ${cases} cases`);
    const worker = new Worker(import.meta.url, { type: "module" });
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const result = await new Promise<ReturnType<typeof fuzzDecoder>>((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => {
          e.preventDefault();
          reject(new Error(`The fuzzing worker crashed (seed ${seed}): ${e.message}`));
        };
        timer = setTimeout(
          () => reject(new Error(`The decoder hung: no answer in ${TIMEOUT_MS} ms (seed ${seed})`)),
          TIMEOUT_MS,
        );
        worker.postMessage({ seed, cases });
      });
      assert.equal(result.failure, null, `seed ${seed}: ${result.failure}`);
      assert.equal(result.cases, cases);
      assert.ok(
        result.protocolErrors > cases / 4,
        `most mutations are refused: ${JSON.stringify(result)}`,
      );
      assert.ok(result.decoded > 0, `some inputs still decode: ${JSON.stringify(result)}`);
      assert.ok(
        result.padded > 0,
        `some frames tested the object budget: ${JSON.stringify(result)}`,
      );
      console.log(`decoder fuzz: ${JSON.stringify(result)}`);
    } finally {
      clearTimeout(timer);
      worker.terminate();
    }
  });
}

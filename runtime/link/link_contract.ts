/**
 * The contract every {@linkcode SpawnChild} keeps, as one suite each
 * implementation runs against a real `deno run` peer
 * (fixtures/link_peer.ts, no permissions): frames in order, 8 MiB frames
 * both ways, frames cut at odd places, a peer dying mid-frame, garbage,
 * back-pressure from a slow reader, sends after close and after exit, a
 * kill, and stderr lines.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  copyDecoded,
  encodeFrame,
  type ProtocolError,
  type RuntimeMessage,
} from "../protocol/mod.ts";
import type { ChildCommand } from "../../sandbox/command/mod.ts";
import type { SpawnChild, SpawnedChild } from "./link.ts";

/** One implementation under the contract. */
export interface LinkContractOptions {
  /** Shown in each test's name, e.g. `stdio`. */
  name: string;
  /** The spawner under test; called once per case with the peer's command. */
  makeLink: SpawnChild;
  /** Skips the suite, e.g. where the transport is unavailable on this machine. */
  ignore?: boolean;
}

const PEER = fileURLToPath(new URL("./fixtures/link_peer.ts", import.meta.url));
/** Longest wait for anything a case expects. */
const PATIENCE_MS = 20_000;

function peerCommand(scenario: string): ChildCommand {
  return {
    program: Deno.execPath(),
    args: ["run", "--no-prompt", "--no-config", "--no-lock", PEER, scenario],
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  };
}

/** A peer and everything it delivered, each message copied out of the link's buffers. */
interface Peer extends AsyncDisposable {
  child: SpawnedChild;
  messages: unknown[];
  protocolErrors: ProtocolError[];
  stderr: string[];
  /** Resolves once `count` messages have arrived. */
  received(count: number): Promise<void>;
}

function startPeer(makeLink: SpawnChild, scenario: string): Peer {
  const messages: unknown[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const protocolErrors: ProtocolError[] = [];
  const stderr: string[] = [];
  const child = makeLink(peerCommand(scenario), {
    message(message) {
      messages.push(copyDecoded(message));
      for (const w of waiters) if (messages.length >= w.count) w.resolve();
    },
    protocolError: (error) => protocolErrors.push(error),
    stderr: (line) => stderr.push(line),
  });
  return {
    child,
    messages,
    protocolErrors,
    stderr,
    received(count) {
      if (messages.length >= count) return Promise.resolve();
      return within(
        new Promise<void>((resolve) => waiters.push({ count, resolve })),
        `${count} messages (got ${messages.length})`,
      );
    },
    async [Symbol.asyncDispose]() {
      child.process.kill();
      await child.process.exited;
    },
  };
}

async function within<T>(promise: Promise<T>, what: string, ms = PATIENCE_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `length` bytes from a seeded xorshift: data a transport cannot get right by accident. */
function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function frameWith(reserve: Uint8Array): RuntimeMessage {
  return { t: "init", reserve };
}

/** The reserve bytes of an echoed init frame. */
function reserveOf(message: unknown): Uint8Array {
  const m = message as { t?: unknown; reserve?: unknown };
  assert.equal(m.t, "init");
  assert.ok(m.reserve instanceof Uint8Array, "the echo carries bytes");
  return m.reserve;
}

/** Asserts two byte arrays are equal, naming the first difference (deepEqual on MiBs is slow). */
function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      assert.fail(`${what}: byte ${i} is ${actual[i]}, not ${expected[i]}`);
    }
  }
}

function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

type Case = [name: string, run: (makeLink: SpawnChild) => Promise<void>];

const CASES: Case[] = [
  ["delivers 1000 frames in the order they were sent", async (makeLink) => {
    await using peer = startPeer(makeLink, "echo");
    const index = (i: number) => new Uint8Array(new Uint32Array([i]).buffer);
    // Not awaited one by one: the link itself must keep the order.
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => peer.child.link.send(frameWith(index(i)))),
    );
    await peer.received(1000);
    const got = peer.messages.map((m) => new DataView(reserveOf(m).buffer).getUint32(0, true));
    assert.deepEqual(got, Array.from({ length: 1000 }, (_, i) => i));
  }],

  ["carries 8 MiB frames both ways intact", async (makeLink) => {
    await using peer = startPeer(makeLink, "echo");
    const sent = [pattern(8 << 20, 1), pattern(8 << 20, 2), pattern(100, 3)];
    for (const bytes of sent) await peer.child.link.send(frameWith(bytes));
    await peer.received(sent.length);
    sent.forEach((bytes, i) => assertSameBytes(reserveOf(peer.messages[i]), bytes, `frame ${i}`));
  }],

  ["reassembles frames the peer writes byte by byte and cut at odd places", async (makeLink) => {
    await using peer = startPeer(makeLink, "trickle");
    const sizes = [20, 1, 7, 100, 4093, 65537, 3, 300_001, 2];
    const sent = sizes.map((size, i) => pattern(size, 10 + i));
    for (const bytes of sent) await peer.child.link.send(frameWith(bytes));
    await peer.received(sent.length);
    sent.forEach((bytes, i) => assertSameBytes(reserveOf(peer.messages[i]), bytes, `frame ${i}`));
    assert.equal(peer.protocolErrors.length, 0);
  }],

  [
    "a peer that dies mid-frame closes the link without a message for the partial frame",
    async (makeLink) => {
      await using peer = startPeer(makeLink, "die-mid-frame");
      await peer.child.link.send(frameWith(pattern(1000, 4)));
      const exit = await within(peer.child.process.exited, "the exit");
      await within(peer.child.link.closed, "closed");
      assert.deepEqual(exit, { code: 3, signal: null });
      assert.equal(peer.messages.length, 1, "only the whole frame is delivered");
      assertSameBytes(reserveOf(peer.messages[0]), pattern(1000, 4), "the whole frame");
      assert.equal(
        peer.protocolErrors.length,
        0,
        "a cut-off frame is the end of the peer, not garbage",
      );
    },
  ],

  ["reports malformed MessagePack once and stops reading", async (makeLink) => {
    await using peer = startPeer(makeLink, "garbage");
    await peer.child.link.send(frameWith(pattern(10, 5)));
    // The peer lives on; the link stops reading anyway.
    await within(peer.child.link.closed, "closed after the garbage");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(peer.protocolErrors.length, 1);
    assert.match(peer.protocolErrors[0]!.message, /Malformed MessagePack/);
    assert.equal(peer.protocolErrors[0]!.code, "SYNCRA_PROTOCOL");
    assert.equal(peer.messages.length, 1, "the good frame after the garbage is not delivered");
  }],

  ["reports an oversized length prefix without allocating it", async (makeLink) => {
    await using peer = startPeer(makeLink, "huge-prefix");
    await peer.child.link.send(frameWith(pattern(10, 6)));
    await within(peer.child.link.closed, "closed after the prefix");
    assert.equal(peer.protocolErrors.length, 1);
    assert.match(peer.protocolErrors[0]!.message, /Frame of 4294967295 bytes exceeds the limit/);
    assert.equal(peer.messages.length, 1);
  }],

  ["holds sends back while a slow peer reads 64 MiB, and every byte arrives", async (makeLink) => {
    await using peer = startPeer(makeLink, "slow");
    const frames = 64;
    let sentBytes = 0;
    let maxLead = 0;
    const expected: number[] = [];
    for (let i = 0; i < frames; i++) {
      const message = frameWith(pattern(1 << 20, 100 + i));
      const body = encodeFrame(message).subarray(4);
      expected.push(fnv1a(body));
      await peer.child.link.send(message);
      sentBytes += 4 + body.length;
      const acked = (peer.messages.at(-1) as [number, number] | undefined)?.[0] ?? 0;
      maxLead = Math.max(maxLead, sentBytes - acked);
    }
    await peer.received(frames);
    // A link that buffered in user space would resolve every send at once: a lead of 64 MiB.
    assert.ok(maxLead <= 8 << 20, `sends ran ${maxLead} bytes ahead of the peer`);
    assert.deepEqual(peer.messages.map((m) => (m as number[])[1]), expected);
    assert.equal((peer.messages.at(-1) as number[])[0], sentBytes);
  }],

  ["rejects sends after close, and close ends the peer's input", async (makeLink) => {
    await using peer = startPeer(makeLink, "echo");
    await peer.child.link.send(frameWith(pattern(10, 7)));
    await peer.received(1);
    peer.child.link.close();
    await assert.rejects(
      peer.child.link.send(frameWith(pattern(10, 8))),
      (error: Error) => error instanceof Error && /closed/.test(error.message),
    );
    await within(peer.child.link.closed, "closed");
    // The echo peer exits on the end of its input.
    assert.deepEqual(await within(peer.child.process.exited, "the exit"), {
      code: 0,
      signal: null,
    });
  }],

  ["reports a kill as the signal, and rejects sends to the dead child", async (makeLink) => {
    await using peer = startPeer(makeLink, "echo");
    await peer.child.link.send(frameWith(pattern(10, 9)));
    await peer.received(1);
    peer.child.process.kill("SIGKILL");
    assert.deepEqual(await within(peer.child.process.exited, "the exit"), {
      code: null,
      signal: "SIGKILL",
    });
    await assert.rejects(peer.child.link.send(frameWith(pattern(10, 10))), /exited|closed/);
    // A no-op once exited.
    peer.child.process.kill("SIGTERM");
  }],

  ["delivers stderr as lines, blank ones dropped and long ones cut", async (makeLink) => {
    await using peer = startPeer(makeLink, "stderr");
    assert.deepEqual(await within(peer.child.process.exited, "the exit"), {
      code: 0,
      signal: null,
    });
    assert.deepEqual(peer.stderr, [
      "first line",
      "second half",
      "x".repeat(4096),
      "last, without a newline",
    ]);
  }],
];

/** Registers the contract's cases for one implementation. */
export function runLinkContract(options: LinkContractOptions): void {
  for (const [name, run] of CASES) {
    Deno.test({
      name: `${name} (${options.name})`,
      ignore: options.ignore ?? false,
      fn: () => run(options.makeLink),
    });
  }
}

/**
 * Round trips over each link channel, measured in one run so the ratios
 * compare like with like: stdio pipes with an `await read` peer (the
 * baseline), stdio pipes with a `readSync` peer, and the unix socket on fds
 * 0/1 (FFI launcher) with a `readSync` peer. Two loads: a tick-like round
 * trip to 4 children at once (400 KB out, 300 KB back each), and one
 * 100-byte frame to one child and back.
 *
 * Run: `deno run -A bench/channel_bench.ts` (optionally `--json`).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import {
  type SpawnChild,
  type SpawnedChild,
  spawnSocketChild,
  spawnStdioChild,
} from "../runtime/link/mod.ts";
import { encodeFrame, type RuntimeMessage } from "../runtime/protocol/mod.ts";

const PEER = fileURLToPath(new URL("./channel_peer.ts", import.meta.url));

interface Variant {
  name: string;
  spawn: SpawnChild;
  read: "async" | "sync";
}

const VARIANTS: Variant[] = [
  { name: "stdio pipes, await read (baseline)", spawn: spawnStdioChild, read: "async" },
  { name: "stdio pipes, readSync", spawn: spawnStdioChild, read: "sync" },
  { name: "unix socket fds 0/1, readSync", spawn: spawnSocketChild, read: "sync" },
];

interface Load {
  name: string;
  children: number;
  outBytes: number;
  backBytes: number;
  warmup: number;
  rounds: number;
}

const LOADS: Load[] = [
  {
    name: "4 × (400 KB out, 300 KB back)",
    children: 4,
    outBytes: 400_000,
    backBytes: 300_000,
    warmup: 20,
    rounds: 300,
  },
  {
    name: "1 × 100 B round trip",
    children: 1,
    outBytes: 100,
    backBytes: 100,
    warmup: 200,
    rounds: 3000,
  },
];

/** A child that answers each frame; `roundTrip` sends one and waits for the answer. */
interface Echoer {
  child: SpawnedChild;
  roundTrip(message: RuntimeMessage): Promise<void>;
}

function startEchoer(variant: Variant, backBytes: number): Echoer {
  let answered: (() => void) | null = null;
  const child = variant.spawn({
    program: Deno.execPath(),
    args: ["run", "--no-prompt", "--no-config", "--no-lock", PEER, variant.read, String(backBytes)],
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  }, {
    message: (m) => {
      if (!(m instanceof Uint8Array) || m.length !== backBytes) {
        throw new Error("Unexpected answer");
      }
      answered?.();
    },
    protocolError: (e) => console.error(e),
    stderr: (line) => console.error(`peer: ${line}`),
  });
  return {
    child,
    roundTrip(message) {
      const done = new Promise<void>((r) => answered = r);
      return child.link.send(message).then(() => done);
    },
  };
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

interface Result {
  p50: number;
  p99: number;
  mean: number;
}

/** Rounds per turn of a variant, and how many of them warm it up again. */
const BATCH = 25;
const BATCH_WARMUP = 3;

function summarize(samples: number[]): Result {
  samples.sort((a, b) => a - b);
  return {
    p50: percentile(samples, 0.5),
    p99: percentile(samples, 0.99),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
  };
}

/**
 * Every variant's children at once, run in turns of {@linkcode BATCH}
 * rounds: background load hits all variants alike, and each turn measures
 * warm round trips (its first rounds, after the switch, are not counted).
 */
async function measure(load: Load): Promise<Record<string, Result>> {
  const groups = VARIANTS.map((variant) =>
    Array.from({ length: load.children }, () => startEchoer(variant, load.backBytes))
  );
  // The reserve makes the frame `outBytes` long, prefix included.
  const overhead = encodeFrame({ t: "init", reserve: new Uint8Array(0) }).length;
  const message: RuntimeMessage = { t: "init", reserve: new Uint8Array(load.outBytes - overhead) };
  const samples: number[][] = VARIANTS.map(() => []);
  try {
    for (const echoers of groups) {
      for (let i = 0; i < load.warmup; i++) {
        await Promise.all(echoers.map((e) => e.roundTrip(message)));
      }
    }
    while (samples[0]!.length < load.rounds) {
      for (const [v, echoers] of groups.entries()) {
        for (let i = 0; i < BATCH; i++) {
          const start = performance.now();
          await Promise.all(echoers.map((e) => e.roundTrip(message)));
          if (i >= BATCH_WARMUP) samples[v]!.push(performance.now() - start);
        }
      }
    }
  } finally {
    const all = groups.flat();
    for (const e of all) e.child.link.close();
    await Promise.all(all.map((e) => e.child.process.exited));
  }
  return Object.fromEntries(VARIANTS.map((variant, v) => [variant.name, summarize(samples[v]!)]));
}

const results: Record<string, Record<string, Result>> = {};
for (const load of LOADS) results[load.name] = await measure(load);

if (Deno.args.includes("--json")) {
  console.log(
    JSON.stringify({ date: new Date().toISOString(), deno: Deno.version.deno, results }, null, 2),
  );
} else {
  const ms = (n: number) => n.toFixed(3).padStart(8);
  for (const load of LOADS) {
    const rows = results[load.name]!;
    const baseline = rows[VARIANTS[0]!.name]!;
    console.log(`\n${load.name}, ${load.rounds} rounds (ms; ratio = p50 / baseline p50)`);
    console.log(`  ${"channel".padEnd(36)}     p50      p99     mean   ratio`);
    for (const variant of VARIANTS) {
      const r = rows[variant.name]!;
      console.log(
        `  ${variant.name.padEnd(36)}${ms(r.p50)} ${ms(r.p99)} ${ms(r.mean)}   ${
          (r.p50 / baseline.p50).toFixed(2)
        }×`,
      );
    }
  }
}

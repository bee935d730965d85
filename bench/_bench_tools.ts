/**
 * Helpers of `bench/tick_bench.ts`: statistics, process memory from /proc,
 * an instrumented launcher, the real frame sizes of a tick, and the steps of
 * one tick timed in-process with the runtime's own code.
 *
 * @module
 */
import type { ScriptLauncher } from "../runtime/roles/mod.ts";
import type { Link } from "../runtime/link/mod.ts";
import { validateResult, type ValidColumn } from "../runtime/coordinator/mod.ts";
import { gatherColumn, gatherEntities, scatterColumn, World } from "../runtime/ecs/mod.ts";
import { DEFAULT_FRAME_LIMITS, FrameReader } from "../runtime/protocol/mod.ts";
import { type Manifest, validateManifest } from "../runtime/roles/mod.ts";
import { MessagePackWriter, writeRuntimeFrame } from "../runtime/protocol/mod.ts";
import type { ResultMessage, TickMessage } from "../runtime/protocol/mod.ts";
import {
  ColumnOriginals,
  createTickContext,
  GUEST_FRAME_LIMITS,
  resultOf,
  type TickContext,
} from "../sandbox/guest/mod.ts";
import { defineComponent, defineSystem } from "../std/mod.ts";

/** The bench scripts' system (tick_bench.ts scriptSource), for the guest's steps in-process. */
const P0_COMPONENT = defineComponent("P0", { p: { type: "vec3", default: [0, 0, 0] } });
const MOVER = defineSystem({
  name: "mover0",
  writes: [P0_COMPONENT],
  run(ctx) {
    const p = ctx.write(P0_COMPONENT).p;
    for (let i = 0; i < ctx.count * 3; i++) p[i]! += 1 * ctx.dt;
  },
});

// ---- Statistics ----

/** Percentiles (nearest rank) and extremes of samples, in their unit. */
export interface Stats {
  p50: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
  n: number;
}

const round = (n: number) => Math.round(n * 10000) / 10000;

/** Nearest-rank percentiles of `samples`. */
export function stats(samples: readonly number[]): Stats {
  const s = [...samples].filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return { p50: NaN, p99: NaN, mean: NaN, min: NaN, max: NaN, n: 0 };
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return {
    p50: round(at(0.5)),
    p99: round(at(0.99)),
    mean: round(s.reduce((a, b) => a + b, 0) / s.length),
    min: round(s[0]!),
    max: round(s[s.length - 1]!),
    n: s.length,
  };
}

/** Bytes a server → client WebSocket frame of `payload` bytes takes on the wire (unmasked). */
export function wsFrameBytes(payload: number): number {
  return payload + (payload < 126 ? 2 : payload < 65536 ? 4 : 10);
}

// ---- Processes ----

/** One process under a script's link. */
export interface ProcessInfo {
  pid: number;
  name: string;
  rssKb: number;
}

function readStatus(pid: number): ProcessInfo | null {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/status`);
    const name = /^Name:\s*(.*)$/m.exec(text)?.[1]?.trim() ?? "?";
    const rssKb = Number(/^VmRSS:\s*(\d+)\s*kB/m.exec(text)?.[1] ?? 0);
    return { pid, name, rssKb };
  } catch {
    return null;
  }
}

/** The children of `pid` (every thread's), from /proc. */
export function childrenOf(pid: number | "self"): number[] {
  const out: number[] = [];
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
      if (text !== "") out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // Gone.
  }
  return out;
}

/**
 * A process and all its descendants (a jailed script is bash → bwrap →
 * bwrap → deno: the link's pid is the outer bwrap, bash having exec'd it).
 */
export function describeProcesses(pid: number): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  const queue = [pid];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (seen.has(p)) continue;
    seen.add(p);
    const info = readStatus(p);
    if (info) out.push(info);
    queue.push(...childrenOf(p));
  }
  return out;
}

/** CPU time (user + system, all threads) of a process in ms, from /proc/<pid>/stat; 0 if gone. */
export function cpuMs(pid: number | "self"): number {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * (1000 / CLOCK_TICKS);
  } catch {
    return 0;
  }
}

/** USER_HZ: 100 on every Linux this runs on. */
export const CLOCK_TICKS = 100;

/** CPU time of a process and all its descendants, in ms. */
export function treeCpuMs(pid: number): number {
  return describeProcesses(pid).reduce((n, p) => n + cpuMs(p.pid), 0);
}

// ---- Instrumented links ----

/** Receives, per request to a child, the time from `send` to written and to its result decoded. */
export interface LinkProbe {
  written(ms: number): void;
  reply(ms: number): void;
}

/** The launcher, with every link it spawns timing its requests. */
export function instrumentLauncher(launcher: ScriptLauncher, probe: LinkProbe): ScriptLauncher {
  return {
    ...launcher,
    spawn(command, handlers) {
      let sentAt = 0;
      const { link, process } = launcher.spawn(command, {
        ...handlers,
        message(m) {
          if ((m as { t?: unknown }).t === "result") probe.reply(performance.now() - sentAt);
          handlers.message(m);
        },
      });
      const timed: Link = {
        closed: link.closed,
        close: () => link.close(),
        send(message) {
          const at = performance.now();
          if (message.t === "tick") sentAt = at;
          const sent = link.send(message);
          if (message.t === "tick") {
            sent.then(() => probe.written(performance.now() - at), () => {});
          }
          return sent;
        },
      };
      return { link: timed, process };
    },
  };
}

// ---- Frames ----

function tickMessage(n: number, dt: number, component = "P0"): TickMessage {
  return {
    t: "tick",
    tick: 123_456,
    dt,
    queries: {
      default: {
        count: n,
        entities: new Uint8Array(n * 4),
        columns: { [component]: { p: new Uint8Array(n * 12) } },
      },
    },
  };
}

function resultMessage(n: number, component = "P0"): ResultMessage {
  return {
    t: "result",
    tick: 123_456,
    changed: { default: { [component]: { p: new Uint8Array(n * 12) } } },
    commands: [],
    error: null,
  };
}

/** Byte sizes (length prefix included) of one script's real tick and result frames. */
export function realFrameSizes(n: number, dt: number): { tick: number; result: number } {
  const w = new MessagePackWriter();
  const tick = writeRuntimeFrame(w, tickMessage(n, dt)).length;
  const result = w.beginFrame().value(resultMessage(n)).finishFrame().length;
  return { tick, result };
}

// ---- One tick's steps, in-process ----

/** Median ms of each step, by side ("runtime": the coordinator's process; "child": a script's). */
export type Breakdown = Record<"runtime" | "child", Record<string, number>>;

function median(fn: () => void, reps: number): number {
  for (let i = 0; i < 5; i++) fn();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return stats(out).p50;
}

/**
 * Times each step of one script's tick with the code that does it (World,
 * MessagePackWriter, FrameReader, validateResult; the guest's tick context,
 * run and diff from sandbox/guest) on `n` vec3 rows. Pipe transfers and process wake-ups
 * are not in here: they are what the raw-pipe baseline measures.
 */
export function bench4x25kBreakdown(n: number, dt: number, reps = 60): Breakdown {
  const world = new World();
  const schema = { p: { type: "vec3" as const, default: [0, 0, 0] } };
  const P0 = world.registry.resolve({ name: "P0", schema, module: null });
  for (const id of world.allocator.reserve(n)) world.spawn(id, { [P0.key]: { p: [1, 2, 3] } });
  const manifest: Manifest = validateManifest({
    writes: ["P0"],
    hasRun: true,
    components: { P0: schema },
    modules: { P0: null },
  }, "mover0.ts");
  const field = P0.fields[0]!;

  // Runtime: gather and encode the tick.
  let rows = world.query([P0.key]);
  let message: TickMessage = tickMessage(0, dt);
  const gather = median(() => {
    rows = world.query([P0.key]);
    message = {
      t: "tick",
      tick: 1,
      dt,
      queries: {
        default: {
          count: rows.count,
          entities: gatherEntities(rows),
          columns: { P0: { p: gatherColumn(rows, P0.key, field) } },
        },
      },
    };
  }, reps);
  const writer = new MessagePackWriter();
  const encode = median(() => writeRuntimeFrame(writer, message), reps);
  // The whole frame, length prefix included, as it goes down the channel.
  const tickFrame = writeRuntimeFrame(writer, message).slice();

  // Child: the guest's own code (sandbox/guest): decode, build the context (which copies the
  // written column's original), run the system, diff into the result, encode it.
  const childReader = new FrameReader(GUEST_FRAME_LIMITS);
  let decoded = message as unknown as Record<string, unknown> & { t: string };
  const childDecode = median(() => {
    decoded = childReader.push(tickFrame)[0] as typeof decoded;
  }, reps);
  const originals = new ColumnOriginals();
  let ctx = createTickContext(MOVER, "mover0", decoded, { storage: null, originals });
  const context = median(() => {
    ctx = createTickContext(MOVER, "mover0", decoded, { storage: null, originals });
  }, reps);
  // Each run starts from a fresh context, as each tick does; timed apart from its creation.
  const runs: TickContext[] = [];
  for (let i = 0; i < reps + 5; i++) {
    runs.push(createTickContext(MOVER, "mover0", decoded, { storage: null, originals }));
  }
  const run = median(() => void MOVER.run!(runs.pop()!), reps);
  let result: ResultMessage = resultOf(ctx, null);
  MOVER.run!(ctx);
  const diff = median(() => {
    result = resultOf(ctx, null);
  }, reps);
  if (!result.changed.default?.P0) throw new Error("The guest's diff found no change in P0");
  const childWriter = new MessagePackWriter();
  const childEncode = median(() => childWriter.beginFrame().value(result).finishFrame(), reps);
  const resultFrame = childWriter.beginFrame().value(result).finishFrame().slice();

  // Runtime: decode, validate and merge the result.
  const reader = new FrameReader(DEFAULT_FRAME_LIMITS);
  let raw: unknown = null;
  const decode = median(() => {
    raw = reader.push(resultFrame)[0];
  }, reps);
  let changed: ValidColumn[] = [];
  const validate = median(() => {
    const v = validateResult(raw, {
      script: "mover0",
      manifest,
      tick: 1,
      rows: { default: rows },
      reserved: null,
      component: (name) => (name === "P0" ? P0 : undefined),
      resourceFields: () => undefined,
      eventFields: () => undefined,
      maxEvents: 0,
      mayTouch: () => false,
      maxCommands: 10_000,
    });
    if (!v.ok) throw new Error(v.violations.join("; "));
    changed = v.result.changed;
  }, reps);
  const merge = median(() => {
    for (const c of changed) {
      scatterColumn(rows, c.component, c.field, c.bytes, world.advanceClock());
    }
  }, reps);
  return {
    runtime: { gather, encode, decode, validate, merge },
    child: { decode: childDecode, context, run, diff, encode: childEncode },
  };
}

/**
 * `deno task bench`: what a tick costs in a real sandboxed world, next to
 * the same work done in-process, to the bare cost of moving the same bytes
 * through the same number of child pipes, and to the isolate design (Deno
 * Workers with no permissions, columns by transfer or SharedArrayBuffer,
 * worker_baseline.ts); then the targets of the issue, each measured and
 * marked pass or miss. Prints a table and writes
 * `bench/results.json`.
 *
 * The sandboxed world is made by `createWorld`, the factory `deno task world`
 * uses (the jail `--jail auto` picks, cgroup budgets where they work), around
 * a world populated in-process;
 * `init` is not run and the deadline is 5 s so that nothing is dropped. Tick
 * counts follow from a time budget per configuration (see the settings), so
 * the whole run stays under three minutes on two cores.
 *
 * Flags:
 * - `--only=4x25000,1x100`: just these configurations (scripts x entities), table only.
 * - `--profile`: just the instrumented 4 × 25k case and its breakdown, e.g. under
 *   `deno run -A --cpu-prof bench/tick_bench.ts --profile`.
 * - `--jail=auto|on|off`, `--no-cgroups`: change the isolation (to compare).
 * - `--no-json`: do not write results.json.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Coordinator } from "../runtime/coordinator/mod.ts";
import type { EventStream, SupervisorEvent } from "../runtime/supervision/mod.ts";
import {
  chooseJail,
  createWorld,
  DEFAULT_WORLD_OPTIONS,
  type LiveWorld,
} from "../runtime/app/mod.ts";
import { deriveChildCommand } from "../sandbox/command/mod.ts";
import type { Jail } from "../sandbox/jail/mod.ts";
import type { Supervisor } from "../runtime/roles/mod.ts";
import { gatherColumn, World } from "../runtime/ecs/mod.ts";
import { stopBundler } from "../sandbox/bundle/mod.ts";
import { detectCgroups } from "../sandbox/cgroup/mod.ts";
import {
  bench4x25kBreakdown,
  type Breakdown,
  cpuMs,
  describeProcesses,
  instrumentLauncher,
  type LinkProbe,
  type ProcessInfo,
  realFrameSizes,
  type Stats,
  stats,
  treeCpuMs,
} from "./_bench_tools.ts";
import { WorkerIsolates, type WorkerMode } from "./worker_baseline.ts";

// ---- Settings ----

const HZ = 60;
const DT = 1 / HZ;
/** High, so that no result is dropped: the bench measures cost, not the deadline. */
const DEADLINE_MS = 5000;
const WARMUP_TICKS = 10;
/** Measured time aimed at per configuration and method; tick counts follow from it. */
const SANDBOX_BUDGET_MS = 8000;
const RAW_BUDGET_MS = 3000;
const INPROC_BUDGET_MS = 400;
const MIN_TICKS = 15;
const MAX_TICKS = 1000;
const MAX_INPROC_TICKS = 2000;

/** Entities per script for each script count: the 3 × 3 matrix plus the targets' cases. */
const GROUPS: readonly { scripts: number; entities: readonly number[] }[] = [
  { scripts: 1, entities: [100, 1_000, 10_000, 100_000] },
  { scripts: 4, entities: [1_000, 10_000, 25_000, 100_000] },
  { scripts: 16, entities: [1_000, 10_000, 100_000] },
];
/** The 3 × 3 matrix of the issue; the other sizes above are there for targets (a) and (b). */
const inMatrix = (scripts: number, entities: number) =>
  [1, 4, 16].includes(scripts) && [1_000, 10_000, 100_000].includes(entities);

const TARGETS = {
  pipeRatio: 1.0,
  smallTickMs: 0.1,
  hotAddMs: 150,
  startupMs: 1500,
  /** Above a bare `deno run` in the same jail, measured in the same run. */
  rssOverBareMb: 5,
  /** Tick p99 over p50 at 4 × 25k. */
  tailRatio: 3,
};

// ---- Scripts and world ----

const componentName = (k: number) => `P${k}`;

/** A script that moves its own component's rows: every script is independent of the others. */
function scriptSource(k: number): string {
  return `import { defineComponent, defineSystem } from "@syncra/std";
const C = defineComponent("${componentName(k)}", { p: { type: "vec3", default: [0, 0, 0] } });
export default defineSystem({
  name: "mover${k}",
  writes: [C],
  run(ctx) {
    const p = ctx.write(C).p;
    for (let i = 0; i < ctx.count * 3; i++) p[i] += 1 * ctx.dt;
  },
});
`;
}

/** A script added while the world runs (target c): bumps the counter of its own entity. */
function hotScriptSource(k: number): string {
  return `import { defineComponent, defineSystem } from "@syncra/std";
const H = defineComponent("H${k}", { v: { type: "u32", default: 0 } });
export default defineSystem({
  name: "hot${k}",
  writes: [H],
  run(ctx) {
    const v = ctx.write(H).v;
    for (let i = 0; i < ctx.count; i++) v[i]++;
  },
});
`;
}

async function writeScripts(dir: string, count: number): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (let k = 0; k < count; k++) {
    await Deno.writeTextFile(join(dir, `mover${String(k).padStart(2, "0")}.ts`), scriptSource(k));
  }
}

/** Declares P0..P(scripts-1) and spawns `entities` rows of each, in-process. */
function populate(world: World, scripts: number, entities: number): void {
  const zero = { p: [0, 0, 0] };
  for (let k = 0; k < scripts; k++) {
    const key = positionKey(world, k);
    for (const id of world.allocator.reserve(entities)) world.spawn(id, { [key]: zero });
  }
}

/** The storage key of script k's position component (as its script defines it). */
function positionKey(world: World, k: number): string {
  const schema = { p: { type: "vec3" as const, default: [0, 0, 0] } };
  return world.registry.resolve({ name: componentName(k), schema, module: null }).key;
}

/** The storage key of hot-added script k's counter component. */
function hotKey(world: World, k: number): string {
  const schema = { v: { type: "u32" as const, default: [0] } };
  return world.registry.resolve({ name: `H${k}`, schema, module: null }).key;
}

/** One field of a component (by storage key) as a view of the world's storage (one archetype). */
function fieldView(world: World, component: string, field: string): Uint8Array {
  const rows = world.query([component]);
  const info = world.registry.get(component)!.fields.find((f) => f.name === field)!;
  return rows.count > 0 ? gatherColumn(rows, component, info) : new Uint8Array(0);
}

function f32(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
}

/** Checks that every script ran every tick: its first and last rows moved by ticks × dt. */
function verifyMoved(world: World, scripts: number, ticks: number): string[] {
  const problems: string[] = [];
  const expected = ticks * DT;
  for (let k = 0; k < scripts; k++) {
    const p = f32(fieldView(world, positionKey(world, k), "p"));
    for (const v of [p[0]!, p[p.length - 1]!]) {
      if (!(Math.abs(v - expected) <= 1e-3 * expected + 1e-6)) {
        problems.push(
          `${componentName(k)} is ${v}, expected ${expected.toFixed(4)} (${ticks} ticks)`,
        );
        break;
      }
    }
  }
  return problems;
}

// ---- The sandboxed world, made by createWorld as `deno task world` makes it ----

interface SandboxedWorld {
  live: LiveWorld;
  supervisor: Supervisor;
  coordinator: Coordinator;
  /** Problems reported by the supervisor (deadline misses, violations, crashes, errors). */
  problems: string[];
  events: EventStream;
}

function problemOf(e: SupervisorEvent): string | null {
  switch (e.type) {
    case "late":
      return `${e.script} was late for tick ${e.tick}`;
    case "violation":
      return `${e.script} violation at tick ${e.tick}: ${e.message}`;
    case "refused":
      return `${e.file} refused: ${e.error}`;
    case "exit":
      return ["reload", "removed", "shutdown"].includes(e.reason)
        ? null
        : `${e.script} exited (${e.reason}): ${e.detail}`;
    case "log":
      return e.level === "error" ? `${e.script}: ${e.text}` : null;
    default:
      return null;
  }
}

/** What confines a script's process: `--jail` and whether cgroups are used where they work. */
interface SandboxKit {
  jail: "auto" | "on" | "off";
  cgroups: boolean;
}

/**
 * A world made by `createWorld` over `scriptsDir` (same launcher, jail, heap
 * cap and slot options as `deno task world`), around a world the bench
 * populated itself, so `init` is not run. Nothing is started yet.
 */
async function wireWorld(
  options: SandboxKit & {
    scriptsDir: string;
    world: World;
    watch?: boolean;
    probe?: LinkProbe;
  },
): Promise<SandboxedWorld> {
  const problems: string[] = [];
  const probe = options.probe;
  const live = await createWorld({
    scriptsDir: options.scriptsDir,
    // Each world its own bundles and state: worlds of different folders never share files.
    workDir: `${options.scriptsDir}-work`,
    // Stepped back to back by the bench: with --hz 0 the world waits up to the deadline, and dt
    // is 1/60 as at 60 Hz.
    hz: 0,
    deadlineMs: DEADLINE_MS,
    jail: options.jail,
    cgroups: options.cgroups,
    watch: options.watch ?? false,
    quiet: true,
    onEvent: (e) => {
      const problem = problemOf(e);
      if (problem !== null && problems.length < 50) problems.push(problem);
    },
  }, {
    world: options.world,
    ...(probe ? { launcher: (real) => instrumentLauncher(real, probe) } : {}),
  });
  return {
    live,
    supervisor: live.supervisor,
    coordinator: live.coordinator,
    problems,
    events: live.events,
  };
}

/** Times `ticks` steps; `between(i)`, if given, runs after each step, outside the timing. */
async function timeSteps(
  coordinator: Coordinator,
  ticks: number,
  between?: (i: number) => void,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < ticks; i++) {
    const t = performance.now();
    await coordinator.step();
    out.push(performance.now() - t);
    between?.(i);
  }
  return out;
}

function ticksFor(warmup: readonly number[], budgetMs: number, max: number): number {
  const recent = warmup.slice(-5);
  const mean = recent.reduce((a, b) => a + b, 0) / Math.max(1, recent.length);
  return Math.max(MIN_TICKS, Math.min(max, Math.round(budgetMs / Math.max(mean, 1e-3))));
}

/** The deno processes behind each script (inside bwrap, when jailed) and their resident memory. */
function scriptProcesses(sandbox: SandboxedWorld): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const slot of sandbox.supervisor.slots()) {
    const pid = slot.active?.process.pid;
    if (pid !== undefined) out.push(...describeProcesses(pid).filter((p) => p.name === "deno"));
  }
  return out;
}

/** CPU time per tick, ms: this process (the runtime) and the children's process trees. */
interface CpuPerTick {
  runtime: number;
  children: number;
}

/** Starts counting CPU time; the returned function gives it per tick. */
function cpuMeter(pids: readonly number[]): (ticks: number) => CpuPerTick {
  const children = () => pids.reduce((n, pid) => n + treeCpuMs(pid), 0);
  const self0 = cpuMs("self");
  const children0 = children();
  return (ticks) => ({
    runtime: (cpuMs("self") - self0) / ticks,
    children: (children() - children0) / ticks,
  });
}

// ---- The raw-pipe baseline ----

const PIPE_CHILD = fileURLToPath(new URL("./pipe_child.js", import.meta.url));

/** A trivial `deno run` child that answers every frame with a frame of the asked size. */
class RawPipe {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor() {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--no-config", "--no-lock", "--no-remote", PIPE_CHILD],
      clearEnv: true,
      env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#reader = this.#child.stdout.getReader();
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** Writes `frame` and waits for the whole answer (`replyFrameBytes`, prefix included). */
  async roundTrip(frame: Uint8Array, replyFrameBytes: number): Promise<void> {
    const written = this.#writer.write(frame);
    let got = 0;
    while (got < replyFrameBytes) {
      const { value, done } = await this.#reader.read();
      if (done) throw new Error("The raw-pipe child exited");
      got += value.length;
    }
    await written;
  }

  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
    this.#reader.releaseLock();
    await this.#child.stdout.cancel().catch(() => {});
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 2000);
    await this.#child.status;
    clearTimeout(timer);
  }
}

/** Sizes of the real frames of one script's tick (as the runtime and the child host encode them). */
interface FrameSizes {
  tick: number;
  result: number;
}

interface TimedTicks {
  samples: number[];
  ticks: number;
  cpu: CpuPerTick;
}

function rawPipeTicks(pipes: readonly RawPipe[], sizes: FrameSizes): Promise<TimedTicks> {
  const frame = new Uint8Array(sizes.tick);
  const view = new DataView(frame.buffer);
  view.setUint32(0, sizes.tick - 4, true);
  view.setUint32(4, sizes.result - 4, true);
  const tick = () => Promise.all(pipes.map((p) => p.roundTrip(frame, sizes.result))).then(() => {});
  return timeTicks(tick, pipes.map((p) => p.pid));
}

/** The isolate design's ticks: one Worker per script (worker_baseline.ts). */
async function workerTicks(
  scripts: number,
  entities: number,
  mode: WorkerMode,
): Promise<TimedTicks> {
  const isolates = new WorkerIsolates(scripts, entities, mode);
  try {
    const timed = await timeTicks(() => isolates.tick(DT), []);
    if (isolates.first(0) === 0) throw new Error(`The ${mode} workers did not run their system`);
    return timed;
  } finally {
    isolates.close();
  }
}

/** Warms up, then times `tick` for the baselines' budget; CPU counted for `pids` and this process. */
async function timeTicks(tick: () => Promise<void>, pids: readonly number[]): Promise<TimedTicks> {
  const warmup: number[] = [];
  for (let i = 0; i < WARMUP_TICKS; i++) {
    const t = performance.now();
    await tick();
    warmup.push(performance.now() - t);
  }
  const ticks = ticksFor(warmup, RAW_BUDGET_MS, MAX_TICKS);
  const samples: number[] = [];
  const cpu = cpuMeter(pids);
  for (let i = 0; i < ticks; i++) {
    const t = performance.now();
    await tick();
    samples.push(performance.now() - t);
  }
  return { samples, ticks, cpu: cpu(ticks) };
}

// ---- A bare deno in the jail: the floor of a script process's memory ----

/**
 * Resident memory of an idle `deno run` of an empty bundle, jailed as the
 * scripts are (same flags, same jail), after it settled: what a script
 * process costs before Syncra's child host and its columns.
 */
async function bareJailedRssMb(root: string, jail: Jail): Promise<number> {
  const bundlePath = join(root, "bare.js");
  await Deno.writeTextFile(bundlePath, "setInterval(() => {}, 1000);\n");
  const { heapMb } = DEFAULT_WORLD_OPTIONS;
  const command = jail.wrap(
    deriveChildCommand({
      denoPath: Deno.execPath(),
      bundlePath,
      heapMb,
      grants: { net: [], storageDir: null },
    }),
    { bundlePath, storageDir: null, net: false },
  );
  const child = new Deno.Command(command.program, {
    args: command.args,
    env: command.env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const deno = describeProcesses(child.pid).filter((p) => p.name === "deno");
      if (deno.length > 0) samples.push(Math.max(...deno.map((p) => p.rssKb / 1024)));
    }
    if (samples.length === 0) throw new Error("The bare jailed deno was not found");
    return stats(samples).p50;
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

// ---- The in-process baseline ----

interface InProcessContext {
  count: number;
  dt: number;
  write(component: unknown): { p: Float32Array };
}

/** The scripts' system, verbatim, run on plain typed arrays. */
const IN_PROCESS_SYSTEM = {
  run(ctx: InProcessContext): void {
    const C = null; // the component handle: unused by the in-process context
    const p = ctx.write(C).p;
    for (let i = 0; i < ctx.count * 3; i++) p[i]! += 1 * ctx.dt;
  },
};

function inProcessTicks(scripts: number, entities: number): { samples: number[]; ticks: number } {
  const contexts: InProcessContext[] = [];
  for (let k = 0; k < scripts; k++) {
    const columns = { p: new Float32Array(entities * 3) };
    contexts.push({ count: entities, dt: DT, write: () => columns });
  }
  const tick = () => {
    for (const ctx of contexts) IN_PROCESS_SYSTEM.run(ctx);
  };
  const warmup: number[] = [];
  for (let i = 0; i < WARMUP_TICKS * 5; i++) {
    const t = performance.now();
    tick();
    warmup.push(performance.now() - t);
  }
  const ticks = ticksFor(warmup, INPROC_BUDGET_MS, MAX_INPROC_TICKS);
  const samples: number[] = [];
  for (let i = 0; i < ticks; i++) {
    const t = performance.now();
    tick();
    samples.push(performance.now() - t);
  }
  return { samples, ticks };
}

// ---- Results ----

interface ConfigResult {
  scripts: number;
  entities: number;
  matrix: boolean;
  frameBytes: FrameSizes;
  sandboxed: Stats & { ticks: number };
  rawPipe: Stats & { ticks: number };
  workerTransfer: Stats & { ticks: number };
  workerShared: Stats & { ticks: number };
  inProcess: Stats & { ticks: number };
  ratios: {
    sandboxedOverRawPipe: number;
    sandboxedOverWorkerTransfer: number;
    sandboxedOverWorkerShared: number;
    sandboxedOverInProcess: number;
  };
  /** Resident memory of the script processes (deno), sampled over the ticks. */
  rssMb: { samples: number; max: number; median: number };
  /** CPU time per tick (10 ms clock, averaged over the measured ticks). */
  cpuMsPerTick: { sandboxed: CpuPerTick; rawPipe: CpuPerTick };
  /** Resident memory of the trivial raw-pipe children after their ticks: deno's own floor. */
  rawPipeRssMb: { max: number; median: number };
  problems: string[];
}

interface TargetResult {
  id: string;
  description: string;
  target: string;
  measured: string;
  value: number | null;
  pass: boolean | null;
  detail?: unknown;
}

const fmtMs = (ms: number) =>
  ms < 1 ? ms.toFixed(3) : ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
const fmtRatio = (
  r: number,
) => (r < 10 ? r.toFixed(2) : r < 1000 ? r.toFixed(0) : r.toExponential(1));
const fmtCpu = (c: CpuPerTick) => `${fmtMs(c.runtime)}+${fmtMs(c.children)}`;
const fmtCount = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));

function printTable(results: readonly ConfigResult[], write: (line: string) => void): void {
  const head = [
    "scripts",
    "ent/script",
    "ticks s/r/i",
    "sandboxed p50",
    "p99",
    "raw pipe p50",
    "p99",
    "worker xfer",
    "worker SAB",
    "in-proc p50",
    "sbx/raw",
    "sbx/xfer",
    "sbx/SAB",
    "sbx/in-proc",
    "cpu/tick sbx",
    "raw",
    "RSS MB p50",
    "max",
    "raw RSS",
  ];
  const rows = results.map((r) => [
    String(r.scripts),
    fmtCount(r.entities) + (r.matrix ? "" : "*"),
    `${r.sandboxed.ticks}/${r.rawPipe.ticks}/${r.inProcess.ticks}`,
    fmtMs(r.sandboxed.p50),
    fmtMs(r.sandboxed.p99),
    fmtMs(r.rawPipe.p50),
    fmtMs(r.rawPipe.p99),
    fmtMs(r.workerTransfer.p50),
    fmtMs(r.workerShared.p50),
    fmtMs(r.inProcess.p50),
    fmtRatio(r.ratios.sandboxedOverRawPipe),
    fmtRatio(r.ratios.sandboxedOverWorkerTransfer),
    fmtRatio(r.ratios.sandboxedOverWorkerShared),
    fmtRatio(r.ratios.sandboxedOverInProcess),
    fmtCpu(r.cpuMsPerTick.sandboxed),
    fmtCpu(r.cpuMsPerTick.rawPipe),
    r.rssMb.median.toFixed(1),
    r.rssMb.max.toFixed(1),
    r.rawPipeRssMb.max.toFixed(1) + (r.problems.length > 0 ? " !" : ""),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  write(line(head));
  write(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) write(line(r));
}

// ---- Measurements ----

/** Runs every configuration of one script count; the script processes are started once. */
async function runGroup(
  root: string,
  kit: SandboxKit,
  group: { scripts: number; entities: readonly number[] },
  log: (line: string) => void,
): Promise<ConfigResult[]> {
  const scriptsDir = join(root, `s${group.scripts}`);
  await writeScripts(scriptsDir, group.scripts);
  const results: ConfigResult[] = [];
  let world = new World();
  populate(world, group.scripts, group.entities[0]!);
  const sandbox = await wireWorld({
    scriptsDir,
    ...kit,
    world,
  });
  const pipes = Array.from({ length: group.scripts }, () => new RawPipe());
  try {
    await sandbox.live.start();
    for (const [i, entities] of group.entities.entries()) {
      if (i > 0) {
        // The children are stateless between ticks: a fresh world of another size is swapped in.
        world = new World();
        populate(world, group.scripts, entities);
        sandbox.coordinator.world = world;
      }
      sandbox.problems.length = 0;
      const warmup = await timeSteps(sandbox.coordinator, WARMUP_TICKS);
      const notRunning = sandbox.supervisor.slots().filter((s) => s.state !== "running");
      if (notRunning.length > 0) {
        throw new Error(
          `Scripts not running: ${notRunning.map((s) => `${s.name} (${s.lastError})`).join(", ")}`,
        );
      }
      const ticks = ticksFor(warmup, SANDBOX_BUDGET_MS, MAX_TICKS);
      const slotPids = sandbox.supervisor.slots().flatMap((s) =>
        s.active ? [s.active.process.pid] : []
      );
      // Resident memory is sampled ten times over the measured ticks (it moves with V8's GCs).
      const rss: number[] = [];
      const every = Math.max(1, Math.floor(ticks / 10));
      const sampleRss = (i: number) => {
        if (i % every === every - 1) {
          rss.push(...scriptProcesses(sandbox).map((p) => p.rssKb / 1024));
        }
      };
      const cpu = cpuMeter(slotPids);
      const samples = await timeSteps(sandbox.coordinator, ticks, sampleRss);
      const sandboxCpu = cpu(ticks);
      const problems = [
        ...sandbox.problems,
        ...verifyMoved(world, group.scripts, WARMUP_TICKS + ticks),
      ];
      const sizes = realFrameSizes(entities, DT);
      const raw = await rawPipeTicks(pipes, sizes);
      const rawRss = pipes.flatMap((p) => describeProcesses(p.pid)).map((p) => p.rssKb / 1024);
      const xfer = await workerTicks(group.scripts, entities, "transfer");
      const sab = await workerTicks(group.scripts, entities, "shared");
      const inProc = inProcessTicks(group.scripts, entities);
      const sandboxed = { ...stats(samples), ticks };
      const rawPipe = { ...stats(raw.samples), ticks: raw.ticks };
      const inProcess = { ...stats(inProc.samples), ticks: inProc.ticks };
      const workerTransfer = { ...stats(xfer.samples), ticks: xfer.ticks };
      const workerShared = { ...stats(sab.samples), ticks: sab.ticks };
      const result: ConfigResult = {
        scripts: group.scripts,
        entities,
        matrix: inMatrix(group.scripts, entities),
        frameBytes: sizes,
        sandboxed,
        rawPipe,
        workerTransfer,
        workerShared,
        inProcess,
        ratios: {
          sandboxedOverRawPipe: sandboxed.p50 / rawPipe.p50,
          sandboxedOverWorkerTransfer: sandboxed.p50 / workerTransfer.p50,
          sandboxedOverWorkerShared: sandboxed.p50 / workerShared.p50,
          sandboxedOverInProcess: sandboxed.p50 / inProcess.p50,
        },
        rssMb: {
          samples: rss.length,
          max: rss.length > 0 ? Math.max(...rss) : NaN,
          median: stats(rss).p50,
        },
        cpuMsPerTick: { sandboxed: sandboxCpu, rawPipe: raw.cpu },
        rawPipeRssMb: { max: Math.max(...rawRss), median: stats(rawRss).p50 },
        problems,
      };
      results.push(result);
      log(
        `  ${group.scripts} × ${fmtCount(entities)}: sandboxed p50 ${fmtMs(sandboxed.p50)} ms ` +
          `(${ticks} ticks), raw pipe ${fmtMs(rawPipe.p50)} ms, in-process ${
            fmtMs(inProcess.p50)
          } ms` +
          (problems.length > 0 ? `; PROBLEMS: ${problems.slice(0, 3).join("; ")}` : ""),
      );
    }
  } finally {
    await sandbox.live.stop();
    await Promise.all(pipes.map((p) => p.close()));
  }
  return results;
}

/**
 * Target (d): from starting the supervisor (bundling included, esbuild's
 * service stopped first so it starts cold, as in a fresh `deno task world`)
 * to the end of the first tick in which all 16 scripts' results were merged.
 */
async function measureStartup(root: string, kit: SandboxKit): Promise<TargetResult> {
  await stopBundler();
  const scriptsDir = join(root, "startup");
  await writeScripts(scriptsDir, 16);
  const world = new World();
  populate(world, 16, 1000);
  const sandbox = await wireWorld({
    scriptsDir,
    ...kit,
    world,
  });
  const readyMs: number[] = [];
  let t0 = 0;
  sandbox.events.on((e) => {
    if (e.type === "ready") readyMs.push(performance.now() - t0);
  });
  const allRan = () =>
    Array.from({ length: 16 }, (_, k) => f32(fieldView(world, positionKey(world, k), "p"))[0]!)
      .every((v) => v !== 0);
  try {
    t0 = performance.now();
    await sandbox.live.start();
    const startedMs = performance.now() - t0;
    let ticks = 0;
    while (!allRan()) {
      if (performance.now() - t0 > 30_000) {
        throw new Error("16 scripts did not all tick within 30 s");
      }
      await sandbox.coordinator.step();
      ticks++;
    }
    const ms = performance.now() - t0;
    readyMs.sort((a, b) => a - b);
    return {
      id: "d",
      description: "16 scripts all ticking after start (supervisor start → first tick all 16 ran)",
      target: `≤ ${TARGETS.startupMs} ms`,
      measured: `${ms.toFixed(0)} ms (all ready after ${startedMs.toFixed(0)} ms, ` +
        `first ready ${readyMs[0]?.toFixed(0)} ms; ${ticks} tick(s))`,
      value: ms,
      pass: ms <= TARGETS.startupMs && sandbox.problems.length === 0,
      detail: { ms, allReadyMs: startedMs, readyMs, ticks, problems: [...sandbox.problems] },
    };
  } finally {
    await sandbox.live.stop();
  }
}

/**
 * Target (c): a world with `watch` on ticking at 1000 Hz, as `runWorld`
 * loops. A new script file is written; measured from just before the write
 * to the end of the first tick whose merged state shows the script ran (its
 * own counter moved from 0), so watcher, debounce, bundling, jail spawn,
 * hello, the swap-in at a tick boundary and the tick itself all count.
 */
async function measureHotAdd(root: string, kit: SandboxKit, reps: number): Promise<TargetResult> {
  const scriptsDir = join(root, "hot");
  await writeScripts(scriptsDir, 1);
  const world = new World();
  populate(world, 1, 100);
  for (let k = 1; k <= reps; k++) {
    world.spawn(world.allocator.reserve(1)[0]!, { [hotKey(world, k)]: { v: [0] } });
  }
  const sandbox = await wireWorld({
    scriptsDir,
    ...kit,
    world,
    watch: true,
  });
  const readyAt = new Map<string, number>();
  sandbox.events.on((e) => {
    if (e.type === "ready") readyAt.set(e.file, performance.now());
  });
  const watching: { current: { component: string; resolve: (at: number) => void } | null } = {
    current: null,
  };
  let stopping = false;
  const loop = (async () => {
    const period = 1000 / 1000;
    let next = performance.now();
    while (!stopping) {
      await sandbox.coordinator.step();
      const w = watching.current;
      if (w && new Uint32Array(fieldView(world, w.component, "v").slice().buffer)[0] !== 0) {
        watching.current = null;
        w.resolve(performance.now());
      }
      next += period;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -period) next = performance.now();
    }
  })();
  const samples: number[] = [];
  const toReady: number[] = [];
  try {
    await sandbox.live.start();
    await new Promise((r) => setTimeout(r, 300));
    for (let k = 1; k <= reps; k++) {
      const file = join(scriptsDir, `hot${k}.ts`);
      const ticked = new Promise<number>((
        resolve,
      ) => (watching.current = { component: hotKey(world, k), resolve }));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<number>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`hot${k}.ts did not tick within 10 s`)), 10_000);
      });
      const t0 = performance.now();
      await Deno.writeTextFile(file, hotScriptSource(k));
      const at = await Promise.race([ticked, timeout]).finally(() => clearTimeout(timer));
      samples.push(at - t0);
      toReady.push((readyAt.get(file) ?? NaN) - t0);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    stopping = true;
    await loop.catch(() => {});
    await sandbox.live.stop();
  }
  const s = stats(samples);
  return {
    id: "c",
    description: "new script: file write → end of its first tick (watch on, 1000 Hz)",
    target: `≤ ${TARGETS.hotAddMs} ms p50`,
    measured: `p50 ${s.p50.toFixed(0)} ms over ${reps} new files (min ${s.min.toFixed(0)}, max ` +
      `${s.max.toFixed(0)}); write → ready p50 ${stats(toReady).p50.toFixed(0)} ms`,
    value: s.p50,
    pass: s.p50 <= TARGETS.hotAddMs && sandbox.problems.length === 0,
    detail: { samplesMs: samples, writeToReadyMs: toReady, problems: [...sandbox.problems] },
  };
}

/**
 * The sandboxed 4 × 25k case again, with the links instrumented: per child
 * and tick, the time from `send` to the frame being written and to its
 * result being decoded; next to it, the runtime's and the child host's own
 * steps timed in-process on the same data (see `_bench_tools.ts`).
 */
async function profile4x25k(
  root: string,
  kit: SandboxKit,
  ticks: number,
): Promise<
  { stepMs: Stats; writtenMs: Stats; replyMs: Stats; cpuMsPerTick: CpuPerTick; model: Breakdown }
> {
  const scriptsDir = join(root, "s4");
  await writeScripts(scriptsDir, 4);
  const world = new World();
  populate(world, 4, 25_000);
  const written: number[] = [];
  const reply: number[] = [];
  const probe: LinkProbe = {
    written: (ms) => written.push(ms),
    reply: (ms) => reply.push(ms),
  };
  const sandbox = await wireWorld({
    scriptsDir,
    ...kit,
    world,
    probe,
  });
  try {
    await sandbox.live.start();
    await timeSteps(sandbox.coordinator, WARMUP_TICKS);
    written.length = 0;
    reply.length = 0;
    const pids = sandbox.supervisor.slots().flatMap((s) => s.active ? [s.active.process.pid] : []);
    const cpu = cpuMeter(pids);
    const steps = await timeSteps(sandbox.coordinator, ticks);
    const cpuMsPerTick = cpu(ticks);
    return {
      stepMs: stats(steps),
      writtenMs: stats(written),
      replyMs: stats(reply),
      cpuMsPerTick,
      model: bench4x25kBreakdown(25_000, DT),
    };
  } finally {
    await sandbox.live.stop();
  }
}

function printBreakdown(
  p: Awaited<ReturnType<typeof profile4x25k>>,
  write: (line: string) => void,
): void {
  write(
    `  tick (coordinator.step) p50 ${fmtMs(p.stepMs.p50)} ms; per child: send → frame written ` +
      `p50 ${fmtMs(p.writtenMs.p50)} ms, send → result decoded p50 ${fmtMs(p.replyMs.p50)} ms`,
  );
  write(
    `  CPU per tick: runtime process ${fmtMs(p.cpuMsPerTick.runtime)} ms, the 4 script ` +
      `processes ${fmtMs(p.cpuMsPerTick.children)} ms (${navigator.hardwareConcurrency} cores)`,
  );
  write("  the same steps timed in-process on one script's 25k rows (median ms; × 4 per tick):");
  for (const [side, steps] of Object.entries(p.model)) {
    const total = Object.values(steps).reduce((a, b) => a + b, 0);
    write(
      `    ${side.padEnd(7)} ${
        Object.entries(steps).map(([k, v]) => `${k} ${fmtMs(v)}`).join(", ")
      }  (sum ${fmtMs(total)})`,
    );
  }
}

// ---- Main ----

async function main(): Promise<void> {
  const args = new Set(Deno.args);
  const option = (name: string) =>
    Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? null;
  const jailMode = option("jail") ?? "auto";
  if (!["auto", "on", "off"].includes(jailMode)) throw new Error(`--jail=${jailMode}: auto|on|off`);
  const only = option("only")?.split(",") ?? null;
  const log = (line: string) => console.log(line);
  const started = performance.now();
  const root = await Deno.makeTempDir({ prefix: "syncra_bench_" });
  const jail = await chooseJail(jailMode as "auto" | "on" | "off");
  const cgroups = args.has("--no-cgroups") ? null : await detectCgroups();
  const kit: SandboxKit = { jail: jailMode as SandboxKit["jail"], cgroups: cgroups !== null };
  log(`Syncra tick bench — deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs`);
  log(`isolation: ${jail.isolation} (${jail.description})`);
  log(`budgets: ${cgroups ? `cgroup v${cgroups.version}` : "no cgroups (V8 heap cap only)"}`);
  try {
    if (args.has("--profile")) {
      const p = await profile4x25k(root, kit, 200);
      log("4 × 25k, where the time goes:");
      printBreakdown(p, log);
      return;
    }
    if (only) {
      const results: ConfigResult[] = [];
      for (const group of GROUPS) {
        const entities = group.entities.filter((n) => only.includes(`${group.scripts}x${n}`));
        if (entities.length > 0) {
          results.push(...await runGroup(root, kit, { ...group, entities }, log));
        }
      }
      printTable(results, log);
      return;
    }

    log("\n(d) cold start of 16 scripts…");
    const startup = await measureStartup(root, kit);
    log(`  ${startup.measured}`);
    log("(c) hot add of a new script file…");
    const hot = await measureHotAdd(root, kit, 9);
    log(`  ${hot.measured}`);

    const bareRssMb = await bareJailedRssMb(root, jail);
    log(`bare deno run in the jail: ${bareRssMb.toFixed(1)} MB resident`);
    log("\nTick times (each group starts its scripts once; a fresh world per size):");
    const results: ConfigResult[] = [];
    for (const group of GROUPS) {
      results.push(...await runGroup(root, kit, group, log));
    }

    log("\nProfile of the sandboxed 4 × 25k case:");
    const profile = await profile4x25k(root, kit, 100);
    printBreakdown(profile, log);

    const c4 = results.find((r) => r.scripts === 4 && r.entities === 25_000)!;
    const c1 = results.find((r) => r.scripts === 1 && r.entities === 100)!;
    const targets: TargetResult[] = [
      {
        id: "a",
        description: "4 independent scripts × 25k vec3 entities: tick p50 vs raw pipe p50",
        target: `≤ ${TARGETS.pipeRatio}×`,
        measured: `${c4.ratios.sandboxedOverRawPipe.toFixed(2)}× (sandboxed ${
          fmtMs(c4.sandboxed.p50)
        } ms, raw pipe ${fmtMs(c4.rawPipe.p50)} ms)`,
        value: c4.ratios.sandboxedOverRawPipe,
        pass: c4.ratios.sandboxedOverRawPipe <= TARGETS.pipeRatio,
      },
      {
        id: "b",
        description: "1 script × 100 entities: tick p50",
        target: `≤ ${TARGETS.smallTickMs} ms`,
        measured: `${fmtMs(c1.sandboxed.p50)} ms (p99 ${fmtMs(c1.sandboxed.p99)} ms)`,
        value: c1.sandboxed.p50,
        pass: c1.sandboxed.p50 <= TARGETS.smallTickMs,
      },
      hot,
      startup,
      {
        id: "e",
        description: "resident memory per script process (deno inside the jail), 4 × 25k",
        target: `≤ a bare deno run in the jail (${
          bareRssMb.toFixed(1)
        } MB) + ${TARGETS.rssOverBareMb} MB`,
        measured: `max ${c4.rssMb.max.toFixed(1)} MB, median ${c4.rssMb.median.toFixed(1)} MB ` +
          `over ${c4.rssMb.samples} samples (1 × 100: median ${c1.rssMb.median.toFixed(1)} MB; ` +
          `largest anywhere ${Math.max(...results.map((r) => r.rssMb.max)).toFixed(1)} MB; ` +
          `a trivial deno child: ${c4.rawPipeRssMb.median.toFixed(1)} MB)`,
        value: c4.rssMb.max,
        pass: c4.rssMb.max <= bareRssMb + TARGETS.rssOverBareMb,
      },
      {
        id: "f",
        description: "tick tail at 4 × 25k: p99 vs p50",
        target: `≤ ${TARGETS.tailRatio}×`,
        measured: `${(c4.sandboxed.p99 / c4.sandboxed.p50).toFixed(2)}× (p99 ${
          fmtMs(c4.sandboxed.p99)
        } ms, p50 ${fmtMs(c4.sandboxed.p50)} ms)`,
        value: c4.sandboxed.p99 / c4.sandboxed.p50,
        pass: c4.sandboxed.p99 <= TARGETS.tailRatio * c4.sandboxed.p50,
      },
    ];

    log(
      "\nResults (ms per tick; * = not in the 3 × 3 matrix, added for a target; ticks = measured " +
        "ticks sandboxed/raw/in-process after warm-up; cpu/tick = ms of CPU per tick, runtime + " +
        "children; RSS = script processes, sampled; raw RSS = trivial deno child; ! = problems, " +
        "see json):",
    );
    printTable(results, log);
    log("\nTargets:");
    for (const t of targets) {
      const mark = t.pass === null ? "n/a " : t.pass ? "PASS" : "MISS";
      log(`  ${mark} (${t.id}) ${t.description}: ${t.measured}; target ${t.target}`);
    }
    const problems = results.flatMap((r) =>
      r.problems.map((p) => `${r.scripts} × ${fmtCount(r.entities)}: ${p}`)
    );
    if (problems.length > 0) log(`\nProblems:\n  ${problems.join("\n  ")}`);
    const totalS = (performance.now() - started) / 1000;
    log(`\nTotal ${totalS.toFixed(0)} s.`);

    if (!args.has("--no-json")) {
      const path = fileURLToPath(new URL("./results.json", import.meta.url));
      const json = {
        date: new Date().toISOString(),
        deno: Deno.version.deno,
        v8: Deno.version.v8,
        os: `${Deno.build.os} ${Deno.build.arch}`,
        cpuCount: navigator.hardwareConcurrency,
        isolation: jail.isolation,
        jail: jail.description,
        settings: {
          hz: HZ,
          deadlineMs: DEADLINE_MS,
          warmupTicks: WARMUP_TICKS,
          budgetsMs: {
            sandboxed: SANDBOX_BUDGET_MS,
            rawPipe: RAW_BUDGET_MS,
            inProcess: INPROC_BUDGET_MS,
          },
        },
        skipped: [],
        configs: results,
        targets,
        profile4x25k: profile,
        totalSeconds: totalS,
      };
      await Deno.writeTextFile(path, JSON.stringify(json, null, 2) + "\n");
      log(`Wrote ${path}`);
    }
  } finally {
    await stopBundler();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();

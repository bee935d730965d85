/**
 * Wiring for `deno task world`: loads or creates the world, starts the
 * scripts through the sandbox, runs the tick loop at a fixed rate, and on
 * exit saves state and writes the report and dump.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { bundleScript, stopBundler } from "../../sandbox/bundle/mod.ts";
import { bundlerStatus, configureBundler } from "../../sandbox/bundle/mod.ts";
import { deriveChildCommand } from "../../sandbox/command/mod.ts";
import { detectJail, type Jail } from "../../sandbox/jail/mod.ts";
import { FlagsOnlyJail } from "../../sandbox/jail/mod.ts";
import { type CgroupManager, detectCgroups } from "../../sandbox/cgroup/mod.ts";
import { Coordinator, DEFAULT_COORDINATOR_OPTIONS } from "../coordinator/mod.ts";
import { EventStream, type SupervisorEvent } from "../supervision/mod.ts";
import {
  AuditLog,
  type AuditLogOptions,
  DEFAULT_AUDIT_LOG_OPTIONS,
  safeJson,
} from "./audit_log.ts";
import { DEFAULT_OUTPUT_BUDGET, type OutputBudgetOptions } from "../supervision/mod.ts";
import { ScriptOutput } from "./script_output.ts";
import { escapeControls } from "../protocol/mod.ts";
import { ResourceWatchdog } from "../supervision/mod.ts";
import { DEFAULT_SLOT_OPTIONS, type ScriptLauncher } from "../supervision/mod.ts";
import { spawnStdioLink } from "../link/mod.ts";
import { Supervisor } from "../supervision/mod.ts";
import { formatStatus, StatusLine } from "./status_line.ts";
import { World } from "../ecs/mod.ts";
import {
  approveCapabilities,
  loadWorldConfig,
  type WorldConfig,
  worldPolicy,
} from "../policy/mod.ts";
import { loadWorld, saveWorld } from "../store/mod.ts";
import { buildReport, peakResidentMb, type WorldReport } from "./world_report.ts";
import { writeDump } from "./world_dump.ts";

/** Options of a world run (the CLI flags of DESIGN §8). */
export interface WorldOptions {
  scriptsDir: string;
  /** Stop after this many ticks; null runs until interrupted. */
  ticks: number | null;
  hz: number;
  reportPath: string | null;
  dumpPath: string | null;
  statePath: string;
  fresh: boolean;
  deadlineMs: number;
  /** "auto": the OS jail where available; "on": fail without it; "off": flags only. */
  jail: "auto" | "on" | "off";
  /** Watch the folder and hot-reload. @default true */
  watch: boolean;
  /** Where bundles are written. @default ".syncra/bundles" */
  workDir: string;
  /** V8 heap cap per script, MiB. @default 128 */
  heapMb: number;
  /** Memory per script process tree (ArrayBuffers included), MiB, where cgroups allow. @default 256 */
  memoryMb: number;
  /** Processes plus threads per script, where cgroups allow. @default 64 */
  maxThreads: number;
  /** Live entities one script may have spawned. @default 100000 */
  maxEntitiesPerScript: number;
  /** Component data one script may make the world hold, MiB (its entities, attachments, archetypes). @default 64 */
  maxComponentMb: number;
  /** Distinct component sets (archetypes) one script's commands may create. @default 256 */
  maxArchetypesPerScript: number;
  /** Use cgroups where the machine allows; false leaves memory to the RSS watchdog. @default true */
  cgroups: boolean;
  /** Print logs and the status line. @default true */
  quiet: boolean;
  /** What one script may make the world write, per tick and per second. */
  outputBudget: Readonly<OutputBudgetOptions>;
  /** Rotation of `<workDir>/audit.jsonl`: 16 MiB, 3 older files kept. */
  audit: Readonly<AuditLogOptions>;
  /** Where the world's lines go (without their newline) instead of stderr (tests). */
  output?: (line: string) => void;
  /** Capability approvals; null reads syncra.json (or deno.json's "syncra") in the working directory. */
  config: WorldConfig | null;
  /** Receives every supervisor event (tests, tools). */
  onEvent?: (event: SupervisorEvent) => void;
  /** Aborting stops the world cleanly, as Ctrl-C does. */
  signal?: AbortSignal;
}

/** Defaults for {@linkcode WorldOptions}. */
export const DEFAULT_WORLD_OPTIONS: Readonly<WorldOptions> = Object.freeze({
  scriptsDir: "scripts",
  ticks: null,
  hz: 60,
  reportPath: null,
  dumpPath: null,
  statePath: ".syncra/world.state",
  fresh: false,
  deadlineMs: DEFAULT_COORDINATOR_OPTIONS.deadlineMs,
  jail: "auto",
  watch: true,
  workDir: ".syncra",
  heapMb: 128,
  memoryMb: 256,
  maxThreads: 64,
  cgroups: true,
  maxEntitiesPerScript: DEFAULT_COORDINATOR_OPTIONS.maxEntitiesPerScript,
  maxComponentMb: DEFAULT_COORDINATOR_OPTIONS.maxComponentBytesPerScript / (1024 * 1024),
  maxArchetypesPerScript: DEFAULT_COORDINATOR_OPTIONS.maxArchetypesPerScript,
  quiet: false,
  outputBudget: DEFAULT_OUTPUT_BUDGET,
  audit: DEFAULT_AUDIT_LOG_OPTIONS,
  config: null,
});

/** Picks the jail for a run: the OS jail where it works, unless told otherwise. */
export async function chooseJail(mode: WorldOptions["jail"]): Promise<Jail> {
  if (mode === "off") return new FlagsOnlyJail("turned off with --jail off");
  return await detectJail({ require: mode === "on" });
}

/** Builds the launcher that bundles, jails, budgets and spawns scripts. */
export function makeLauncher(
  options: Pick<WorldOptions, "scriptsDir" | "workDir" | "heapMb" | "memoryMb" | "maxThreads">,
  jail: Jail,
  cgroups: CgroupManager | null,
  admit: ScriptLauncher["admit"],
): ScriptLauncher {
  const outDir = resolve(options.workDir, "bundles");
  const denoPath = Deno.execPath();
  const budget = { memoryBytes: options.memoryMb * 1024 * 1024, maxPids: options.maxThreads };
  let groups = 0;
  return {
    bundle: (file) => bundleScript(file, { scriptsDir: options.scriptsDir, outDir }),
    prepare: async (bundle, grants, name) => {
      const command = deriveChildCommand({
        denoPath,
        bundlePath: bundle.path,
        heapMb: options.heapMb,
        grants: grants ?? { net: [], storageDir: null },
      });
      const jailed = jail.wrap(command, {
        bundlePath: bundle.path,
        storageDir: grants?.storageDir ?? null,
        net: (grants?.net.length ?? 0) > 0,
      });
      const group = cgroups ? await cgroups.create(`${name}-${++groups}`, budget) : null;
      return {
        command: group ? group.wrap(jailed) : jailed,
        display: [command.program, ...command.args],
        isolation: jail.isolation,
        budget: group
          ? `cgroup v${cgroups!.version}: ${options.memoryMb} MiB, ${options.maxThreads} threads`
          : `V8 heap cap ${options.heapMb} MiB and RSS watchdog ${options.memoryMb} MiB (no cgroup)`,
        group,
      };
    },
    spawn: (command, handlers) => spawnStdioLink(command, handlers),
    admit,
  };
}

/** Runs a world until its ticks are done or it is interrupted; returns the report. */
export async function runWorld(partial: Partial<WorldOptions>): Promise<WorldReport> {
  const options: WorldOptions = { ...DEFAULT_WORLD_OPTIONS, ...partial };
  const stat = await Deno.stat(options.scriptsDir).catch(() => null);
  if (!stat?.isDirectory) {
    throw new Error(
      `Cannot run the world: scripts folder "${options.scriptsDir}" does not exist. Create it or pass --scripts DIR`,
    );
  }
  const jail = await chooseJail(options.jail);
  // The bundler's esbuild is confined like the scripts: --jail on requires its jail too.
  configureBundler({ jail: options.jail, cgroups: options.cgroups });
  const storageRoot = resolve(options.workDir, "storage");
  const events = new EventStream();
  let status: StatusLine | null = null;
  if (options.onEvent) events.on(options.onEvent);
  const print = options.output ?? ((line: string) => console.error(line));
  const write = options.quiet ? null : (line: string) => {
    status?.clear();
    print(line);
  };
  if (jail.isolation !== "jail") write?.(`⚠ ${jail.description}`);

  const saved = options.fresh ? null : await loadWorld(options.statePath);
  const world = saved?.world ?? new World();
  const config = options.config ?? await loadWorldConfig();
  // The launcher admits scripts through the coordinator, which schedules the supervisor's slots.
  const cgroups = options.cgroups ? await detectCgroups() : null;
  if (!cgroups) {
    write?.("⚠ No cgroup can be created here: script memory is bounded by the V8 heap cap only");
  }
  const launcher = makeLauncher(options, jail, cgroups, (manifest, file) => {
    coordinator.checkManifest(manifest, file);
    const grants = approveCapabilities(config, manifest, file, options.scriptsDir, storageRoot);
    if (grants.storageDir) Deno.mkdirSync(grants.storageDir, { recursive: true });
    return grants;
  });
  const supervisor = new Supervisor(options.scriptsDir, launcher, events, DEFAULT_SLOT_OPTIONS);
  const coordinator = new Coordinator(world, saved?.tick ?? 0, () => supervisor.slots(), {
    ...DEFAULT_COORDINATOR_OPTIONS,
    hz: options.hz,
    deadlineMs: options.deadlineMs,
    maxEntitiesPerScript: options.maxEntitiesPerScript,
    maxComponentBytesPerScript: options.maxComponentMb * 1024 * 1024,
    maxArchetypesPerScript: options.maxArchetypesPerScript,
  }, worldPolicy(config, options.scriptsDir, world.registry));

  // Everything written because of a script goes through its output budget (script_output.ts).
  await using audit = new AuditLog(join(options.workDir, "audit.jsonl"), options.audit);
  using output = new ScriptOutput({
    write,
    audit,
    currentTick: () => coordinator.tick,
    scripts: () => supervisor.slots(),
    budget: options.outputBudget,
  });
  events.on((e) => output.handle(e));
  const started = performance.now();
  let stopping = false;
  const stop = () => (stopping = true);
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  options.signal?.addEventListener("abort", stop);
  let report: WorldReport;
  let watchdog: ResourceWatchdog | null = null;
  let ticksRun = 0;
  try {
    await supervisor.startAll();
    coordinator.commitPending();
    const bundler = await bundlerStatus();
    if (bundler.isolation !== "jail") write?.(`⚠ ${bundler.description}`);
    for (const s of supervisor.slots()) {
      write?.(
        `• ${escapeControls(s.name)} (${escapeControls(s.file)}): ${s.state}, isolation ${
          s.isolation ?? "none"
        }`,
      );
    }
    if (!saved) await coordinator.init();
    if (options.watch) supervisor.watch();
    watchdog = new ResourceWatchdog(() => supervisor.slots(), {
      intervalMs: 1000,
      maxIdleCpuShare: 0.5,
      strikes: 2,
      memoryBytes: cgroups ? null : options.memoryMb * 1024 * 1024,
    });
    if (!options.quiet) {
      status = new StatusLine(() => formatStatus(coordinator, supervisor.slots()));
    }
    const period = options.hz > 0 ? 1000 / options.hz : 0;
    let next = performance.now();
    let lastSave = performance.now();
    while (!stopping && (options.ticks === null || ticksRun < options.ticks)) {
      await coordinator.step();
      ticksRun++;
      if (performance.now() - lastSave > 10_000) {
        lastSave = performance.now();
        await saveWorld(options.statePath, coordinator.world, coordinator.tick);
      }
      if (period > 0) {
        next += period;
        const wait = next - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        else if (wait < -period) next = performance.now(); // too far behind: do not try to catch up
      }
    }
    report = buildReport(
      coordinator,
      supervisor.slots(),
      ticksRun,
      options.hz,
      performance.now() - started,
    );
  } finally {
    status?.[Symbol.dispose]();
    watchdog?.[Symbol.dispose]();
    for (const s of signals) Deno.removeSignalListener(s, stop);
    await supervisor.stopAll();
    await stopBundler();
  }
  coordinator.flushCommands();
  await saveWorld(options.statePath, coordinator.world, coordinator.tick);
  if (options.dumpPath) await writeDump(options.dumpPath, coordinator.world, coordinator.tick);
  // Last, so that the peak covers saving and dumping too.
  report.runtimePeakRssMb = peakResidentMb();
  if (options.reportPath) await writeJson(options.reportPath, report);
  return report;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  const dir = join(path, "..");
  await Deno.mkdir(dir, { recursive: true });
  // The report quotes scripts' errors: escaped, so that printing it cannot drive a terminal.
  await Deno.writeTextFile(path, safeJson(value, 2) + "\n");
}

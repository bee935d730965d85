/**
 * The esbuild service behind the bundler: started through the confining
 * launcher (`sandbox/esbuild_launcher.ts`), run one build at a time inside a
 * time and memory budget, and restarted transparently when a build kills it.
 *
 * esbuild's npm package keeps one service process per JavaScript process.
 * When that process dies the package does not notice for later calls: every
 * build after it fails with "The service is no longer running" until
 * `esbuild.stop()` forgets the dead process and contexts are created anew.
 * So after a build runs past its time budget, past its memory budget, or
 * kills the service some other way (a fatal error in esbuild), this module
 * kills what is left of the service, calls `esbuild.stop()`, bumps
 * {@linkcode bundlerGeneration} (the bundler re-creates its contexts when it
 * changes) and refuses only that build, with a {@linkcode BundleError} naming
 * the file and the budget. A build that finds the service already dead
 * (stopped by someone else, between builds) is retried once on a new one.
 * Builds run one at a time, so the build that was running when the service
 * died is the one that killed it.
 *
 * @module
 */
import type * as Esbuild from "esbuild";
import { BundleError } from "./bundle_error.ts";
import { type CgroupManager, probeCgroups } from "../cgroup/mod.ts";
import {
  type BundlerIsolation,
  type EsbuildLauncher,
  prepareEsbuildLauncher,
} from "./esbuild_launcher.ts";
import { isRunning, killTree } from "./_process_tree.ts";
import { watchBuild } from "./_watch_build.ts";

/** esbuild's JavaScript API. */
export type EsbuildApi = typeof Esbuild;

/** Options of the esbuild service, see {@linkcode configureBundler}. */
export interface BundlerServiceOptions {
  /**
   * Memory of the esbuild service's process tree, in bytes: a control group's
   * limit where the machine allows one, else sampled RSS.
   * @default 536870912 (512 MiB)
   */
  memoryBytes?: number;
  /**
   * "auto": esbuild runs in the bubblewrap jail where it works; "on": every
   * build is refused without it; "off": never jailed (the content checks,
   * memory and time budgets remain).
   * @default "auto"
   */
  jail?: "auto" | "on" | "off";
  /**
   * Hold the service in a control group where the machine allows; false
   * samples its memory instead.
   * @default true
   */
  cgroups?: boolean;
}

/** What one build may use. */
export interface BuildBudget {
  /** The script being built, as shown in errors (relative to the cwd). */
  file: string;
  /** Wall-clock time of the build, in milliseconds. */
  timeMs: number;
}

/** How the esbuild service runs, for logs, `explain` and tests. */
export interface BundlerStatus {
  isolation: BundlerIsolation;
  /** One line: what confines esbuild and its budget, or why nothing does. */
  description: string;
  /** The memory budget in bytes. */
  memoryBytes: number;
  /** Whether the kernel enforces the memory budget (a control group) or the bundler samples RSS. */
  memoryEnforcement: "cgroup" | "sampled";
  /** The most memory the service used since the bundler started, in bytes (null when unknown). */
  peakMemoryBytes: number | null;
  /** Times the service died or was killed (by a build or from outside) and was restarted. */
  restarts: number;
  /** The pid of the service's outermost process (bubblewrap's, when jailed), or null when none runs. */
  pid: number | null;
}

/** The default memory budget of the esbuild service. */
export const DEFAULT_BUNDLER_MEMORY_BYTES = 512 * 1024 * 1024;

let settings: Required<BundlerServiceOptions> = {
  memoryBytes: DEFAULT_BUNDLER_MEMORY_BYTES,
  jail: "auto",
  cgroups: true,
};
let esbuild: Promise<EsbuildApi> | null = null;
let privateDir: string | null = null;
let cgroups: Promise<{ manager: CgroupManager | null; reason: string | null }> | null = null;
let launcher: Promise<EsbuildLauncher> | null = null;
let launcherSettings: Required<BundlerServiceOptions> | null = null;
let generation = 0;
/** Whether the service of this generation was seen to start through the launcher. */
let verified = false;
let unverified: string | null = null;
let restarts = 0;
let sampledPeak = 0;
/** The group's OOM-kill count when last read (at start and after each death): a rise names the memory budget. */
let oomKillsSeen: number | null = null;
let warned = false;
let queue: Promise<unknown> = Promise.resolve();

/**
 * Sets the esbuild service's memory budget, jail and cgroup use. A change
 * applies from the next build, which replaces a running service.
 */
export function configureBundler(options: BundlerServiceOptions): void {
  const memoryBytes = options.memoryBytes ?? settings.memoryBytes;
  if (!Number.isSafeInteger(memoryBytes) || memoryBytes < 64 * 1024 * 1024) {
    throw new RangeError(`Invalid bundler memory budget: ${memoryBytes} bytes (at least 64 MiB)`);
  }
  const next = {
    memoryBytes,
    jail: options.jail ?? settings.jail,
    cgroups: options.cgroups ?? settings.cgroups,
  };
  if (Object.entries(next).some(([k, v]) => settings[k as keyof typeof next] !== v)) {
    settings = next;
  }
}

/** Resolves once every build queued now has finished. */
export async function buildsDone(): Promise<void> {
  await queue;
}

/** Changes each time the service is restarted: contexts of an older generation are dead. */
export function bundlerGeneration(): number {
  return generation;
}

function getPrivateDir(): string {
  if (privateDir === null) {
    privateDir = Deno.makeTempDirSync({ prefix: "syncra-bundler-" });
    const dir = privateDir;
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* already gone */ }
    });
  }
  return privateDir;
}

/**
 * esbuild's API, loaded once per process with `ESBUILD_BINARY_PATH` naming the
 * launcher (the package reads it when it is first evaluated).
 */
function getEsbuild(): Promise<EsbuildApi> {
  esbuild ??= (async () => {
    const path = `${getPrivateDir()}/esbuild-launcher.sh`;
    const before = Deno.env.get("ESBUILD_BINARY_PATH");
    Deno.env.set("ESBUILD_BINARY_PATH", path);
    try {
      return await import("esbuild");
    } finally {
      if (before === undefined) Deno.env.delete("ESBUILD_BINARY_PATH");
      else Deno.env.set("ESBUILD_BINARY_PATH", before);
    }
  })();
  return esbuild;
}

function getLauncher(): Promise<EsbuildLauncher> {
  if (launcher === null) {
    const wanted = settings;
    launcherSettings = wanted;
    launcher = (async () => {
      const api = await getEsbuild();
      cgroups ??= probeCgroups().then((p) => ({ manager: p.manager, reason: p.reason }));
      const { manager, reason } = wanted.cgroups
        ? await cgroups
        : { manager: null, reason: "turned off" };
      const prepared = await prepareEsbuildLauncher({
        dir: getPrivateDir(),
        memoryBytes: wanted.memoryBytes,
        cgroups: manager,
        ...(reason === null ? {} : { cgroupsMissing: reason }),
        jail: wanted.jail,
        version: api.version,
      });
      await prepared.clearPid();
      oomKillsSeen = (await prepared.group?.memoryEvents())?.oomKills ?? null;
      verified = false;
      unverified = null;
      if (prepared.isolation !== "jail" && !warned) {
        warned = true;
        console.error(`⚠ ${prepared.description}`);
      }
      return prepared;
    })();
    // A launcher that failed is retried by the next build.
    launcher.catch(() => {
      if (launcherSettings === wanted) launcher = null;
    });
  }
  return launcher;
}

/** The launcher for the current settings, replacing the service if they changed since it started. */
async function currentLauncher(): Promise<EsbuildLauncher> {
  if (launcher !== null && launcherSettings !== settings) await stopService();
  return await getLauncher();
}

function memoryBytes(): number {
  return (launcherSettings ?? settings).memoryBytes;
}

function isServiceGone(error: unknown): "stopped" | "not-running" | null {
  const text = error instanceof Error ? error.message : String(error);
  if (text.startsWith("The service was stopped")) return "stopped";
  if (text.startsWith("The service is no longer running")) return "not-running";
  return null;
}

/** Forgets the dead (or killed) service; the next build starts a new one. */
async function restart(l: EsbuildLauncher, api: EsbuildApi): Promise<void> {
  const pid = l.pid();
  if (pid !== null) killTree(pid);
  for (const p of await l.group?.pids() ?? []) {
    try {
      Deno.kill(p, "SIGKILL");
    } catch { /* gone */ }
  }
  await api.stop();
  await l.clearPid();
  generation++;
  restarts++;
  verified = false;
}

function mebibytes(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}

/**
 * Runs one build on the esbuild service inside `budget`, after every build
 * queued before it. `build` must use only the API it is given, and contexts
 * made in the current {@linkcode bundlerGeneration}.
 *
 * @throws {BundleError} when the build runs past its time or memory budget or
 * kills the service (which is then restarted), or when confinement is
 * required and unavailable.
 */
export function runBuild<T>(
  budget: BuildBudget,
  build: (api: EsbuildApi) => Promise<T>,
): Promise<T> {
  const run = queue.then(() => runQueued(budget, build));
  queue = run.catch(() => {});
  return run;
}

async function runQueued<T>(
  budget: BuildBudget,
  build: (api: EsbuildApi) => Promise<T>,
): Promise<T> {
  let l: EsbuildLauncher;
  try {
    l = await currentLauncher();
  } catch (error) {
    throw new BundleError(
      `Cannot bundle "${budget.file}": ${(error as Error).message}`,
      budget.file,
      { cause: error },
    );
  }
  const api = await getEsbuild();
  // A service that died since the last build (killed from outside) is not this build's doing.
  const pid = l.pid();
  if (pid !== null && !isRunning(pid)) await restart(l, api);
  for (let attempt = 0;; attempt++) {
    const oomBefore = oomKillsSeen;
    const { outcome, broke: cause } = await watchBuild(Promise.resolve().then(() => build(api)), {
      timeMs: budget.timeMs,
      memoryBytes: memoryBytes(),
      sample: l.group === null,
      pid: () => l.pid(),
      onSample: (bytes) => (sampledPeak = Math.max(sampledPeak, bytes)),
      stop: () => void api.stop(),
    });
    if (!verified && l.pid() !== null) verified = true;
    if (outcome.ok) {
      checkVerified(budget);
      return outcome.value;
    }
    const gone = isServiceGone(outcome.error);
    if (cause === null && gone === null) throw outcome.error;
    // The service was dead before this build asked it anything: not this build's doing.
    if (cause === null && gone === "not-running" && attempt === 0) {
      await restart(l, api);
      continue;
    }
    const oomAfter = (await l.group?.memoryEvents())?.oomKills ?? null;
    oomKillsSeen = oomAfter;
    const peak = await l.peakMemoryBytes();
    const words = await l.lastWords();
    await restart(l, api);
    const memory = mebibytes(memoryBytes());
    let why: string;
    if (cause === "time") {
      why = `esbuild ran past its time budget of ${budget.timeMs} ms and was stopped`;
    } else if (
      cause === "memory" || (oomAfter !== null && oomBefore !== null && oomAfter > oomBefore) ||
      (l.group !== null && peak !== null && peak >= memoryBytes() * 0.98)
    ) {
      why = `esbuild ran past its memory budget of ${memory} and was killed`;
    } else {
      why = `the esbuild service died while bundling it${words ? ` (${words})` : ""}`;
    }
    throw new BundleError(
      `Cannot bundle "${budget.file}": ${why}; the bundler restarted it for the other scripts`,
      budget.file,
      { cause: outcome.error },
    );
  }
}

function checkVerified(budget: BuildBudget): void {
  if (verified) return;
  if (unverified === null) {
    unverified = `esbuild's package was loaded before the bundler could point it at its ` +
      `launcher, so the service runs unconfined`;
    console.error(`⚠ ESBUILD UNCONFINED (${unverified})`);
  }
  if (launcherSettings?.jail === "on") {
    throw new BundleError(`Cannot bundle "${budget.file}": ${unverified}`, budget.file);
  }
}

/** How the esbuild service runs now (preparing its launcher if no build has yet). */
export async function bundlerStatus(): Promise<BundlerStatus> {
  const l = await (launcher ?? getLauncher());
  const peak = l.group ? await l.peakMemoryBytes() : sampledPeak || null;
  return {
    isolation: unverified ? "unconfined" : l.isolation,
    description: unverified ? `ESBUILD UNCONFINED (${unverified})` : l.description,
    memoryBytes: memoryBytes(),
    memoryEnforcement: l.group ? "cgroup" : "sampled",
    peakMemoryBytes: peak,
    restarts,
    pid: l.pid(),
  };
}

/**
 * Stops the esbuild service after the builds queued now and removes its
 * control group; the next build starts a new one with the current settings.
 */
export async function stopBundlerService(): Promise<void> {
  await queue;
  await stopService();
}

async function stopService(): Promise<void> {
  const api = esbuild ? await esbuild : null;
  await api?.stop();
  const l = launcher;
  launcher = null;
  launcherSettings = null;
  generation++;
  sampledPeak = 0;
  restarts = 0;
  const prepared = await l?.catch(() => null);
  await prepared?.dispose();
}

/**
 * The program esbuild's npm package starts as its service, confined. The
 * package spawns whatever `ESBUILD_BINARY_PATH` names (read once, when the
 * package is first evaluated: see `generateBinPath` in its `lib/main.js`), so
 * the bundler points it at a small `sh` script written here, which
 *
 * - records its pid (the service's process) and sends the service's stderr to
 *   a file, for the bundler's sampling and error messages;
 * - joins the bundler's control group (memory and threads, when the machine
 *   allows them: `sandbox/cgroup.ts`), so a runaway is killed by the kernel;
 * - and execs the real binary inside bubblewrap with nothing of the host but
 *   that binary: esbuild is a static Go executable (`ldd`: "not a dynamic
 *   executable"), so the jail holds no library, no `/proc`, no `/dev`, no
 *   `/tmp`, no network, and a missed read finds nothing. The bundler hands
 *   esbuild every file's contents through its plugin, so nothing needs the
 *   file system. Without `/proc` an inherited descriptor cannot be reopened by
 *   path, and esbuild opens no descriptor by number.
 *
 * Where bubblewrap cannot run, the script runs esbuild directly (still in the
 * group when there is one) and the launcher says why.
 *
 * @module
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { CgroupManager, ProcessGroup } from "../cgroup/mod.ts";
import { findExecutable } from "../command/mod.ts";

/** How strongly the esbuild service is confined. */
export type BundlerIsolation = "jail" | "unconfined";

/** Options of {@linkcode prepareEsbuildLauncher}. */
export interface EsbuildLauncherOptions {
  /** A private folder (mode 0700) for the launcher, its pid and its stderr. */
  dir: string;
  /** Memory of the service's process tree, enforced by the group when there is one. */
  memoryBytes: number;
  /** Where the group comes from; null runs the service without one. */
  cgroups: CgroupManager | null;
  /** Why there are no cgroups, when `cgroups` is null. */
  cgroupsMissing?: string;
  /**
   * "auto": the jail where bubblewrap runs; "on": throw without it; "off":
   * never (content checks, the group and the time budget only).
   * @default "auto"
   */
  jail?: "auto" | "on" | "off";
  /** @default the first `bwrap` on PATH */
  bwrapPath?: string;
  /** @default the binary of esbuild's npm package for this platform */
  binaryPath?: string;
  /** The version esbuild's API expects (`esbuild.version`), which the probe run must print. */
  version: string;
}

/** A launcher written to disk, ready for `ESBUILD_BINARY_PATH`. */
export interface EsbuildLauncher extends AsyncDisposable {
  /** The `sh` script esbuild's package spawns. */
  readonly path: string;
  /** Where the launcher writes its pid, which becomes the service's (bubblewrap's) pid. */
  readonly pidPath: string;
  /** Where the service's stderr goes (esbuild writes there only when it crashes). */
  readonly stderrPath: string;
  readonly isolation: BundlerIsolation;
  /** One line for logs: what confines esbuild, or why nothing does. */
  readonly description: string;
  /** The group that holds the service, or null. */
  readonly group: ProcessGroup | null;
  /** Processes plus threads the group allows (GOMAXPROCS is set below it). */
  readonly maxPids: number;
  /** The pid the service's launcher recorded, or null when no service started since it was cleared. */
  pid(): number | null;
  /** Forgets the recorded pid (before a new service starts). */
  clearPid(): Promise<void>;
  /** The group's high-water mark of memory in bytes (v1 `memory.max_usage_in_bytes`, v2 `memory.peak`), or null. */
  peakMemoryBytes(): Promise<number | null>;
  /** The first line the service wrote to stderr (a Go fatal error), escaped and cut, or null. */
  lastWords(): Promise<string | null>;
  /** Removes the group (killing what is left in it). */
  dispose(): Promise<void>;
}

/** Processes plus threads of the service: Go needs GOMAXPROCS threads and a few more. */
const MAX_PIDS = 64;
/** esbuild's parallelism; the world's ticks share the machine. */
const GO_MAX_PROCS = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
/** The binary's path inside the jail. */
const JAILED_BINARY = "/esbuild";

/** The binary of esbuild's npm package for this platform, resolved like the package does. */
export function findEsbuildBinary(): string {
  const main = fileURLToPath(import.meta.resolve("esbuild"));
  const arch = ({ x86_64: "x64", aarch64: "arm64" } as Record<string, string>)[Deno.build.arch];
  if (Deno.build.os === "windows" || arch === undefined) {
    throw new Error(`Cannot find esbuild's binary for ${Deno.build.os} ${Deno.build.arch}`);
  }
  return createRequire(main).resolve(`@esbuild/${Deno.build.os}-${arch}/bin/esbuild`);
}

/** Quotes one word for `sh`. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

function bwrapArgs(binary: string): string[] {
  return [
    "--unshare-all",
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    "--clearenv",
    "--setenv",
    "GOMAXPROCS",
    String(GO_MAX_PROCS),
    "--ro-bind",
    binary,
    JAILED_BINARY,
    "--remount-ro",
    "/",
    "--chdir",
    "/",
    "--",
    JAILED_BINARY,
  ];
}

function script(
  command: { program: string; args: string[] },
  pidPath: string,
  stderrPath: string,
): string {
  return [
    "#!/bin/sh",
    "# Syncra's esbuild service (written by sandbox/esbuild_launcher.ts).",
    `echo $$ > ${shellQuote(pidPath)} || exit 125`,
    `exec 2> ${shellQuote(stderrPath)}`,
    `export GOMAXPROCS=${GO_MAX_PROCS}`,
    `exec ${[command.program, ...command.args].map(shellQuote).join(" ")} "$@"`,
    "",
  ].join("\n");
}

async function writeLauncher(path: string, text: string): Promise<void> {
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(temporary, text, { mode: 0o700 });
  await Deno.rename(temporary, path);
}

/** Runs `launcher --version`; throws with what went wrong. */
async function probe(path: string, stderrPath: string, version: string): Promise<void> {
  const output = await new Deno.Command(path, {
    args: ["--version"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  if (output.success && stdout === version) return;
  const stderr = await Deno.readTextFile(stderrPath).catch(() => "");
  const detail = stderr.trim().split("\n").slice(0, 3).join("; ") || stdout || "no output";
  throw new Error(`exit code ${output.code}: ${detail.slice(0, 300)}`);
}

/**
 * Writes the launcher into `options.dir`, creating the bundler's group when
 * the machine allows, and checks it by running `esbuild --version` through
 * it. Falls back to running esbuild outside bubblewrap (and says why) unless
 * `options.jail` is "on".
 */
export async function prepareEsbuildLauncher(
  options: EsbuildLauncherOptions,
): Promise<EsbuildLauncher> {
  const path = `${options.dir}/esbuild-launcher.sh`;
  const pidPath = `${options.dir}/service.pid`;
  const stderrPath = `${options.dir}/service.stderr`;
  const binary = await Deno.realPath(options.binaryPath ?? findEsbuildBinary());
  const mib = Math.round(options.memoryBytes / 1024 / 1024);

  let group: ProcessGroup | null = null;
  let noGroup = options.cgroupsMissing ?? "no cgroups";
  if (options.cgroups) {
    try {
      group = await options.cgroups.create("bundler", {
        memoryBytes: options.memoryBytes,
        maxPids: MAX_PIDS,
      });
    } catch (error) {
      noGroup = error instanceof Error ? error.message : String(error);
    }
  }
  const inGroup = (command: { program: string; args: string[] }) =>
    group ? group.wrap({ ...command, env: {} }) : command;
  const budget = group
    ? `cgroup v${options.cgroups!.version}: ${mib} MiB, ${MAX_PIDS} threads`
    : `no cgroup (${noGroup}): memory sampled every 20 ms, killed past ${mib} MiB`;

  let isolation: BundlerIsolation = "unconfined";
  let description: string;
  const jail = options.jail ?? "auto";
  const bwrap = jail === "off" ? null : options.bwrapPath ?? findExecutable("bwrap");
  let whyNot = jail === "off" ? "turned off" : "bubblewrap was not found on PATH";
  if (bwrap !== null) {
    const jailed = inGroup({ program: bwrap, args: bwrapArgs(binary) });
    await writeLauncher(path, script(jailed, pidPath, stderrPath));
    try {
      await probe(path, stderrPath, options.version);
      isolation = "jail";
    } catch (error) {
      whyNot = `esbuild did not run inside "${bwrap}": ${(error as Error).message}`;
    }
  }
  if (isolation === "jail") {
    description = `esbuild in a bubblewrap jail holding only its static binary (no host ` +
      `files, /proc, /dev or network; new user, pid, ipc, uts and cgroup namespaces; no ` +
      `capabilities), ${budget}`;
  } else {
    if (jail === "on") {
      await group?.dispose();
      throw new Error(`Cannot run the bundler's esbuild in its jail: ${whyNot}`);
    }
    await writeLauncher(path, script(inGroup({ program: binary, args: [] }), pidPath, stderrPath));
    await probe(path, stderrPath, options.version);
    description = `ESBUILD UNCONFINED (${whyNot}): esbuild can read the runtime's files; the ` +
      `bundler still hands it every file's contents and refuses source map comments; ${budget}`;
  }
  return {
    path,
    pidPath,
    stderrPath,
    isolation,
    description,
    group,
    maxPids: MAX_PIDS,
    pid: () => readPid(pidPath),
    clearPid: () => Deno.remove(pidPath).catch(() => {}),
    peakMemoryBytes: async () =>
      group === null ? null : await readNumber(`${group.path}/memory.max_usage_in_bytes`) ??
        await readNumber(`${group.path}/memory.peak`),
    lastWords: () => firstLine(stderrPath),
    dispose: async () => await group?.dispose(),
    [Symbol.asyncDispose]: async () => await group?.dispose(),
  };
}

function readPid(path: string): number | null {
  try {
    const pid = Number(Deno.readTextFileSync(path).trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

async function readNumber(path: string): Promise<number | null> {
  try {
    const value = Number((await Deno.readTextFile(path)).trim());
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

async function firstLine(path: string): Promise<string | null> {
  let text: string;
  try {
    using file = await Deno.open(path);
    const buffer = new Uint8Array(4096);
    const n = await file.read(buffer) ?? 0;
    text = new TextDecoder().decode(buffer.subarray(0, n));
  } catch {
    return null;
  }
  const line = text.split("\n").map((l) => l.trim()).find((l) => l !== "");
  // deno-lint-ignore no-control-regex
  return line === undefined ? null : line.replace(/[\u0000-\u001f\u007f]/g, "?").slice(0, 200);
}

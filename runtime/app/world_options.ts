/**
 * The options of a world (the CLI flags of DESIGN §8) and where its files
 * live: everything under the world's root, the parent of its scripts folder.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { DEFAULT_COORDINATOR_OPTIONS } from "../coordinator/mod.ts";
import {
  DEFAULT_OUTPUT_BUDGET,
  DEFAULT_SLOT_OPTIONS,
  type OutputBudgetOptions,
} from "../supervision/mod.ts";
import type { SupervisorEvent } from "../supervision/mod.ts";
import { DEFAULT_SCRIPT_LIMITS, type ScriptLimits, type WorldConfig } from "../policy/mod.ts";
import { type AuditLogOptions, DEFAULT_AUDIT_LOG_OPTIONS } from "./audit_log.ts";
import type { AudioOptions, OpenXROptions, RendererOptions } from "./native_drivers.ts";
import type { NetworkOptions } from "./network_entry.ts";

/** Options of a world run (the CLI flags of DESIGN §8). */
export interface WorldOptions {
  scriptsDir: string;
  /** Stop after this many ticks; null runs until interrupted. */
  ticks: number | null;
  hz: number;
  reportPath: string | null;
  dumpPath: string | null;
  /** Where state is saved and restored; null: `<workDir>/world.state`. */
  statePath: string | null;
  fresh: boolean;
  /** The random seed of a world created by this run (a saved world keeps its own). @default 0 */
  seed: number;
  deadlineMs: number;
  /** "auto": the OS jail where available; "on": fail without it; "off": flags only. */
  jail: "auto" | "on" | "off";
  /** Watch the folder and hot-reload. @default true */
  watch: boolean;
  /**
   * The world's private folder (bundles, state, audit log, storage); null:
   * `.syncra/` in the world's root, the parent of the scripts folder (DESIGN §8).
   */
  workDir: string | null;
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
  /** Run the viewer driver (`deno task world` does unless --no-viewer). @default false */
  viewer: boolean;
  /** The viewer's port; taken, the next free one is used; 0 picks any. @default 8000 */
  port: number;
  /** The viewer's inspector may edit components (its edits carry editor authority). @default false */
  editable: boolean;
  /** Run the renderer driver (--renderer, --frames DIR); null leaves it out. @default null */
  renderer: RendererOptions | null;
  /** Run the spatial audio driver (--audio, --audio-out FILE); null leaves it out. @default null */
  audio: AudioOptions | null;
  /** Run the OpenXR tracking driver (--openxr, --openxr-runtime FILE); null leaves it out. @default null */
  openxr: OpenXROptions | null;
  /** Serve the world to clients (--network ADDR, --tls-cert, --tls-key); null: no network. @default null */
  network: NetworkOptions | null;
  /**
   * Join another world as a client (--join URL --token T [--ca FILE]) and
   * mirror it into this one; null: none. @default null
   */
  join: { url: string; token: string; ca: string | null } | null;
  /**
   * Distributed mode (DESIGN §7): "auto" runs the world's own nats-server,
   * a `nats://` URL joins one; null is local mode. @default null
   */
  nats: string | null;
  /** The coordinator's NATS credentials; null: `.syncra/nats/coordinator.creds`. @default null */
  natsCreds: string | null;
  /** Systems that run only on remote hosts: the world makes their NATS identities. */
  remoteSystems: string[];
  /** What one script may make the world write, per tick and per second. */
  outputBudget: Readonly<OutputBudgetOptions>;
  /** Rotation of `<workDir>/audit.jsonl`: 16 MiB, 3 older files kept. */
  audit: Readonly<AuditLogOptions>;
  /** Where the world's lines go (without their newline) instead of stderr (tests). */
  output?: (line: string) => void;
  /** Capability approvals; null reads syncra.json (or deno.json's "syncra") in the world's root. */
  config: WorldConfig | null;
  /** Receives every supervisor event (tests, tools). */
  onEvent?: (event: SupervisorEvent) => void;
  /** Called once every script is started, inits have run and the watcher is on (tests, tools). */
  onStarted?: () => void;
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
  statePath: null,
  fresh: false,
  seed: 0,
  deadlineMs: DEFAULT_COORDINATOR_OPTIONS.deadlineMs,
  jail: "auto",
  watch: true,
  workDir: null,
  heapMb: DEFAULT_SCRIPT_LIMITS.heapMb,
  memoryMb: DEFAULT_SCRIPT_LIMITS.memoryMb,
  maxThreads: DEFAULT_SCRIPT_LIMITS.threads,
  cgroups: true,
  maxEntitiesPerScript: DEFAULT_COORDINATOR_OPTIONS.maxEntitiesPerScript,
  maxComponentMb: DEFAULT_COORDINATOR_OPTIONS.maxComponentBytesPerScript / (1024 * 1024),
  maxArchetypesPerScript: DEFAULT_COORDINATOR_OPTIONS.maxArchetypesPerScript,
  quiet: false,
  viewer: false,
  port: 8000,
  editable: false,
  renderer: null,
  audio: null,
  openxr: null,
  network: null,
  join: null,
  nats: null,
  natsCreds: null,
  remoteSystems: [],
  outputBudget: DEFAULT_OUTPUT_BUDGET,
  audit: DEFAULT_AUDIT_LOG_OPTIONS,
  config: null,
});

/** Where a world's files are, with every default resolved. */
export interface WorldPaths {
  /** The parent of the scripts folder: `syncra.json` lives here. */
  root: string;
  /** `.syncra/` in the root unless given. */
  workDir: string;
  statePath: string;
  bundles: string;
  storage: string;
  audit: string;
}

/** Resolves a world's paths from its options. */
export function worldPaths(
  options: Pick<WorldOptions, "scriptsDir" | "workDir" | "statePath">,
): WorldPaths {
  const root = dirname(resolve(options.scriptsDir));
  const workDir = resolve(options.workDir ?? join(root, ".syncra"));
  return {
    root,
    workDir,
    statePath: resolve(options.statePath ?? join(workDir, "world.state")),
    bundles: join(workDir, "bundles"),
    storage: join(workDir, "storage"),
    audit: join(workDir, "audit.jsonl"),
  };
}

/** What every script may use before syncra.json's "limits": the world's flags (or defaults). */
export function baseScriptLimits(
  options: Pick<
    WorldOptions,
    "heapMb" | "memoryMb" | "maxThreads" | "deadlineMs" | "maxEntitiesPerScript"
  > = DEFAULT_WORLD_OPTIONS,
  logLinesPerTick: number = DEFAULT_SLOT_OPTIONS.maxLogsPerTick,
): ScriptLimits {
  return {
    heapMb: options.heapMb,
    memoryMb: options.memoryMb,
    threads: options.maxThreads,
    deadlineMs: options.deadlineMs,
    spawnsPerTick: DEFAULT_COORDINATOR_OPTIONS.maxSpawnsPerTick,
    initSpawns: DEFAULT_COORDINATOR_OPTIONS.maxInitSpawns,
    entities: options.maxEntitiesPerScript,
    logLinesPerTick,
    backgroundCpuPercent: DEFAULT_SCRIPT_LIMITS.backgroundCpuPercent,
  };
}

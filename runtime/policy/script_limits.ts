/**
 * What the world owner lets each script use, from `syncra.json`:
 *
 * ```json
 * { "limits": { "default": { "deadlineMs": 100 }, "scene.ts": { "initSpawns": 20000 } } }
 * ```
 *
 * A script gets the world's defaults (its command-line flags), then
 * `"default"`, then the entry for its file (relative to the scripts folder,
 * like capabilities): later ones win, key by key.
 *
 * @module
 */
import { configKey } from "./config_key.ts";
import { didYouMean } from "./did_you_mean.ts";

/** The limits of one script. */
export interface ScriptLimits {
  /** V8 heap cap of its process, MiB. */
  heapMb: number;
  /** Memory of its process tree (cgroup, or the RSS watchdog), MiB. */
  memoryMb: number;
  /** Processes plus threads of its process tree. */
  threads: number;
  /** How long one tick may stay outstanding, ms. */
  deadlineMs: number;
  /** Entities its `run` may spawn per tick. */
  spawnsPerTick: number;
  /** Entities its `init` may spawn. */
  initSpawns: number;
  /** Live entities it may own. */
  entities: number;
  /** Log lines kept per tick; the rest are counted and dropped. */
  logLinesPerTick: number;
  /** CPU its process tree may burn outside its ticks (timers, threads), percent of one core. */
  backgroundCpuPercent: number;
}

/** The limits every script has unless the flags or syncra.json say otherwise. */
export const DEFAULT_SCRIPT_LIMITS: Readonly<ScriptLimits> = Object.freeze({
  heapMb: 128,
  memoryMb: 256,
  threads: 64,
  deadlineMs: 250,
  spawnsPerTick: 256,
  initSpawns: 10_000,
  entities: 100_000,
  logLinesPerTick: 100,
  backgroundCpuPercent: 50,
});

/** The owner's limits as configured: defaults for every script, then per file. */
export interface LimitsConfig {
  default: Partial<ScriptLimits>;
  files: Record<string, Partial<ScriptLimits>>;
}

/** Each limit's accepted range and unit, for validation and messages. */
export const LIMIT_RANGES: Readonly<Record<keyof ScriptLimits, { min: number; max: number }>> =
  Object.freeze({
    heapMb: { min: 16, max: 16_384 },
    memoryMb: { min: 32, max: 65_536 },
    // An idle `deno run` already uses 7 threads; Workers add more.
    threads: { min: 16, max: 4096 },
    deadlineMs: { min: 1, max: 600_000 },
    spawnsPerTick: { min: 0, max: 65_536 },
    initSpawns: { min: 0, max: 1_000_000 },
    // Entity ids have a 24-bit index.
    entities: { min: 0, max: 16_000_000 },
    logLinesPerTick: { min: 0, max: 100_000 },
    // Above 100 a script may keep Worker threads busy between ticks.
    backgroundCpuPercent: { min: 1, max: 6400 },
  });

const NAMES = Object.keys(LIMIT_RANGES) as (keyof ScriptLimits)[];

function parseEntry(raw: unknown, where: string, fail: (why: string) => never) {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    fail(`${where} must be an object of limits (${NAMES.join(", ")})`);
  }
  const out: Partial<ScriptLimits> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!Object.hasOwn(LIMIT_RANGES, name)) {
      const guess = didYouMean(name, NAMES);
      fail(
        `${where}."${name}" is not a limit${guess ? ` (did you mean "${guess}"?)` : ""}; ` +
          `limits are ${NAMES.join(", ")}`,
      );
    }
    const { min, max } = LIMIT_RANGES[name as keyof ScriptLimits];
    if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
      fail(
        `${where}."${name}" must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
      );
    }
    out[name as keyof ScriptLimits] = value as number;
  }
  return out;
}

/** Validates the `"limits"` section; `fail` throws the configuration's error. */
export function parseLimits(raw: unknown, fail: (why: string) => never): LimitsConfig {
  if (raw === undefined) return { default: {}, files: {} };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    fail(`"limits" must be an object: { "default": {...}, "<script file>": {...} }`);
  }
  const config: LimitsConfig = { default: {}, files: {} };
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const entry = parseEntry(value, `"limits"."${key}"`, fail);
    if (key === "default") config.default = entry;
    else config.files[key] = entry;
  }
  return config;
}

/** A script's limits in force, and the config entries that set them (for explain). */
export interface LimitsInForce {
  limits: ScriptLimits;
  /** Which entries applied beyond the world's defaults, e.g. `["default", "scene.ts"]`. */
  from: string[];
}

/** The limits of script `file`: the world's `base`, then `"default"`, then its own entry. */
export function limitsFor(
  config: LimitsConfig,
  file: string,
  scriptsDir: string,
  base: Readonly<ScriptLimits>,
): LimitsInForce {
  const key = configKey(file, scriptsDir);
  const from: string[] = [];
  if (Object.keys(config.default).length > 0) from.push("default");
  const own = config.files[key];
  if (own) from.push(key);
  return { limits: { ...base, ...config.default, ...own }, from };
}

/** One line for explain: every limit with its unit. */
export function formatLimits({ limits, from }: LimitsInForce, source: string): string {
  const l = limits;
  return `heap ${l.heapMb} MiB, memory ${l.memoryMb} MiB, ${l.threads} threads, deadline ` +
    `${l.deadlineMs} ms, ${l.spawnsPerTick} spawns/tick, ${l.initSpawns} init spawns, ` +
    `${l.entities} entities, ${l.logLinesPerTick} log lines/tick, ` +
    `${l.backgroundCpuPercent}% of a core between ticks` +
    (from.length ? ` (${source}: ${from.map((f) => `"${f}"`).join(", ")})` : " (defaults)");
}

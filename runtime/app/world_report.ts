/**
 * The JSON report of DESIGN §8 and the `--dump` of the world state.
 *
 * @module
 */
import type { Coordinator } from "../coordinator/mod.ts";
import type { DriverRole, SystemRole } from "../roles/mod.ts";
import type { TickPercentiles } from "../coordinator/mod.ts";

/** One script's line in the report. */
export interface ScriptReport {
  name: string;
  file: string;
  state: string;
  /** A newer version of its file was refused; the version running is an older one. */
  stale: boolean;
  /** Its code threw in the last tick it answered. */
  erroring: boolean;
  restarts: number;
  violations: number;
  /** DESIGN §8's name for {@linkcode ScriptReport.lateTicks}: results that missed the wait. */
  deadlineMisses: number;
  /** Ticks whose result came after the world stopped waiting (one tick period) and was dropped. */
  lateTicks: number;
  /** Ticks it was not sent because it was still busy with a late one. */
  skippedTicks: number;
  errors: number;
  isolation: string | null;
  budget: string | null;
  command: string[];
  lastError: string | null;
  /** Process ends by typed reason: deadline, cpu, memory, crash, violation, protocol. */
  exits: Record<string, number>;
  lastExitReason: string | null;
  /** Log lines dropped past the per-tick cap. */
  droppedLogs: number;
  /**
   * Lines (logs, violations, deadline misses) the output budget kept off the
   * world's stderr and the audit log; the counts above stay complete.
   */
  droppedOutput: number;
}

/** One driver's line in the report (DESIGN §8). */
export interface DriverReport {
  name: string;
  file: string;
  /** running, restarting, refused, stopped, or unavailable (it cannot run on this machine). */
  state: string;
  restarts: number;
  violations: number;
  isolation: string | null;
  command: string[];
  lastError: string | null;
  exits: Record<string, number>;
  /** Whether it exited by itself, with code 0, when the world stopped (null: it was not running). */
  stoppedCleanly: boolean | null;
}

/** Describes one driver for the report. */
export function reportDriver(driver: DriverRole): DriverReport {
  return {
    name: driver.name,
    file: driver.file,
    state: driver.unavailable !== null ? "unavailable" : driver.state,
    restarts: driver.restarts,
    violations: driver.violations,
    isolation: driver.isolation,
    command: driver.commandLine,
    lastError: driver.lastError,
    exits: { ...driver.exits },
    stoppedCleanly: driver.stoppedCleanly,
  };
}

/** The report written by `--report`. */
export interface WorldReport {
  ticks: number;
  entities: number;
  hz: number;
  durationMs: number;
  tickMs: TickPercentiles;
  scripts: ScriptReport[];
  drivers: DriverReport[];
  /** The frame channel the children had, e.g. "unix socket on fds 0/1 (launched through FFI)". */
  channel: string;
  /**
   * The components that may leave the server to the world's clients
   * (DESIGN §11), by name (qualified `Name@module` where two share a name).
   */
  replicated: string[];
  /**
   * The runtime process's peak resident memory over its life, MiB (Linux's
   * VmHWM; the current RSS elsewhere): what the world cost the trusted side.
   * Set once state and dump are written.
   */
  runtimePeakRssMb: number | null;
  /**
   * Distributed mode: each system's remote hosts (deno task system), by
   * instance: shards answered, mean round trip, shards missed (reissued to
   * others), and the load of its last heartbeat.
   */
  remote?: Record<string, RemoteInstanceReport[]>;
}

/** One remote host of a system, as the report shows it. */
export interface RemoteInstanceReport {
  instance: string;
  shards: number;
  meanShardMs: number | null;
  missed: number;
  silent: boolean;
  load: { shards: number; busyMs: number; queued: number; cpuMs?: number } | null;
}

/**
 * The process's peak resident memory so far, in bytes: Linux's VmHWM (which
 * catches peaks inside synchronous work), the current RSS elsewhere.
 */
export function peakResidentBytes(): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"))?.[1];
    if (kb !== undefined) return Number(kb) * 1024;
  } catch { /* not Linux, or no read permission */ }
  return Deno.memoryUsage().rss;
}

/** {@linkcode peakResidentBytes} in MiB. */
export function peakResidentMb(): number {
  return Math.round(peakResidentBytes() / (1024 * 1024));
}

/** Describes one script for the report and the status line. */
export function reportScript(slot: SystemRole): ScriptReport {
  return {
    name: slot.name,
    file: slot.file,
    state: slot.state,
    stale: slot.stale,
    erroring: slot.erroring,
    restarts: slot.restarts,
    violations: slot.violations,
    deadlineMisses: slot.lateTicks,
    lateTicks: slot.lateTicks,
    skippedTicks: slot.skippedTicks,
    errors: slot.errors,
    isolation: slot.isolation,
    budget: slot.budget,
    command: slot.commandLine,
    lastError: slot.lastError,
    exits: { ...slot.exits },
    lastExitReason: slot.lastExitReason,
    droppedLogs: slot.droppedLogs,
    droppedOutput: slot.droppedOutput,
  };
}

/** Builds the report at the end of a run. */
export function buildReport(
  coordinator: Coordinator,
  slots: readonly SystemRole[],
  ticksRun: number,
  hz: number,
  durationMs: number,
  channel: string,
  drivers: readonly DriverRole[] = [],
): WorldReport {
  return {
    ticks: ticksRun,
    entities: coordinator.world.entityCount,
    hz,
    durationMs: Math.round(durationMs),
    tickMs: coordinator.stats.overall(),
    scripts: slots.map(reportScript),
    drivers: drivers.map(reportDriver),
    channel,
    replicated: coordinator.world.registry.replicated()
      .map((c) => coordinator.world.registry.displayName(c.key)).sort(),
    runtimePeakRssMb: null,
  };
}

/** "1 entity", "3 entities": counts in the world's own lines. */
export function entities(n: number): string {
  return `${n} ${n === 1 ? "entity" : "entities"}`;
}

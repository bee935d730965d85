/**
 * What the coordinator needs of a system, whatever runs it: a child process
 * under its role (runtime/roles SystemRole), a system host on another machine,
 * or a fake in a unit test. The coordinator reports what happened (a missed
 * deadline, a violation, an error) and the runner's role decides what it
 * costs; the coordinator never kills on its own judgement except for budgets
 * of the world (deadline of init, component budgets).
 *
 * @module
 */
import type { Manifest } from "../roles/mod.ts";
import type { ResultMessage, RuntimeMessage, WireError } from "../protocol/mod.ts";

/** One running version of a system: replaced whole on restart and reload. */
export interface RunningSystem {
  readonly manifest: Manifest;
  /** Which version of its file this is (a restart keeps it, an edit changes it). */
  readonly version: string;
  /** Non-null once it is being stopped: it gets no more ticks. */
  readonly killReason: string | null;
}

/**
 * The answer to a tick or init. For a result, `value` is what the caller's
 * `accept` made of it: `accept` runs synchronously when the result arrives,
 * while its column views are valid.
 */
export type TickOutcome<T = void> =
  | { kind: "result"; value: T }
  | { kind: "late" }
  | { kind: "busy" }
  | { kind: "gone" };

/**
 * How long the world waits for a result, and how long the request may stay
 * outstanding before the role kills the child (null: the caller decides).
 */
export interface RequestTiming {
  waitMs: number;
  deadlineMs: number | null;
}

/** Why the coordinator stops a system: its init ran over, or its commands over a budget. */
export type WorldKillReason = "deadline" | "budget";

/** A system as the coordinator drives it. */
export interface SystemRunner {
  /** Its script file: declaration order, ownership and payers are by file. */
  readonly file: string;
  /** Its name in the world, for messages. */
  readonly name: string;
  /** The version that runs now, if any. */
  readonly active: RunningSystem | null;
  /** At a tick boundary: installs a started, restarted or reloaded version and returns it. */
  commitPending(): RunningSystem | null;
  /** A new tick begins (per-tick budgets such as log lines start over). */
  beginTick(): void;
  /**
   * Sends a tick or init to the active version and waits `timing.waitMs` for
   * its result ("late" after that: the result is dropped when it comes); a
   * request still outstanding after `timing.deadlineMs` is the role's to kill.
   */
  request<T>(
    message: RuntimeMessage,
    timing: RequestTiming,
    accept: (result: ResultMessage) => T,
  ): Promise<TickOutcome<T>>;
  /** It did not answer tick `tick` within the `waitedMs` the world waited. */
  recordLate(tick: number, waitedMs: number): void;
  /** It was still busy with an older tick, so it was not sent tick `tick`. */
  recordSkipped(tick: number): void;
  /** It answered in time, within its grants. */
  recordOnTime(): void;
  /** Something it sent broke its grants and was dropped. */
  recordViolation(tick: number, message: string): void;
  /** The result of this tick had violations (one call per tick). */
  recordViolatingTick(): void;
  /** Its code threw; the result was empty. */
  recordError(error: WireError): void;
  /** Something odd the world's owner should know, attributed to it. */
  recordWarning(message: string): void;
  /** Stops the active version for a reason of the world's; it restarts with backoff. */
  kill(reason: WorldKillReason, detail: string): void;
}

/**
 * One script file's life: bundle, spawn a zero-permission child, learn its
 * manifest from `hello`, serve ticks, and restart it with backoff when it
 * crashes or is killed. A new version (hot reload) starts beside the running
 * one and takes over at a tick boundary, so no tick is missed.
 *
 * @module
 */
import { dirname, relative } from "node:path";
import type { Bundle } from "../../sandbox/bundle/mod.ts";
import type { Isolation } from "../../sandbox/jail/mod.ts";
import { type Manifest, validateManifest } from "../roles/mod.ts";
import type { ResultMessage, RuntimeMessage, WireError } from "../protocol/mod.ts";
import type { ChildExit, SpawnHandlers } from "../link/mod.ts";
import { LiveChild } from "./live_child.ts";
import { truncate } from "../protocol/mod.ts";
import type { AdmittedGrants, ScriptLauncher } from "./launcher.ts";
export type { AdmittedGrants, PreparedChild, ScriptLauncher } from "./launcher.ts";
import type { EventStream, ExitReason } from "./events.ts";
import { SystemNames } from "../roles/mod.ts";

/** A script's state, as reported. */
export type ScriptState = "starting" | "running" | "restarting" | "refused" | "stopped";

/** Timing and budget settings of script processes. */
export interface SlotOptions {
  /**
   * The describe budget: how long a child may take from spawn to hello (start-up
   * and its module code). A child over it is killed for "deadline" and
   * restarted with backoff. @default 3000
   */
  describeBudgetMs: number;
  /** First restart delay; doubles per consecutive failure. @default 250 */
  backoffMs: number;
  /** Longest restart delay. @default 30000 */
  maxBackoffMs: number;
  /** Consecutive deadline misses before the child is killed. @default 3 */
  maxStrikes: number;
  /** Log lines kept per tick; the rest are counted and dropped. @default 100 */
  maxLogsPerTick: number;
  /** SIGTERM → SIGKILL grace. @default 500 */
  killGraceMs: number;
  /** Consecutive ticks with violations before the child is killed. @default 10 */
  maxViolatingTicks: number;
}

/** Defaults for {@linkcode SlotOptions}. */
export const DEFAULT_SLOT_OPTIONS: Readonly<SlotOptions> = Object.freeze({
  describeBudgetMs: 3000,
  backoffMs: 250,
  maxBackoffMs: 30_000,
  maxStrikes: 3,
  maxLogsPerTick: 100,
  killGraceMs: 500,
  maxViolatingTicks: 10,
});

/**
 * The result of asking a child to run a tick. For a result, `value` is what
 * the caller's `accept` made of it: `accept` runs synchronously when the
 * frame arrives, while its column views are valid (the link reuses its
 * buffer for the next frame).
 */
export type TickOutcome<T = void> =
  | { kind: "result"; value: T }
  | { kind: "timeout" }
  | { kind: "busy" }
  | { kind: "gone" };

/** The longest script text an event or the report carries (the sinks show less). */
const MAX_EVENT_TEXT = 8192;

const errorText = (
  e: WireError,
) => (e.stack && e.stack.includes(e.message) ? e.stack : `${e.name}: ${e.message}`);

/** A child that did not say hello within its describe budget. */
class DescribeTimeout extends Error {
  constructor(budgetMs: number) {
    super(
      `spent more than ${budgetMs} ms starting and running its module code (its describe ` +
        `budget): module code must finish at once, move slow work into init() or run()`,
    );
    this.name = "DescribeTimeout";
  }
}

/** A script file and its (possibly restarting) process. */
export class ScriptSlot {
  readonly file: string;
  state: ScriptState = "starting";
  restarts = 0;
  violations = 0;
  deadlineMisses = 0;
  errors = 0;
  lastError: string | null = null;
  /** How often the script's process ended, by typed reason (reloads and shutdown excluded). */
  exits: Partial<Record<ExitReason, number>> = {};
  lastExitReason: ExitReason | null = null;
  isolation: Isolation | null = null;
  budget: string | null = null;
  /** The manifest the last child reported, even if it was then refused. */
  describedManifest: Manifest | null = null;
  /** The deno command line of the last child. */
  commandLine: string[] = [];
  /** The full command line (jail and budget wrappers included) of the last child. */
  wrappedCommandLine: string[] = [];
  active: LiveChild | null = null;
  /** A started child waiting for a tick boundary to take over. */
  pending: LiveChild | null = null;
  inputs: string[] = [];
  logsThisTick = 0;
  droppedLogs = 0;
  /** Lines the output budget kept off stderr and the audit log (script_output.ts). */
  droppedOutput = 0;

  readonly #launcher: ScriptLauncher;
  readonly #events: EventStream;
  readonly #options: Readonly<SlotOptions>;
  readonly #names: SystemNames;
  #strikes = 0;
  #violatingTicks = 0;
  #failures = 0;
  #restartTimer: ReturnType<typeof setTimeout> | null = null;
  #generation = 0;
  #stopped = false;

  constructor(
    file: string,
    launcher: ScriptLauncher,
    events: EventStream,
    options: Readonly<SlotOptions>,
    names: SystemNames = new SystemNames(),
  ) {
    this.file = file;
    this.#launcher = launcher;
    this.#events = events;
    this.#options = options;
    this.#names = names;
  }

  /** The system's name: unique in the world, never taken from another script (system_names.ts). */
  get name(): string {
    return this.#names.of(this.file);
  }

  get #who() {
    return { script: this.name, file: this.file };
  }

  /** Bundles and starts (or restarts, or reloads) the script; resolves once it is ready or refused. */
  async start(reload = false): Promise<void> {
    // A new version replaces any restart of the old one that was waiting for its backoff.
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    const generation = ++this.#generation;
    const started = performance.now();
    let bundle: Bundle;
    try {
      bundle = await this.#launcher.bundle(this.file);
    } catch (error) {
      if (generation === this.#generation) this.#refuse(error, reload);
      return;
    }
    this.inputs = bundle.inputs;
    await this.#launch(bundle, generation, reload, started);
  }

  async #launch(
    bundle: Bundle,
    generation: number,
    reload: boolean,
    started: number,
    restart = false,
  ): Promise<void> {
    let child: LiveChild;
    try {
      const described = await this.#describe(bundle, null);
      let grants: AdmittedGrants;
      try {
        grants = this.#launcher.admit(described.manifest, this.file);
      } catch (error) {
        await this.#dispose(described, "removed");
        throw error;
      }
      child = described;
      if (grants.net.length > 0 || grants.storageDir !== null) {
        // The zero-permission child told us what it needs; start it again with exactly that.
        await this.#dispose(described, "removed");
        child = await this.#describe(bundle, grants);
      }
    } catch (error) {
      if (generation !== this.#generation) return;
      if (error instanceof DescribeTimeout && !this.#stopped) {
        // Over its describe budget: killed with a typed reason. A first start or a restart
        // backs off and tries again; a new version over budget leaves the old one running.
        const restartInMs = reload ? null : this.#scheduleRestart(bundle);
        this.#recordExit("deadline", error.message, restartInMs, null, "SIGKILL");
        if (!reload) {
          this.lastError = `Killed (deadline): ${error.message}`;
          return;
        }
      }
      // A restart that fails to start (a load-time crash, a slow start) keeps backing off;
      // a first start or an edit that fails is refused until the file changes.
      if (restart && !this.#stopped) {
        this.lastError = error instanceof Error ? error.message : String(error);
        this.#scheduleRestart(bundle);
      } else this.#refuse(error, reload);
      return;
    }
    if (generation !== this.#generation || this.#stopped) {
      await this.#dispose(child, "removed");
      return;
    }
    if (this.pending) void this.#dispose(this.pending, "reload");
    this.pending = child;
    this.#names.declare(this.file, child.manifest.declaredName);
    this.#events.emit({
      type: "ready",
      ...this.#who,
      pid: child.link.pid,
      reload,
      startMs: performance.now() - started,
    });
  }

  /** Spawns a child and waits for its hello. */
  async #describe(bundle: Bundle, grants: AdmittedGrants | null): Promise<LiveChild> {
    const prepared = await this.#launcher.prepare(bundle, grants, this.name);
    const { command, isolation, group } = prepared;
    this.isolation = isolation;
    this.budget = prepared.budget;
    this.commandLine = prepared.display;
    this.wrappedCommandLine = [command.program, ...command.args];
    return await new Promise<LiveChild>((resolve, reject) => {
      let child: LiveChild | null = null;
      const stderr: string[] = [];
      const fail = (message: string | Error) => {
        clearTimeout(timer);
        link.kill();
        reject(typeof message === "string" ? new Error(message) : message);
      };
      const handlers: SpawnHandlers = {
        message: (m) => {
          const message = m as { t?: unknown; manifest?: unknown; error?: WireError };
          if (child) return this.#onMessage(child, m);
          if (message.t === "hello") {
            try {
              const manifest = validateManifest(message.manifest, this.file, this.#bundled(bundle));
              this.describedManifest = manifest;
              child = new LiveChild(link, manifest, bundle, command, isolation);
              child.settled = settled;
              clearTimeout(timer);
              resolve(child);
            } catch (error) {
              fail((error as Error).message);
            }
          } else if (message.t === "fail" && message.error) {
            fail(errorText(message.error));
          } else if (message.t === "log") {
            this.#onMessage(null, m);
          } else {
            fail(`Script "${this.file}" sent ${JSON.stringify(message.t)} before hello`);
          }
        },
        protocolError: (error) => {
          if (child) return this.#kill(child, "protocol", error.message);
          fail(`Script "${this.file}" broke the frame protocol: ${error.message}`);
        },
        stderr: (line) => {
          if (stderr.length < 20) stderr.push(line);
          if (child) this.#log("error", line);
        },
      };
      const link = this.#launcher.spawn(command, handlers);
      const budget = this.#options.describeBudgetMs;
      const timer = setTimeout(() => fail(new DescribeTimeout(budget)), budget);
      let settle = () => {};
      const settled = new Promise<void>((r) => (settle = r));
      link.exited.then(async (exit) => {
        // Ask the group whether the kernel killed the child for memory, then remove it.
        const oomKills = group ? (await group.memoryEvents().catch(() => null))?.oomKills ?? 0 : 0;
        await group?.dispose().catch(() => {});
        if (!child) {
          clearTimeout(timer);
          const why = oomKills
            ? "killed for exceeding its memory budget"
            : stderr.join("\n").trim() || `exit code ${exit.code ?? exit.signal}`;
          reject(new Error(`Script "${this.file}" exited before starting: ${why}`));
          return;
        }
        this.#onExit(child, exit, stderr, oomKills > 0);
      }).finally(settle);
    });
  }

  #onMessage(child: LiveChild | null, raw: unknown): void {
    const m = raw as { t?: unknown };
    if (m.t === "log") {
      const { level, text } = raw as { level?: unknown; text?: unknown };
      this.#log(typeof level === "string" ? level : "log", typeof text === "string" ? text : "");
      return;
    }
    if (child && m.t === "result") {
      const tick = (raw as { tick?: unknown }).tick;
      if (!child.busy || tick !== child.expectedTick) {
        return this.#kill(
          child,
          "protocol",
          `sent a result for tick ${String(tick)} that was not asked for`,
        );
      }
      child.endRequest();
      const waiting = child.waiting;
      child.waiting = null;
      waiting?.(raw as ResultMessage);
      return;
    }
    if (child) this.#kill(child, "protocol", `sent an unexpected ${JSON.stringify(m.t)} frame`);
  }

  #log(level: string, text: string): void {
    if (++this.logsThisTick > this.#options.maxLogsPerTick) {
      this.droppedLogs++;
      return;
    }
    this.#events.emit({ type: "log", ...this.#who, level, text: truncate(text, MAX_EVENT_TEXT) });
  }

  /** Installs a pending child (a start, restart or reload) at a tick boundary. Returns it if it swapped. */
  commitPending(): LiveChild | null {
    const next = this.pending;
    if (!next || this.#stopped) return null;
    this.pending = null;
    const old = this.active;
    this.active = next;
    this.state = "running";
    this.#strikes = 0;
    if (old) void this.#dispose(old, "reload");
    return next;
  }

  /** Sends a tick (or init) and waits for its result until the deadline. */
  request<T>(
    message: RuntimeMessage,
    deadlineMs: number,
    accept: (result: ResultMessage) => T,
  ): Promise<TickOutcome<T>> {
    const child = this.active;
    if (!child) return Promise.resolve({ kind: "gone" });
    if (child.busy) return Promise.resolve({ kind: "busy" });
    child.beginRequest(message.t === "tick" ? message.tick : 0);
    return new Promise<TickOutcome<T>>((resolve) => {
      const timer = setTimeout(() => {
        child.waiting = null;
        resolve({ kind: "timeout" });
      }, deadlineMs);
      child.waiting = (result) => {
        clearTimeout(timer);
        resolve(result ? { kind: "result", value: accept(result) } : { kind: "gone" });
      };
      child.link.send(message).catch(() => {
        clearTimeout(timer);
        child.waiting = null;
        resolve({ kind: "gone" });
      });
    });
  }

  /** Records a missed deadline; kills the child after too many in a row. */
  recordMiss(tick: number): void {
    this.deadlineMisses++;
    this.#strikes++;
    this.#events.emit({ type: "deadline", ...this.#who, tick, strikes: this.#strikes });
    if (this.#strikes >= this.#options.maxStrikes && this.active) {
      this.#kill(
        this.active,
        "deadline",
        `missed the tick deadline ${this.#strikes} times in a row`,
      );
    }
  }

  /** Records an on-time result that respected the grants. */
  recordOnTime(): void {
    this.#strikes = 0;
    this.#violatingTicks = 0;
  }

  /** Records a violation; the coordinator already dropped the offending result. */
  recordViolation(tick: number, message: string): void {
    // Counted in full; the text is cut (a raw child can name a component with 64 KiB).
    this.violations++;
    this.lastError = truncate(message, MAX_EVENT_TEXT);
    this.#events.emit({ type: "violation", ...this.#who, tick, message: this.lastError });
  }

  /** Tells the world's owner about something odd that is not the script's fault alone. */
  recordWarning(message: string): void {
    this.#events.emit({ type: "warning", ...this.#who, message });
  }

  /** Records a tick whose result broke the grants; too many in a row kill the child. */
  recordViolatingTick(): void {
    if (++this.#violatingTicks >= this.#options.maxViolatingTicks && this.active) {
      this.#kill(
        this.active,
        "violation",
        `broke its grants ${this.#violatingTicks} ticks in a row`,
      );
    }
  }

  /** Records an exception thrown by the script's code. */
  recordError(error: WireError): void {
    this.errors++;
    this.lastError = truncate(errorText(error), MAX_EVENT_TEXT);
    this.#log("error", `Uncaught ${this.lastError}`);
  }

  /** Kills the active child for `reason`; it is restarted with backoff. */
  kill(reason: ExitReason, detail: string): void {
    if (this.active) this.#kill(this.active, reason, detail);
  }

  #kill(child: LiveChild, reason: ExitReason, detail: string): void {
    if (child.killReason) return;
    child.killReason = reason;
    if (reason !== "reload" && reason !== "removed" && reason !== "shutdown") {
      this.lastError = `Killed (${reason}): ${detail}`;
    }
    void this.#terminate(child);
  }

  /** SIGTERM, a grace period, then SIGKILL; resolves once the child is gone. */
  async #terminate(child: LiveChild): Promise<void> {
    child.link.kill("SIGTERM");
    const hard = setTimeout(() => child.link.kill("SIGKILL"), this.#options.killGraceMs);
    await child.link.exited;
    clearTimeout(hard);
    await child.settled;
  }

  async #dispose(child: LiveChild, reason: ExitReason): Promise<void> {
    child.killReason ??= reason;
    if (reason === "shutdown") {
      // Ask first: a well-behaved child exits on the shutdown frame.
      await child.link.send({ t: "shutdown" }).catch(() => {});
      const polite = setTimeout(() => void this.#terminate(child), this.#options.killGraceMs);
      await child.link.exited;
      clearTimeout(polite);
      await child.settled;
      return;
    }
    await this.#terminate(child);
  }

  #onExit(child: LiveChild, exit: ChildExit, stderr: string[], oomKilled: boolean): void {
    child.endRequest();
    child.waiting?.(null);
    child.waiting = null;
    const wasPending = this.pending === child;
    if (wasPending) this.pending = null;
    // A new version that dies before taking over leaves the running one in place.
    if (this.active !== child && !(wasPending && this.active === null)) {
      if (wasPending && !child.killReason) {
        this.#refuse(
          new Error(`The new version of "${this.file}" exited before taking over`),
          true,
        );
      }
      return;
    }
    this.active = null;
    let reason = child.killReason ?? "crash";
    if (
      !child.killReason && (oomKilled || stderr.some((l) => /out of memory|heap limit/i.test(l)))
    ) {
      reason = "memory";
    }
    const ranMs = performance.now() - child.startedAt;
    const detail = child.killReason
      ? this.lastError ?? reason
      : `exited with ${exit.signal ?? `code ${exit.code}`}${
        stderr.length ? `: ${stderr.slice(-3).join(" | ")}` : ""
      }`;
    if (!child.killReason) this.lastError = `Crashed: ${detail}`;
    let restartInMs: number | null = null;
    if (!this.#stopped && reason !== "removed" && reason !== "shutdown") {
      if (ranMs > 10_000) this.#failures = 0;
      restartInMs = this.#scheduleRestart(child.bundle);
    }
    this.#recordExit(reason, detail, restartInMs, exit.code, exit.signal);
  }

  #recordExit(
    reason: ExitReason,
    detail: string,
    restartInMs: number | null,
    code: number | null,
    signal: string | null,
  ): void {
    this.exits[reason] = (this.exits[reason] ?? 0) + 1;
    this.lastExitReason = reason;
    this.#events.emit({ type: "exit", ...this.#who, reason, code, signal, detail, restartInMs });
  }

  /** The modules of a bundle, relative to the scripts folder: what its manifest may name. */
  #bundled(bundle: Bundle): Set<string> {
    let folder: string;
    try {
      folder = Deno.realPathSync(dirname(this.file));
    } catch {
      return new Set();
    }
    return new Set(bundle.inputs.map((p) => relative(folder, p).replaceAll("\\", "/")));
  }

  /** Starts the bundle again after the current backoff; returns the delay. */
  #scheduleRestart(bundle: Bundle): number {
    const delay = Math.min(
      this.#options.maxBackoffMs,
      this.#options.backoffMs * 2 ** this.#failures,
    );
    this.#failures++;
    this.state = "restarting";
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      this.restarts++;
      void this.#launch(bundle, ++this.#generation, false, performance.now(), true);
    }, delay);
    return delay;
  }

  #refuse(error: unknown, reload: boolean): void {
    const message = error instanceof Error ? error.message : String(error);
    this.lastError = message;
    this.#events.emit({ type: "refused", ...this.#who, error: message });
    // A broken edit leaves the running version in place; a script that never ran is refused.
    if (!reload || (!this.active && !this.pending)) this.state = "refused";
  }

  /** Refuses the running version (it conflicts with the world); it stays off until its file changes. */
  reject(error: unknown): void {
    const child = this.active;
    this.active = null;
    if (child) void this.#dispose(child, "removed");
    this.#refuse(error, false);
  }

  /** Stops the script for good (file deleted, or world shutdown). */
  async stop(reason: "removed" | "shutdown"): Promise<void> {
    this.#stopped = true;
    this.#generation++;
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    const children = [this.active, this.pending].filter((c): c is LiveChild => c !== null);
    this.active = null;
    this.pending = null;
    if (this.state !== "refused") this.state = "stopped";
    await Promise.all(children.map((c) => this.#dispose(c, reason)));
  }
}

/**
 * One child's life, whatever its role: bundle, spawn it with no
 * permissions, hand its first frame to the role's handshake, restart it with
 * backoff when it crashes or is killed, and swap in a new version (hot
 * reload) at a tick boundary, so no tick is missed. What the child's frames
 * mean, what it may be granted and when it has misbehaved is its role's
 * business (runtime/roles): a role extends this class.
 *
 * @module
 */
import type { Bundle } from "../../sandbox/bundle/mod.ts";
import type { Isolation } from "../../sandbox/jail/mod.ts";
import type { RuntimeMessage } from "../protocol/mod.ts";
import { truncate } from "../protocol/mod.ts";
import type { ChildExit, SpawnHandlers } from "../link/mod.ts";
import { LiveChild } from "./live_child.ts";
import { type AdmittedGrants, type ChildLauncher, hasGrants } from "./launcher.ts";
import type { EventStream, ExitReason } from "./events.ts";

/** A child's state, as reported. */
export type ChildState = "starting" | "running" | "restarting" | "refused" | "stopped";

/** Timing settings of child processes, whatever their role. */
export interface SlotOptions {
  /**
   * The describe budget: how long a child may take from spawn to its first
   * frame (start-up and its module code). A child over it is killed for
   * "deadline" and restarted with backoff. @default 3000
   */
  describeBudgetMs: number;
  /** First restart delay; doubles per consecutive failure. @default 250 */
  backoffMs: number;
  /** Longest restart delay. @default 30000 */
  maxBackoffMs: number;
  /** Log lines kept per tick; the rest are counted and dropped. @default 100 */
  maxLogsPerTick: number;
  /** SIGTERM → SIGKILL grace. @default 500 */
  killGraceMs: number;
}

/** Defaults for {@linkcode SlotOptions}. */
export const DEFAULT_SLOT_OPTIONS: Readonly<SlotOptions> = Object.freeze({
  describeBudgetMs: 3000,
  backoffMs: 250,
  maxBackoffMs: 30_000,
  maxLogsPerTick: 100,
  killGraceMs: 500,
});

/**
 * The answer to a request with a deadline. For an answer, `value` is what
 * the caller's `accept` made of it: `accept` runs synchronously when the
 * frame arrives, while its views are valid (a link may reuse its buffer).
 */
export type RequestOutcome<T = void> =
  | { kind: "result"; value: T }
  | { kind: "late" }
  | { kind: "busy" }
  | { kind: "gone" };

/** The longest child text an event or the report carries (the sinks show less). */
export const MAX_EVENT_TEXT = 8192;

/** A child that sent no first frame within its describe budget. */
class DescribeTimeout extends Error {
  constructor(budgetMs: number) {
    super(
      `spent more than ${budgetMs} ms starting and running its module code (its describe ` +
        `budget): module code must finish at once, move slow work into init() or run()`,
    );
    this.name = "DescribeTimeout";
  }
}

/** A file and its (possibly restarting) child process; `M` is what the role's handshake yields. */
export abstract class ChildSlot<M> {
  readonly file: string;
  state: ChildState = "starting";
  restarts = 0;
  lastError: string | null = null;
  /** How often the child's process ended, by typed reason (reloads and shutdown excluded). */
  exits: Partial<Record<ExitReason, number>> = {};
  lastExitReason: ExitReason | null = null;
  isolation: Isolation | null = null;
  budget: string | null = null;
  /** While above 0, a started version waits to take over (several reloads that go together). */
  holdCommits = 0;
  /** A newer version of the file was refused: the running version is an old one. */
  stale = false;
  /** The manifest the last child reported, even if it was then refused. */
  describedManifest: M | null = null;
  /** Once stopped: whether the child that ran then exited by itself with code 0. */
  stoppedCleanly: boolean | null = null;
  /** The deno command line of the last child. */
  commandLine: string[] = [];
  /** The full command line (jail and budget wrappers included) of the last child. */
  wrappedCommandLine: string[] = [];
  active: LiveChild<M> | null = null;
  /** A started child waiting for a tick boundary to take over. */
  pending: LiveChild<M> | null = null;
  inputs: string[] = [];
  logsThisTick = 0;
  droppedLogs = 0;
  /** Lines the output budget kept off stderr and the audit log (app/script_output.ts). */
  droppedOutput = 0;

  protected readonly launcher: ChildLauncher;
  protected readonly events: EventStream;
  readonly #options: Readonly<SlotOptions>;
  #failures = 0;
  #restartTimer: ReturnType<typeof setTimeout> | null = null;
  /** Launches under way, and the aborts of children that have not said hello yet. */
  readonly #launches = new Set<Promise<void>>();
  readonly #starting = new Set<() => void>();
  #generation = 0;
  #stopped = false;
  /** The child that was running when the slot stopped: a kill already under way still reports its exit. */
  #activeAtStop: LiveChild<M> | null = null;

  constructor(
    file: string,
    launcher: ChildLauncher,
    events: EventStream,
    options: Readonly<SlotOptions>,
  ) {
    this.file = file;
    this.launcher = launcher;
    this.events = events;
    this.#options = options;
  }

  /** The name events and reports use for this child. */
  abstract get name(): string;

  /**
   * The role's handshake: what the child's first frame (other than a log
   * line) says it is. Throws an Error whose message says why it is not
   * acceptable; the child is then killed and refused.
   */
  protected abstract handshake(frame: unknown, bundle: Bundle): M;

  /** What the role grants a child with this manifest; throws to refuse it. */
  protected abstract admit(manifest: M): AdmittedGrants;

  /** A frame after the handshake (log lines are handled here). */
  protected abstract onFrame(child: LiveChild<M>, frame: unknown): void;

  /** A child passed its handshake and waits to take over. */
  protected onReady(_child: LiveChild<M>): void {}

  /** What the child is called in messages, e.g. "Script" ("Script "door.ts" exited…"). */
  protected get noun(): string {
    return "Child";
  }

  protected get who(): { script: string; file: string } {
    return { script: this.name, file: this.file };
  }

  /** Bundles and starts (or restarts, or reloads) the child; resolves once it is ready or refused. */
  async start(reload = false): Promise<void> {
    // A new version replaces any restart of the old one that was waiting for its backoff.
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    const generation = ++this.#generation;
    const started = performance.now();
    let bundle: Bundle;
    try {
      bundle = await this.launcher.bundle(this.file);
    } catch (error) {
      if (generation === this.#generation) this.refuse(error, reload);
      return;
    }
    this.inputs = bundle.inputs;
    await this.#launch(bundle, generation, reload, started);
  }

  /** Starts a child; `stop` waits for every launch still under way, so that none outlives it. */
  #launch(
    bundle: Bundle,
    generation: number,
    reload: boolean,
    started: number,
    restart = false,
  ): Promise<void> {
    const launch = this.#launchChild(bundle, generation, reload, started, restart);
    this.#launches.add(launch);
    return launch.finally(() => this.#launches.delete(launch));
  }

  async #launchChild(
    bundle: Bundle,
    generation: number,
    reload: boolean,
    started: number,
    restart: boolean,
  ): Promise<void> {
    let child: LiveChild<M>;
    /** The role refused what the child said it is: that is not retried with the same file. */
    let refusedByRole = false;
    try {
      const described = await this.#describe(bundle, null);
      let grants: AdmittedGrants;
      try {
        grants = this.admit(described.manifest);
      } catch (error) {
        refusedByRole = true;
        await this.#dispose(described, "removed");
        throw error;
      }
      child = described;
      if (hasGrants(grants)) {
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
      // a first start or an edit that fails is refused until the file changes (unless the
      // child starts elsewhere, whose host may come later).
      const elsewhere = this.launcher.startsElsewhere === true && !refusedByRole && !reload;
      if ((restart || elsewhere) && !this.#stopped) {
        this.lastError = error instanceof Error ? error.message : String(error);
        this.#scheduleRestart(bundle);
      } else this.refuse(error, reload);
      return;
    }
    if (generation !== this.#generation || this.#stopped) {
      await this.#dispose(child, "removed");
      return;
    }
    if (this.pending) void this.#dispose(this.pending, "reload");
    this.pending = child;
    this.onReady(child);
    this.events.emit({
      type: "ready",
      ...this.who,
      pid: child.process.pid,
      reload,
      startMs: performance.now() - started,
    });
  }

  /** Spawns a child and waits for its handshake. */
  async #describe(bundle: Bundle, grants: AdmittedGrants | null): Promise<LiveChild<M>> {
    const prepared = await this.launcher.prepare(bundle, grants, this.name, this.file);
    const { command, isolation, group } = prepared;
    if (this.#stopped) {
      await group?.dispose().catch(() => {});
      throw new Error(`${this.noun} "${this.file}" was stopped while it started`);
    }
    this.isolation = isolation;
    this.budget = prepared.budget;
    this.commandLine = prepared.display;
    this.wrappedCommandLine = [command.program, ...command.args];
    return await new Promise<LiveChild<M>>((resolve, reject) => {
      let child: LiveChild<M> | null = null;
      const stderr: string[] = [];
      const fail = (message: string | Error) => {
        clearTimeout(timer);
        spawned.process.kill();
        reject(typeof message === "string" ? new Error(message) : message);
      };
      const handlers: SpawnHandlers = {
        message: (frame) => {
          if (child) return this.#onMessage(child, frame);
          if ((frame as { t?: unknown }).t === "log") return this.#onLog(frame);
          try {
            const manifest = this.handshake(frame, bundle);
            this.describedManifest = manifest;
            child = new LiveChild(spawned.link, spawned.process, manifest, bundle, isolation);
            child.settled = settled;
            this.#starting.delete(abort);
            clearTimeout(timer);
            resolve(child);
          } catch (error) {
            fail(error instanceof Error ? error.message : String(error));
          }
        },
        protocolError: (error) => {
          if (child) return this.killChild(child, "protocol", error.message);
          fail(`${this.noun} "${this.file}" broke the frame protocol: ${error.message}`);
        },
        stderr: (line) => {
          if (stderr.length < 20) stderr.push(line);
          if (child) this.log("error", line);
        },
      };
      const spawned = this.launcher.spawn(
        command,
        handlers,
        prepared.frameLimits ? { limits: prepared.frameLimits } : {},
      );
      const budget = this.#options.describeBudgetMs;
      const timer = setTimeout(() => fail(new DescribeTimeout(budget)), budget);
      let settle = () => {};
      const settled = new Promise<void>((r) => (settle = r));
      // Until its handshake, a stop of the slot kills it at once.
      const abort = () => {
        if (!child) fail(`${this.noun} "${this.file}" was stopped while it started`);
      };
      this.#starting.add(abort);
      void settled.then(() => this.#starting.delete(abort));
      spawned.process.exited.then(async (exit) => {
        // Ask the group whether the kernel killed the child for memory, then remove it.
        const memory = group ? await group.memoryEvents().catch(() => null) : null;
        const oomKills = memory?.oomKills ?? 0;
        await group?.dispose().catch(() => {});
        if (!child) {
          clearTimeout(timer);
          const why = oomKills
            ? "killed for exceeding its memory budget"
            : stderr.join("\n").trim() || `exit code ${exit.code ?? exit.signal}`;
          reject(new Error(`${this.noun} "${this.file}" exited before starting: ${why}`));
          return;
        }
        this.#onExit(child, exit, stderr, oomKills > 0 ? memory?.peakBytes ?? NaN : null);
      }).finally(settle);
    });
  }

  #onMessage(child: LiveChild<M>, frame: unknown): void {
    if ((frame as { t?: unknown }).t === "log") return this.#onLog(frame);
    this.onFrame(child, frame);
  }

  #onLog(frame: unknown): void {
    const { level, text } = frame as { level?: unknown; text?: unknown };
    this.log(typeof level === "string" ? level : "log", typeof text === "string" ? text : "");
  }

  /** Log lines kept per tick (a role may take it from the world owner's limits). */
  protected get maxLogsPerTick(): number {
    return this.#options.maxLogsPerTick;
  }

  /** Reports a line of the child's output, within the per-tick log budget. */
  protected log(level: string, text: string): void {
    if (++this.logsThisTick > this.maxLogsPerTick) {
      this.droppedLogs++;
      return;
    }
    this.events.emit({ type: "log", ...this.who, level, text: truncate(text, MAX_EVENT_TEXT) });
  }

  /** Installs a pending child (a start, restart or reload) at a tick boundary. Returns it if it swapped. */
  commitPending(): LiveChild<M> | null {
    const next = this.pending;
    if (!next || this.#stopped || this.holdCommits > 0) return null;
    this.pending = null;
    const old = this.active;
    this.active = next;
    this.state = "running";
    this.stale = false;
    if (old) void this.#dispose(old, "reload");
    return next;
  }

  /**
   * Sends `message` to the active child and waits up to `waitMs` for the
   * role to {@linkcode answer} it; an answer after that is dropped, and the
   * child stays busy until it comes.
   */
  protected requestActive<T>(
    message: RuntimeMessage,
    id: number,
    waitMs: number,
    accept: (answer: unknown) => T,
  ): Promise<RequestOutcome<T>> {
    const child = this.active;
    if (!child) return Promise.resolve({ kind: "gone" });
    if (child.busy) return Promise.resolve({ kind: "busy" });
    child.beginRequest(id);
    return new Promise<RequestOutcome<T>>((resolve) => {
      const timer = setTimeout(() => {
        child.waiting = null;
        resolve({ kind: "late" });
      }, waitMs);
      child.waiting = (answer) => {
        clearTimeout(timer);
        resolve(answer !== null ? { kind: "result", value: accept(answer) } : { kind: "gone" });
      };
      child.link.send(message).catch(() => {
        clearTimeout(timer);
        child.waiting = null;
        resolve({ kind: "gone" });
      });
    });
  }

  /** Hands the answer of the request in flight to its waiter. */
  protected answer(child: LiveChild<M>, answer: unknown): void {
    child.endRequest();
    const waiting = child.waiting;
    child.waiting = null;
    waiting?.(answer);
  }

  /** Resolves once a kill of the active child that is under way has ended and its exit is recorded. */
  async killSettled(): Promise<void> {
    const child = this.active;
    if (child?.killReason) await child.settled;
  }

  /** Kills the active child for `reason`; it is restarted with backoff. */
  kill(reason: ExitReason, detail: string): void {
    if (this.active) this.killChild(this.active, reason, detail);
  }

  protected killChild(child: LiveChild<M>, reason: ExitReason, detail: string): void {
    if (child.killReason) return;
    child.killReason = reason;
    if (reason !== "reload" && reason !== "removed" && reason !== "shutdown") {
      this.lastError = `Killed (${reason}): ${detail}`;
    }
    void this.#terminate(child);
  }

  /** SIGTERM, a grace period, then SIGKILL; resolves once the child is gone. */
  async #terminate(child: LiveChild<M>): Promise<void> {
    child.process.kill("SIGTERM");
    const hard = setTimeout(() => child.process.kill("SIGKILL"), this.#options.killGraceMs);
    await child.process.exited;
    clearTimeout(hard);
    await child.settled;
  }

  async #dispose(child: LiveChild<M>, reason: ExitReason): Promise<void> {
    child.killReason ??= reason;
    if (reason === "shutdown") {
      // Ask first: a well-behaved child exits on the shutdown frame.
      await child.link.send({ t: "shutdown" }).catch(() => {});
      const polite = setTimeout(() => void this.#terminate(child), this.#options.killGraceMs);
      await child.process.exited;
      clearTimeout(polite);
      await child.settled;
      return;
    }
    await this.#terminate(child);
  }

  /**
   * `oomPeakBytes`: the group's peak when the kernel killed the child for its
   * memory budget (NaN when the kernel does not say), null when it did not.
   */
  #onExit(
    child: LiveChild<M>,
    exit: ChildExit,
    stderr: string[],
    oomPeakBytes: number | null,
  ): void {
    const oomKilled = oomPeakBytes !== null;
    child.endRequest();
    child.waiting?.(null);
    child.waiting = null;
    const wasPending = this.pending === child;
    if (wasPending) this.pending = null;
    if (child === this.#activeAtStop) {
      // Whether the stop was obeyed: the child exited on its own, not by our signal.
      this.stoppedCleanly = exit.signal === null && exit.code === 0;
      // Killed for a reason of its own before the stop (a budget, say): that exit still counts.
      const reason = child.killReason;
      if (reason && reason !== "shutdown" && reason !== "removed") {
        this.#recordExit(reason, this.lastError ?? reason, null, exit.code, exit.signal);
      }
      return;
    }
    // A new version that dies before taking over leaves the running one in place.
    if (this.active !== child && !(wasPending && this.active === null)) {
      if (wasPending && !child.killReason) {
        this.refuse(new Error(`The new version of "${this.file}" exited before taking over`), true);
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
      : reason === "memory"
      ? this.#memoryDetail(oomPeakBytes, stderr)
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

  /** What ran out: the kernel's memory budget (and the peak) or the V8 heap cap (and V8's words). */
  #memoryDetail(oomPeakBytes: number | null, stderr: string[]): string {
    const mib = (bytes: number) => `${Math.round(bytes / 1048576)} MiB`;
    if (oomPeakBytes !== null) {
      const peak = Number.isFinite(oomPeakBytes) ? ` after using ${mib(oomPeakBytes)}` : "";
      return `killed by the kernel at its memory budget (${this.budget ?? "cgroup"})${peak}`;
    }
    const heap = this.commandLine.join(" ").match(/--max-old-space-size=(\d+)/)?.[1];
    const words = stderr.find((l) => /out of memory|heap limit/i.test(l));
    return `ran out of its V8 heap${heap ? ` of ${heap} MiB` : ""}${
      words ? `: ${words.trim()}` : ""
    }`;
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
    this.events.emit({ type: "exit", ...this.who, reason, code, signal, detail, restartInMs });
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

  /** Refuses a start; a broken edit leaves the running version in place. */
  protected refuse(error: unknown, reload: boolean): void {
    const message = error instanceof Error ? error.message : String(error);
    this.lastError = message;
    this.events.emit({ type: "refused", ...this.who, error: message });
    if (!reload || (!this.active && !this.pending)) this.state = "refused";
    else this.stale = true;
  }

  /** Refuses the running version (it conflicts with the world); it stays off until its file changes. */
  reject(error: unknown): void {
    const child = this.active;
    this.active = null;
    if (child) void this.#dispose(child, "removed");
    this.refuse(error, false);
  }

  /** Stops the child for good (file deleted, or world shutdown). */
  async stop(reason: "removed" | "shutdown"): Promise<void> {
    this.#stopped = true;
    this.#generation++;
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    const children = [this.active, this.pending].filter((c): c is LiveChild<M> => c !== null);
    this.#activeAtStop = this.active;
    this.active = null;
    this.pending = null;
    if (this.state !== "refused") this.state = "stopped";
    for (const abort of [...this.#starting]) abort();
    await Promise.all(children.map((c) => this.#dispose(c, reason)));
    // A launch that was under way disposes what it started; it is over before the slot is.
    await Promise.all([...this.#launches]);
  }
}

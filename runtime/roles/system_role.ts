/**
 * The system role: what a script child is and what it may do, on top of the
 * role-agnostic {@linkcode ChildSlot}. Its handshake is `hello` (protocol
 * version, then the manifest, validated as hostile input); after it, a
 * system sends only `result` frames for the tick it was asked, and logs.
 * The deadline and violation policy lives here and nowhere else: the
 * coordinator reports what happened, this role decides what it costs.
 *
 * @module
 */
import { type Bundle, bundledModules } from "../../sandbox/bundle/mod.ts";
import {
  quoteUntrusted,
  receivedWireError,
  type ResultMessage,
  type RuntimeMessage,
  truncate,
  type WireError,
} from "../protocol/mod.ts";
import {
  type AdmittedGrants,
  type ChildLauncher,
  ChildSlot,
  DEFAULT_SLOT_OPTIONS,
  type EventStream,
  type LiveChild,
  MAX_EVENT_TEXT,
  type SlotOptions,
} from "../supervision/mod.ts";
import type { RequestTiming, SystemRunner, TickOutcome } from "../coordinator/mod.ts";
import { type Manifest, validateManifest } from "./system_manifest.ts";
import { SystemNames } from "./system_names.ts";
import { checkProtocolVersion } from "./protocol_version.ts";
import type { ScriptLimits } from "../policy/mod.ts";

/** How a script's process is started, and how the world admits its manifest. */
export interface ScriptLauncher extends ChildLauncher {
  /** Checks a manifest against the world (component conflicts, approvals); throws ManifestError. */
  admit(manifest: Manifest, file: string): AdmittedGrants;
  /** What the world owner lets this script file use (syncra.json "limits"). */
  limits(file: string): ScriptLimits;
}

/** The system role's timing and policy. */
export interface SystemOptions extends SlotOptions {
  /** Consecutive ticks with violations before the child is killed. @default 10 */
  maxViolatingTicks: number;
}

/** Defaults for {@linkcode SystemOptions}. */
export const DEFAULT_SYSTEM_OPTIONS: Readonly<SystemOptions> = Object.freeze({
  ...DEFAULT_SLOT_OPTIONS,
  maxViolatingTicks: 10,
});

const errorText = (
  e: WireError,
) => (e.stack && e.stack.includes(e.message) ? e.stack : `${e.name}: ${e.message}`);

/** A script file run as a system: its child, its handshake and its policy. */
export class SystemRole extends ChildSlot<Manifest> implements SystemRunner {
  violations = 0;
  /** Ticks whose result came after the world stopped waiting for it (and was dropped). */
  lateTicks = 0;
  /** Ticks it was not sent because it was still busy with an older one. */
  skippedTicks = 0;
  errors = 0;
  /** The manifest its last child sent, as sent (a remote host passes it on to the world). */
  wireManifest: unknown = null;
  readonly #launcher: ScriptLauncher;
  readonly #policy: Readonly<SystemOptions>;
  readonly #names: SystemNames;
  #violatingTicks = 0;
  /** Ticks in a row whose code threw. */
  #erroringTicks = 0;
  /** The deadline timer of each child's outstanding tick. */
  readonly #deadlines = new Map<LiveChild<Manifest>, ReturnType<typeof setTimeout>>();

  constructor(
    file: string,
    launcher: ScriptLauncher,
    events: EventStream,
    options: Readonly<SystemOptions>,
    names: SystemNames = new SystemNames(),
  ) {
    super(file, launcher, events, options);
    this.#launcher = launcher;
    this.#policy = options;
    this.#names = names;
  }

  /** The system's name: unique in the world, never taken from another script (system_names.ts). */
  get name(): string {
    return this.#names.of(this.file);
  }

  protected override get maxLogsPerTick(): number {
    return this.#launcher.limits(this.file).logLinesPerTick;
  }

  protected override get noun(): string {
    return "Script";
  }

  protected handshake(frame: unknown, bundle: Bundle): Manifest {
    const m = frame as { t?: unknown; v?: unknown; manifest?: unknown; error?: WireError };
    if (m.t === "fail" && m.error) throw new Error(errorText(m.error));
    if (m.t !== "hello") {
      throw new Error(`Script "${this.file}" sent ${quoteUntrusted(m.t)} before hello`);
    }
    checkProtocolVersion(m.v, "Script", this.file);
    const manifest = validateManifest(m.manifest, this.file, bundledModules(bundle, this.file));
    this.wireManifest = m.manifest;
    return manifest;
  }

  protected admit(manifest: Manifest): AdmittedGrants {
    return this.#launcher.admit(manifest, this.file);
  }

  protected override onReady(child: LiveChild<Manifest>): void {
    this.#names.declare(this.file, child.manifest.declaredName);
  }

  protected onFrame(child: LiveChild<Manifest>, frame: unknown): void {
    const m = frame as { t?: unknown; tick?: unknown };
    if (m.t !== "result") {
      return this.killChild(child, "protocol", `sent an unexpected ${quoteUntrusted(m.t)} frame`);
    }
    if (!child.busy || m.tick !== child.expectedTick) {
      return this.killChild(
        child,
        "protocol",
        `sent a result for tick ${quoteUntrusted(m.tick)} that was not asked for`,
      );
    }
    clearTimeout(this.#deadlines.get(child));
    this.#deadlines.delete(child);
    // A late result is dropped, but an exception in it is still the script's to hear about.
    if (child.waiting === null) this.#lateError(frame);
    this.answer(child, frame);
  }

  beginTick(): void {
    this.logsThisTick = 0;
  }

  /**
   * Sends a tick (or init) and waits `timing.waitMs` for its result. The
   * deadline is this role's policy: a tick still outstanding after
   * `timing.deadlineMs` kills the child (it restarts with backoff), and
   * nothing else does — a script that is sometimes slow only loses the
   * results that came late.
   */
  request<T>(
    message: RuntimeMessage,
    timing: RequestTiming,
    accept: (result: ResultMessage) => T,
  ): Promise<TickOutcome<T>> {
    const id = message.t === "tick" ? message.tick : 0;
    const child = this.active;
    const sent = child !== null && !child.busy;
    const outcome = this.requestActive(
      message,
      id,
      timing.waitMs,
      (r) => accept(r as ResultMessage),
    );
    const deadlineMs = timing.deadlineMs;
    if (sent && deadlineMs !== null) {
      const timer = setTimeout(() => {
        this.#deadlines.delete(child);
        if (child.busy && child.expectedTick === id) {
          this.killChild(child, "deadline", `tick ${id} ran past the deadline of ${deadlineMs} ms`);
        }
      }, deadlineMs);
      this.#deadlines.set(child, timer);
    }
    return outcome;
  }

  /** Records a tick whose result came after the world stopped waiting for it. */
  recordLate(tick: number, waitedMs: number): void {
    this.lateTicks++;
    this.events.emit({ type: "late", ...this.who, tick, waitedMs });
  }

  /** Records a tick the system was not sent because it was still busy with an older one. */
  recordSkipped(_tick: number): void {
    this.skippedTicks++;
  }

  /** Records an on-time result that respected the grants. */
  recordOnTime(): void {
    this.#violatingTicks = 0;
    this.#erroringTicks = 0;
  }

  /** Its code threw in the last tick it answered. */
  get erroring(): boolean {
    return this.#erroringTicks > 0;
  }

  /** Records a violation; the coordinator already dropped the offending result. */
  recordViolation(tick: number, message: string): void {
    // Counted in full; the text is cut (a raw child can name a component with 64 KiB).
    this.violations++;
    this.lastError = truncate(message, MAX_EVENT_TEXT);
    this.events.emit({ type: "violation", ...this.who, tick, message: this.lastError });
  }

  /** Tells the world's owner about something odd that is not the script's fault alone. */
  recordWarning(message: string): void {
    this.events.emit({ type: "warning", ...this.who, message });
  }

  /** Records a tick whose result broke the grants; too many in a row kill the child. */
  recordViolatingTick(): void {
    if (++this.#violatingTicks >= this.#policy.maxViolatingTicks && this.active) {
      this.killChild(
        this.active,
        "violation",
        `broke its grants ${this.#violatingTicks} ticks in a row`,
      );
    }
  }

  /** Records an exception thrown by the script's code. */
  recordError(error: WireError): void {
    this.errors++;
    this.#erroringTicks++;
    this.lastError = truncate(errorText(error), MAX_EVENT_TEXT);
    this.log("error", `Uncaught ${this.lastError}`);
  }

  /** Records the exception a late (dropped) result carries, when it has the shape of one. */
  #lateError(frame: unknown): void {
    const error = (frame as { error?: unknown }).error as Partial<WireError> | null | undefined;
    if (typeof error !== "object" || error === null) return;
    if (typeof error.name !== "string" || typeof error.message !== "string") return;
    this.recordError(receivedWireError(error));
  }
}

/**
 * The driver role (DESIGN §9): what a driver child is and what it may send,
 * on top of the role-agnostic {@linkcode ChildSlot}. Its handshake is
 * `hello` with `role: "driver"`; once installed it is sent `start`, then a
 * change feed it acknowledges feed by feed; it sends `write` frames whenever
 * it likes (kept until the next tick boundary, bounded), `unavailable` when
 * it cannot run on this machine, and logs. Anything else is a protocol kill.
 *
 * @module
 */
import type { Bundle } from "../../sandbox/bundle/mod.ts";
import { type ChangesMessage, quoteUntrusted, truncate } from "../protocol/mod.ts";
import {
  type AdmittedGrants,
  type ChildLauncher,
  ChildSlot,
  type EventStream,
  type LiveChild,
  MAX_EVENT_TEXT,
  type SlotOptions,
} from "../supervision/mod.ts";
import type { DriverRunner, RunningDriver } from "../coordinator/mod.ts";
import { type DriverManifest, validateDriverManifest } from "./driver_manifest.ts";
import { checkProtocolVersion } from "./protocol_version.ts";
import type { PortEndpoint, PortRouter } from "./port_router.ts";

/** Commands kept from one driver between two tick boundaries; more is a violation. */
const MAX_QUEUED_COMMANDS = 10_000;

/** A driver's process: its handshake, its feed and its writes. */
export class DriverRole extends ChildSlot<DriverManifest> implements DriverRunner, PortEndpoint {
  violations = 0;
  /** Why it cannot run here, once it said so (it stays down). */
  unavailable: string | null = null;
  /** Whether its writes carry editor authority (the viewer with --editable). */
  readonly editor: boolean;
  readonly #name: string;
  readonly #settings: Record<string, unknown>;
  readonly #approve: (manifest: DriverManifest) => AdmittedGrants;
  #queued: unknown[] = [];
  /** The version whose last feed has not been acknowledged yet. */
  #feedOutstanding: LiveChild<DriverManifest> | null = null;
  /** What it is told of the world's state, and when it was last told. */
  readonly #status: (() => Record<string, unknown>) | null;
  #statusAt = -Infinity;
  #router: PortRouter | null = null;

  constructor(
    name: string,
    file: string,
    launcher: ChildLauncher,
    events: EventStream,
    options: Readonly<SlotOptions>,
    settings: Record<string, unknown>,
    approve: (manifest: DriverManifest) => AdmittedGrants,
    editor = false,
    status: (() => Record<string, unknown>) | null = null,
  ) {
    super(file, launcher, events, options);
    this.editor = editor;
    this.#status = status;
    this.#name = name;
    this.#settings = settings;
    this.#approve = approve;
  }

  get name(): string {
    return this.#name;
  }

  /** Joins the world's dataflow graph. */
  connect(router: PortRouter): void {
    this.#router = router;
    router.add(this);
  }

  get activeManifest(): DriverManifest | null {
    return this.active?.manifest ?? null;
  }

  deliver(port: string, from: string, bytes: Uint8Array): void {
    void this.active?.link.send({ t: "port", port, from, bytes }).catch(() => {});
  }

  warn(message: string): void {
    this.events.emit({ type: "warning", ...this.who, message });
  }

  /** A new tick: the per-tick budgets start over. */
  beginTick(): void {
    this.logsThisTick = 0;
    this.#router?.beginTick(this);
  }

  protected override get noun(): string {
    return "Driver";
  }

  protected handshake(frame: unknown, _bundle: Bundle): DriverManifest {
    const m = frame as { t?: unknown; v?: unknown; role?: unknown; manifest?: unknown };
    if (m.t !== "hello") {
      throw new Error(`Driver "${this.file}" sent ${quoteUntrusted(m.t)} before hello`);
    }
    checkProtocolVersion(m.v, "Driver", this.file);
    if (m.role !== "driver") {
      throw new Error(
        `"${this.file}" is enabled as a driver but exports a system: its default export must ` +
          `be defineDriver({ ... })`,
      );
    }
    return validateDriverManifest(m.manifest, this.file);
  }

  protected admit(manifest: DriverManifest): AdmittedGrants {
    return this.#approve(manifest);
  }

  protected onFrame(child: LiveChild<DriverManifest>, frame: unknown): void {
    const m = frame as { t?: unknown; commands?: unknown; reason?: unknown };
    if (child !== this.active) return; // a version being replaced: nothing it says counts
    if (m.t === "write") {
      if (!Array.isArray(m.commands)) {
        return this.killChild(child, "protocol", `sent a malformed "write" frame`);
      }
      if (this.#queued.length + m.commands.length > MAX_QUEUED_COMMANDS) {
        this.recordViolation(
          0,
          `Driver "${this.#name}" sent more than ${MAX_QUEUED_COMMANDS} commands before a tick ` +
            `boundary; the excess is dropped`,
        );
        return;
      }
      for (const c of m.commands) this.#queued.push(c);
      return;
    }
    if (m.t === "send") {
      const { port, bytes } = frame as { port?: unknown; bytes?: unknown };
      if (typeof port !== "string" || !(bytes instanceof Uint8Array)) {
        return this.killChild(child, "protocol", `sent a malformed "send" frame`);
      }
      if (!Object.hasOwn(child.manifest.outputs, port)) {
        return this.recordViolation(
          0,
          `Driver "${this.#name}" sent on port ${
            quoteUntrusted(port)
          }, which is not in its outputs; the bytes are dropped`,
        );
      }
      // Copied: the frame's buffer belongs to the link.
      this.#router?.route(this, port, bytes.slice());
      return;
    }
    if (m.t === "ack") {
      if (this.#feedOutstanding === child) this.#feedOutstanding = null;
      return;
    }
    if (m.t === "unavailable") {
      // It cannot run on this machine: said once, and it stays down without a restart loop.
      this.unavailable = truncate(String(m.reason ?? "no reason given"), MAX_EVENT_TEXT);
      this.lastError = `Unavailable: ${this.unavailable}`;
      this.events.emit({
        type: "warning",
        ...this.who,
        message: `cannot run here: ${this.unavailable}`,
      });
      return this.killChild(child, "removed", this.unavailable);
    }
    this.killChild(child, "protocol", `sent an unexpected ${quoteUntrusted(m.t)} frame`);
  }

  begin(driver: RunningDriver, reserve: Uint32Array): void {
    const child = driver as LiveChild<DriverManifest>;
    this.#queued = [];
    this.#feedOutstanding = null;
    void child.link.send({
      t: "start",
      config: this.#settings,
      reserve: new Uint8Array(reserve.buffer, reserve.byteOffset, reserve.byteLength),
    }).catch(() => {});
  }

  get feedReady(): boolean {
    return this.active !== null && this.active.killReason === null &&
      this.#feedOutstanding !== this.active;
  }

  sendFeed(message: ChangesMessage): void {
    const child = this.active;
    if (!child) return;
    this.#feedOutstanding = child;
    // The world's state rides along once a second (and with a new version's first feed).
    if (this.#status && (message.snapshot || performance.now() - this.#statusAt > 1000)) {
      this.#statusAt = performance.now();
      message = { ...message, status: this.#status() };
    }
    void child.link.send(message).catch(() => {});
  }

  takeWrites(): unknown[] {
    const writes = this.#queued;
    this.#queued = [];
    return writes;
  }

  recordViolation(tick: number, message: string): void {
    this.violations++;
    this.lastError = truncate(message, MAX_EVENT_TEXT);
    this.events.emit({ type: "violation", ...this.who, tick, message: this.lastError });
  }
}

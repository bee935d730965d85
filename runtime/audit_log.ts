/**
 * The append-only audit log (`.syncra/audit.jsonl`): one JSON line per
 * violation, refusal and kill, with the script, the reason and the tick.
 * Lines are appended in order through one queue and flushed at shutdown.
 *
 * @module
 */
import { dirname } from "node:path";
import type { EventStream, SupervisorEvent } from "./events.ts";

/** One line of the audit log. */
export interface AuditEntry {
  time: string;
  tick: number;
  script: string;
  file: string;
  event: "violation" | "refused" | "kill" | "crash";
  reason: string;
  message: string;
}

const QUIET_EXITS = new Set(["reload", "removed", "shutdown"]);

/** The audit entry for an event, or null when the event is not audited. */
export function auditEntryFor(event: SupervisorEvent, tick: number): AuditEntry | null {
  const base = { time: new Date().toISOString(), tick, script: event.script, file: event.file };
  switch (event.type) {
    case "violation":
      return {
        ...base,
        tick: event.tick,
        event: "violation",
        reason: "violation",
        message: event.message,
      };
    case "refused":
      return { ...base, event: "refused", reason: "refused", message: event.error };
    case "exit":
      if (QUIET_EXITS.has(event.reason)) return null;
      return {
        ...base,
        event: event.reason === "crash" ? "crash" : "kill",
        reason: event.reason,
        message: event.detail,
      };
    default:
      return null;
  }
}

/** Appends audited events to a JSONL file. */
export class AuditLog implements AsyncDisposable {
  readonly path: string;
  #queue: Promise<void>;
  #pending: string[] = [];
  #unsubscribe: () => void;
  #dropped = 0;

  constructor(path: string, events: EventStream, currentTick: () => number) {
    this.path = path;
    this.#queue = Deno.mkdir(dirname(path), { recursive: true }).catch(() => {});
    this.#unsubscribe = events.on((event) => {
      const entry = auditEntryFor(event, currentTick());
      if (!entry) return;
      // A flood of violations must not grow memory without bound.
      if (this.#pending.length >= 10_000) {
        this.#dropped++;
        return;
      }
      this.#pending.push(JSON.stringify(entry));
      if (this.#pending.length === 1) this.#queue = this.#queue.then(() => this.#flush());
    });
  }

  async #flush(): Promise<void> {
    const lines = this.#pending;
    this.#pending = [];
    if (this.#dropped > 0) {
      lines.push(
        JSON.stringify({ time: new Date().toISOString(), event: "dropped", count: this.#dropped }),
      );
      this.#dropped = 0;
    }
    if (lines.length === 0) return;
    await Deno.writeTextFile(this.path, lines.join("\n") + "\n", { append: true }).catch(
      (error) => {
        console.error(`Cannot append to the audit log "${this.path}": ${error.message}`);
      },
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#unsubscribe();
    await this.#queue;
    await this.#flush();
  }
}

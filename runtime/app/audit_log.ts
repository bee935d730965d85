/**
 * The append-only audit log (`.syncra/audit.jsonl`): one JSON line per
 * violation, refusal and kill, with the script, the reason and the tick, and
 * a `dropped` line where the output budget kept lines out. Lines are appended
 * in order through one queue and flushed at shutdown. At `maxBytes` the file
 * is rotated (`audit.jsonl` → `audit.jsonl.1` → … → `audit.jsonl.<keep>`, the
 * oldest removed), so the log never holds more than `(keep + 1) * maxBytes`.
 * What goes in is decided by `script_output.ts`, which charges each line to
 * the script's output budget.
 *
 * @module
 */
import { dirname } from "node:path";
import type { SupervisorEvent } from "../supervision/mod.ts";
import { truncate } from "../protocol/mod.ts";

/** One line of the audit log. */
export interface AuditEntry {
  time: string;
  tick: number;
  script: string;
  file: string;
  event: "violation" | "refused" | "kill" | "crash" | "dropped";
  reason: string;
  message: string;
  /** Lines the output budget dropped (`dropped` entries only). */
  count?: number;
}

/** Limits of the audit log. */
export interface AuditLogOptions {
  /** Size at which the file is rotated. @default 16777216 (16 MiB) */
  maxBytes: number;
  /** Rotated files kept beside the current one. @default 3 */
  keep: number;
}

/** Defaults for {@linkcode AuditLogOptions}. */
export const DEFAULT_AUDIT_LOG_OPTIONS: Readonly<AuditLogOptions> = Object.freeze({
  maxBytes: 16 * 1024 * 1024,
  keep: 3,
});

const QUIET_EXITS = new Set(["reload", "removed", "shutdown"]);

/**
 * The audit entry for an event, or null when the event is not audited. The
 * script's text in `message` is cut at `maxChars`.
 */
export function auditEntryFor(
  event: SupervisorEvent,
  tick: number,
  maxChars = 2048,
): AuditEntry | null {
  const base = { time: new Date().toISOString(), tick, script: event.script, file: event.file };
  const cut = (text: string) => truncate(text, maxChars);
  switch (event.type) {
    case "violation":
      return {
        ...base,
        tick: event.tick,
        event: "violation",
        reason: "violation",
        message: cut(event.message),
      };
    case "refused":
      return { ...base, event: "refused", reason: "refused", message: cut(event.error) };
    case "exit":
      if (QUIET_EXITS.has(event.reason)) return null;
      return {
        ...base,
        event: event.reason === "crash" ? "crash" : "kill",
        reason: event.reason,
        message: cut(event.detail),
      };
    default:
      return null;
  }
}

/**
 * Characters JSON.stringify leaves raw that a terminal or viewer acts on:
 * DEL, C1 controls (U+009B is an 8-bit CSI), line and paragraph separators,
 * bidirectional marks, embeddings, overrides and isolates.
 */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `value` as JSON with every control character escaped: JSON.stringify escapes
 * C0 controls, not the rest of {@linkcode UNSAFE_IN_JSON}, so a script's text
 * in a file someone `cat`s (the audit log, the report) could still drive the
 * terminal. The result parses to the same value.
 *
 * @example
 * ```ts
 * import { safeJson } from "./audit_log.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(safeJson({ message: "a\u009b2K\u001b" }), '{"message":"a\\u009b2K\\u001b"}');
 * ```
 */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    UNSAFE_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** One audit line: the entry as {@linkcode safeJson}, on one line. */
export function auditLine(entry: object): string {
  return safeJson(entry);
}

/** The most bytes of lines waiting for the disk; more are counted and dropped. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

const encoder = new TextEncoder();

/** Appends lines to a JSONL file, rotating it by size. */
export class AuditLog implements AsyncDisposable {
  readonly path: string;
  readonly #options: Readonly<AuditLogOptions>;
  #queue: Promise<void>;
  #pending: string[] = [];
  #pendingBytes = 0;
  #dropped = 0;
  /** Bytes in the current file, once known. */
  #size = 0;

  constructor(path: string, options: Readonly<AuditLogOptions> = DEFAULT_AUDIT_LOG_OPTIONS) {
    if (!(options.maxBytes >= 1024 && Number.isInteger(options.keep) && options.keep >= 0)) {
      throw new RangeError(
        `Invalid audit log limits: maxBytes ${options.maxBytes} (at least 1024), keep ${options.keep}`,
      );
    }
    this.path = path;
    this.#options = options;
    this.#queue = (async () => {
      await Deno.mkdir(dirname(path), { recursive: true }).catch(() => {});
      this.#size = (await Deno.stat(path).catch(() => null))?.size ?? 0;
    })();
  }

  /** Queues one line (from {@linkcode auditLine}). */
  write(line: string): void {
    // A disk slower than the budgets allow must not grow memory without bound.
    if (this.#pendingBytes + line.length > MAX_PENDING_BYTES) {
      this.#dropped++;
      return;
    }
    this.#pending.push(line);
    this.#pendingBytes += line.length;
    if (this.#pending.length === 1) this.#queue = this.#queue.then(() => this.#flush());
  }

  async #flush(): Promise<void> {
    const lines = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.#dropped > 0) {
      lines.push(auditLine({
        time: new Date().toISOString(),
        event: "dropped",
        reason: "audit queue full",
        count: this.#dropped,
      }));
      this.#dropped = 0;
    }
    let chunk: Uint8Array[] = [];
    let chunkBytes = 0;
    try {
      for (const line of lines) {
        const bytes = encoder.encode(line + "\n");
        if (
          this.#size + chunkBytes + bytes.length > this.#options.maxBytes &&
          this.#size + chunkBytes > 0
        ) {
          await this.#append(chunk);
          chunk = [];
          chunkBytes = 0;
          await this.#rotate();
        }
        chunk.push(bytes);
        chunkBytes += bytes.length;
      }
      await this.#append(chunk);
    } catch (error) {
      console.error(`Cannot append to the audit log "${this.path}": ${(error as Error).message}`);
    }
  }

  async #append(chunk: Uint8Array[]): Promise<void> {
    if (chunk.length === 0) return;
    const all = new Uint8Array(chunk.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunk) {
      all.set(c, at);
      at += c.length;
    }
    await Deno.writeFile(this.path, all, { append: true });
    this.#size += all.length;
  }

  /** audit.jsonl → audit.jsonl.1 → … → audit.jsonl.<keep>; the oldest is removed. */
  async #rotate(): Promise<void> {
    const { keep } = this.#options;
    const name = (i: number) => (i === 0 ? this.path : `${this.path}.${i}`);
    await Deno.remove(name(keep)).catch(() => {});
    for (let i = keep - 1; i >= 0; i--) {
      await Deno.rename(name(i), name(i + 1)).catch(() => {});
    }
    this.#size = 0;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#queue;
    await this.#flush();
  }
}

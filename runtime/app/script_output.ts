/**
 * Everything the world writes because of a script, in one place: its log
 * lines, its stderr, the violations, deadline misses, errors, refusals and
 * kills reported about it, on the world's stderr and in the audit log. Each
 * line is rendered from untrusted text made safe (control characters escaped,
 * a multi-line log split into lines that each carry the script's prefix, long
 * text cut, a kill's or refusal's further lines marked `  │ `) and charged to the script's {@linkcode OutputBudget} before it is
 * written. Log lines, violations and deadline misses are dropped past the
 * budget; kills, refusals and reloads are always written (cut short when the
 * tick is nearly spent). What was dropped is counted in the report
 * (`droppedOutput`, beside `droppedLogs` for the per-tick line cap) and said
 * in one line per script at most every `summaryMs`:
 * `… 4900 lines from log_flood dropped: output budget`.
 *
 * @module
 */
import { escapeControls, escapedLines, truncate } from "../protocol/mod.ts";
import { auditEntryFor, auditLine, type AuditLog } from "./audit_log.ts";
import type { SupervisorEvent } from "../supervision/mod.ts";
import {
  DEFAULT_OUTPUT_BUDGET,
  OutputBudget,
  type OutputBudgetOptions,
} from "../supervision/mod.ts";

/** Characters of a log event shown, before escaping. */
export const MAX_LOG_CHARS = 4096;
/** Lines of one log event shown; the rest are summed up in one line. */
export const MAX_LOG_LINES = 64;
/** Characters of a violation message shown, before escaping. */
export const MAX_VIOLATION_CHARS = 1024;
/** Characters of a kill's detail or a refusal shown, before escaping. */
export const MAX_DETAIL_CHARS = 2048;

/** What {@linkcode ScriptOutput} needs to know about a script. */
export interface OutputScript {
  readonly file: string;
  readonly name: string;
  /** Lines the per-tick line cap dropped before they became events. */
  readonly droppedLogs: number;
  /** Lines this output dropped; written back here for the report. */
  droppedOutput: number;
}

/** Where the world's lines go and what bounds them. */
export interface ScriptOutputOptions {
  /** Writes one line of the world's output (without its newline); null: stderr is off (quiet). */
  write: ((line: string) => void) | null;
  audit: AuditLog;
  /** The coordinator's current tick: the unit of the per-tick budget. */
  currentTick: () => number;
  /** The scripts, to report their drops. */
  scripts: () => readonly OutputScript[];
  budget?: Readonly<OutputBudgetOptions>;
  /** How often drops are summed up in a line. @default 1000 */
  summaryMs?: number;
}

/** Bytes of `text` in UTF-8, plus one for its newline. */
export function lineBytes(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

const shown = (text: string, max: number) => escapeControls(truncate(text, max));

/** Continuation lines of a multi-line message shown; the rest are summed up. */
export const MAX_DETAIL_LINES = 16;

/**
 * A message of the world's (`head`) ending in a script's text: its first line
 * on the head's line, the others below it marked `  │ `, so that none can start
 * as a line of the world's own does.
 */
function messageLines(head: string, text: string, max: number, tail = ""): string[] {
  const lines = escapedLines(truncate(text, max));
  const out = [`${head}${lines[0]}`];
  for (const l of lines.slice(1, MAX_DETAIL_LINES + 1)) out.push(`  │ ${l}`);
  if (lines.length > MAX_DETAIL_LINES + 1) {
    out.push(`  │ …(${lines.length - MAX_DETAIL_LINES - 1} more lines)`);
  }
  out[out.length - 1] += tail;
  return out;
}

/**
 * The lines an event prints on the world's stderr, script text cut at `max`
 * characters (0: the short form of a line that is always written).
 *
 * @example
 * ```ts
 * import { eventLines } from "./script_output.ts";
 * import assert from "node:assert/strict";
 *
 * const log = { type: "log", script: "x", file: "x.ts", level: "log" } as const;
 * assert.deepEqual(eventLines({ ...log, text: "ok\n✖ counter stopped\x1b[2K" }), [
 *   "[x] ok",
 *   "[x] ✖ counter stopped\\x1b[2K",
 * ]);
 * ```
 */
export function eventLines(event: SupervisorEvent, max?: number): string[] {
  const name = escapeControls(event.script);
  switch (event.type) {
    case "log": {
      const lines = escapedLines(truncate(event.text, max ?? MAX_LOG_CHARS));
      const out = lines.slice(0, MAX_LOG_LINES).map((l) => `[${name}] ${l}`);
      if (lines.length > MAX_LOG_LINES) {
        out.push(`[${name}] …(${lines.length - MAX_LOG_LINES} more lines)`);
      }
      return out;
    }
    case "refused":
      return messageLines(
        `✖ ${escapeControls(event.file)} refused: `,
        event.error,
        max ?? MAX_DETAIL_CHARS,
      );
    case "exit":
      if (event.reason === "reload" || event.reason === "shutdown" || event.reason === "removed") {
        return [];
      }
      return messageLines(
        `✖ ${name} stopped (${event.reason}): `,
        // The line already says why: not "stopped (deadline): Killed (deadline): …".
        event.detail.startsWith(`Killed (${event.reason}): `)
          ? event.detail.slice(`Killed (${event.reason}): `.length)
          : event.detail,
        max ?? MAX_DETAIL_CHARS,
        event.restartInMs !== null ? `; restarting in ${event.restartInMs} ms` : "",
      );
    case "violation":
      return [
        `⚠ ${name} violation at tick ${event.tick}: ${
          shown(event.message, max ?? MAX_VIOLATION_CHARS)
        }`,
      ];
    case "added":
      return [`+ ${name} (${shown(event.file, MAX_DETAIL_CHARS)}) added`];
    case "removed":
      return [`− ${name} (${shown(event.file, MAX_DETAIL_CHARS)}) removed`];
    case "ready":
      return event.reload ? [`↻ ${name} reloaded (${event.startMs.toFixed(0)} ms)`] : [];
    case "late":
      return [
        `⏱ ${name} was late for tick ${event.tick}: not done after ${
          event.waitedMs.toFixed(0)
        } ms, its result is dropped`,
      ];
    default: {
      // A warning, or an event type this file does not know yet: shown like a warning.
      const { message } = event as { message?: unknown };
      if (typeof message !== "string") return [];
      return messageLines(`⚠ ${name}: `, message, max ?? MAX_DETAIL_CHARS);
    }
  }
}

/** A lower bound of the bytes a droppable event writes (its text, cut as shown, unescaped). */
function leastBytes(event: SupervisorEvent, printed: boolean): number {
  if (event.type === "log") return printed ? Math.min(event.text.length, MAX_LOG_CHARS) : 0;
  if (event.type === "violation") return Math.min(event.message.length, MAX_VIOLATION_CHARS);
  return 0;
}

/** Events whose lines may be dropped past the budget; the rest are always written. */
const DROPPABLE = new Set<SupervisorEvent["type"]>(["log", "violation", "late"]);

interface Rendered {
  lines: string[];
  audit: string | null;
  bytes: number;
}

/** Routes scripts' events to the world's stderr and the audit log, within each script's budget. */
export class ScriptOutput implements Disposable {
  readonly #options: ScriptOutputOptions;
  readonly #budgetOptions: Readonly<OutputBudgetOptions>;
  readonly #budgets = new Map<string, OutputBudget>();
  /** Per file: the drops (budget and line cap) already summed up. */
  readonly #said = new Map<string, number>();
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(options: ScriptOutputOptions) {
    this.#options = options;
    this.#budgetOptions = options.budget ?? DEFAULT_OUTPUT_BUDGET;
    this.#timer = setInterval(() => this.summarize(), options.summaryMs ?? 1000);
    Deno.unrefTimer(this.#timer);
  }

  #budget(file: string): OutputBudget {
    let budget = this.#budgets.get(file);
    if (!budget) {
      budget = new OutputBudget(this.#budgetOptions);
      this.#budgets.set(file, budget);
    }
    return budget;
  }

  #render(event: SupervisorEvent, tick: number, max?: number): Rendered {
    const lines = this.#options.write ? eventLines(event, max) : [];
    const entry = auditEntryFor(event, tick, max ?? MAX_DETAIL_CHARS);
    const audit = entry ? auditLine(entry) : null;
    let bytes = audit === null ? 0 : lineBytes(audit);
    for (const l of lines) bytes += lineBytes(l);
    return { lines, audit, bytes };
  }

  #emit({ lines, audit }: Rendered): void {
    for (const l of lines) this.#options.write!(l);
    if (audit !== null) this.#options.audit.write(audit);
  }

  /** Writes what an event causes, if the script's budget allows. */
  handle(event: SupervisorEvent): void {
    const tick = this.#options.currentTick();
    const budget = this.#budget(event.file);
    const droppable = DROPPABLE.has(event.type);
    // A flood is mostly refused: do not render what cannot fit (escaping only makes text longer).
    const least = leastBytes(event, this.#options.write !== null);
    if (droppable && least > 0 && !budget.fits(least, tick)) {
      budget.dropped++;
      this.#count(event.file);
      return;
    }
    const rendered = this.#render(event, tick);
    if (rendered.bytes === 0) return;
    if (droppable) {
      if (budget.admit(rendered.bytes, tick)) this.#emit(rendered);
      else this.#count(event.file);
      return;
    }
    const short = this.#render(event, tick, 0);
    const granted = budget.force(rendered.bytes, short.bytes, tick);
    if (granted === rendered.bytes) this.#emit(rendered);
    else if (granted > 0) this.#emit(short);
    else this.#count(event.file);
  }

  #script(file: string): OutputScript | undefined {
    return this.#options.scripts().find((s) => s.file === file);
  }

  #count(file: string): void {
    const script = this.#script(file);
    if (script) script.droppedOutput++;
  }

  /** Writes one line per script whose lines were dropped since the last summary. */
  summarize(): void {
    const tick = this.#options.currentTick();
    for (const script of this.#options.scripts()) {
      const dropped = script.droppedOutput + script.droppedLogs;
      const count = dropped - (this.#said.get(script.file) ?? 0);
      if (count <= 0) continue;
      const name = escapeControls(script.name);
      const line = `… ${count} lines from ${name} dropped: output budget`;
      const audit = auditLine({
        time: new Date().toISOString(),
        tick,
        script: script.name,
        file: script.file,
        event: "dropped",
        reason: "output budget",
        message: `${count} lines dropped`,
        count,
      });
      const rendered = {
        lines: this.#options.write ? [line] : [],
        audit,
        bytes: lineBytes(audit) + (this.#options.write ? lineBytes(line) : 0),
      };
      // A summary that finds no room is itself counted, and said by the next one.
      if (this.#budget(script.file).force(rendered.bytes, rendered.bytes, tick) > 0) {
        this.#said.set(script.file, dropped);
        this.#emit(rendered);
      } else script.droppedOutput++;
    }
  }

  /** Stops the periodic summaries after writing a last one. */
  [Symbol.dispose](): void {
    clearInterval(this.#timer);
    this.summarize();
  }
}

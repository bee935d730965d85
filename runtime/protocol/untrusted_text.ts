/**
 * Text that came from a script (names, log lines, error messages), made safe
 * to show: every control character is escaped, so a script cannot forge a
 * line of the world's output (a newline), drive the terminal (ESC, CSI, OSC 52
 * clipboard writes) or reorder what is shown (bidirectional overrides); and
 * what is quoted is truncated, so a 64 KiB name costs a message 64 characters.
 *
 * @module
 */

/**
 * C0 controls, DEL, C1 controls (U+0080–U+009F: 8-bit CSI and OSC), line and
 * paragraph separators, and bidirectional embeddings, overrides and isolates.
 */
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const SHORT: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeOne(c: string): string {
  const code = c.charCodeAt(0);
  return SHORT[c] ??
    (code < 0x100
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`);
}

/**
 * Escapes every control character of `text` as `\n`, `\x1b`, `\u202e`, …,
 * leaving printable text as it is: the result is one line that cannot touch
 * the terminal.
 *
 * @example
 * ```ts
 * import { escapeControls } from "./untrusted_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(escapeControls("ok\n\x1b[2K✖ forged"), "ok\\n\\x1b[2K✖ forged");
 * ```
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, escapeOne);
}

/**
 * The lines of a multi-line text, each escaped: for log output, where a
 * script's newlines become separate lines (each shown with the script's
 * prefix) but nothing else can reach the terminal.
 */
export function escapedLines(text: string): string[] {
  return text.split(/\r?\n/).map(escapeControls);
}

/**
 * Shortens `text` to `max` characters (an ellipsis and the full length mark a
 * cut), without splitting a surrogate pair.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…(${text.length} chars)`;
}

/**
 * A value from a script, quoted for a message: `"Name"`, control characters
 * escaped, cut at `max` characters. Non-strings are shown by type, so an
 * object never costs a message more than a few characters.
 *
 * @example
 * ```ts
 * import { quoteUntrusted } from "./untrusted_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(quoteUntrusted("Counter"), '"Counter"');
 * assert.equal(quoteUntrusted("A".repeat(100), 4), '"AAAA…(100 chars)"');
 * assert.equal(quoteUntrusted("a\u001b]52;c;x\u0007"), '"a\\x1b]52;c;x\\x07"');
 * assert.equal(quoteUntrusted({ big: true }), "an object");
 * ```
 */
export function quoteUntrusted(value: unknown, max = 64): string {
  if (typeof value === "string") return `"${escapeControls(truncate(value, max))}"`;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return typeof value === "object" ? "an object" : typeof value;
}

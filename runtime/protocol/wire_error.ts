/**
 * An error as a child sent it (untrusted), made a {@linkcode WireError}
 * whatever its shape: strings where strings belong, each cut to a length the
 * runtime keeps.
 *
 * @module
 */
import type { WireError } from "./messages.ts";

/** Longest error name kept. */
const MAX_NAME = 128;
/** Longest error message or stack kept. */
const MAX_TEXT = 8192;

/** `raw` (a child's `error` field) as a WireError; a non-object is an Error with no message. */
export function receivedWireError(raw: unknown): WireError {
  const e = typeof raw === "object" && raw !== null ? raw as Record<string, unknown> : {};
  return {
    name: String(e.name ?? "Error").slice(0, MAX_NAME),
    message: String(e.message ?? "").slice(0, MAX_TEXT),
    stack: typeof e.stack === "string" ? e.stack.slice(0, MAX_TEXT) : null,
  };
}

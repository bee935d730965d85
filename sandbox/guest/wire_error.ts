/**
 * Errors thrown by script code, as they travel in `fail` and `result`
 * frames: name, message and stack, each cut to a length the runtime accepts.
 *
 * @module
 */
import type { WireError } from "../../runtime/protocol/mod.ts";

/** Longest log line, error message or stack a child sends, in characters. */
export const MAX_LOG_CHARS = 8192;

/** Stack frames of the code around the script (the guest, the protocol, std), not the script's. */
const HOST_FRAME =
  /^\s+at .*\/(sandbox\/guest|runtime\/protocol)\/[\w.]+\.ts:\d+:\d+\)?$|^\s+at .*\/std\/[\w.]+\.ts:\d+:\d+\)?$/;

/** A stack without the host's frames: what is left points at the script's own lines. */
export function scriptStack(stack: string): string {
  return stack.split("\n").filter((line) => !HOST_FRAME.test(line)).join("\n");
}

/** `error` as a {@linkcode WireError}; a thrown non-Error is described with `inspect`. */
export function toWireError(error: unknown, inspect: (value: unknown) => string): WireError {
  if (error instanceof Error) {
    return {
      name: String(error.name).slice(0, 128),
      message: String(error.message).slice(0, MAX_LOG_CHARS),
      stack: typeof error.stack === "string"
        ? scriptStack(error.stack).slice(0, MAX_LOG_CHARS)
        : null,
    };
  }
  return { name: "Error", message: inspect(error).slice(0, MAX_LOG_CHARS), stack: null };
}

/**
 * The first check of every handshake: a child host of another protocol
 * version is refused, saying which versions differ.
 *
 * @module
 */
import { PROTOCOL_VERSION, quoteUntrusted } from "../protocol/mod.ts";

/** Throws when `v` (from a child's hello) is not this runtime's protocol version. */
export function checkProtocolVersion(v: unknown, noun: "Script" | "Driver", file: string): void {
  if (v === PROTOCOL_VERSION) return;
  throw new Error(
    `${noun} "${file}" speaks protocol version ${quoteUntrusted(v)}, this runtime speaks ` +
      `${PROTOCOL_VERSION}: its child host is from another Syncra version`,
  );
}

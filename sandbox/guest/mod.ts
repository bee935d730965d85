/**
 * The guest's pure pieces: the code that runs inside every child, without
 * the entry's side effects. Importing this module hardens nothing and opens
 * no channel (that is `child_host.ts`, the entry the bundler uses), so the
 * runtime's tests and benchmarks can run the child's real code in-process:
 * build a tick's context from a decoded frame, run a system on it, build its
 * result, and move frames over any pair of byte streams.
 *
 * @module
 */
export { FrameChannel, GUEST_FRAME_LIMITS } from "./channel.ts";
export type { FrameChannelOptions } from "./channel.ts";
export { HIDDEN_DENO_MEMBERS, HIDDEN_GLOBALS } from "./hardening.ts";
export type { ChannelInput, ChannelOutput } from "./hardening.ts";
export { describeManifest } from "./manifest.ts";
export {
  alignedCopy,
  ColumnOriginals,
  createTickContext,
  resultOf,
  sameBytes,
  seeded,
  TickContext,
} from "./tick_context.ts";
export type { TickContextOptions } from "./tick_context.ts";
export { MAX_LOG_CHARS, toWireError } from "./wire_error.ts";

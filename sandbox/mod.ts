/**
 * The sandbox boundary: manifest validation, grant → command-line
 * derivation, bundling with confined resolution, the OS jail, cgroup
 * budgets, the frame codec with limits, and the in-child host.
 *
 * @module
 */
export { BundleError, GrantViolationError, ManifestError, ProtocolError } from "./errors.ts";
export {
  bundleScript,
  DEFAULT_BUNDLE_TIME_BUDGET_MS,
  DEFAULT_MAX_BUNDLE_BYTES,
  stopBundler,
} from "./bundle.ts";
export type { Bundle, BundleOptions } from "./bundle.ts";
export {
  bundlerStatus,
  configureBundler,
  DEFAULT_BUNDLER_MEMORY_BYTES,
} from "./bundler_service.ts";
export type { BuildBudget, BundlerServiceOptions, BundlerStatus } from "./bundler_service.ts";
export type { BundlerIsolation } from "./esbuild_launcher.ts";
export { deriveChildCommand, deriveDenoArgs, validateNetGrant } from "./command_line.ts";
export type { ChildCommand, ChildCommandSpec, ChildGrants } from "./command_line.ts";
export { nameFromFile, validateManifest } from "./manifest.ts";
export type { Manifest } from "./manifest.ts";
export { detectJail } from "./jail.ts";
export type { Isolation, Jail, JailMounts } from "./jail.ts";
export { FlagsOnlyJail } from "./jail_flags_only.ts";
export { DEFAULT_BUDGET, detectCgroups, probeCgroups } from "./cgroup.ts";
export type { CgroupManager, ProcessGroup, ResourceBudget } from "./cgroup.ts";
export { DEFAULT_FRAME_LIMITS, FrameReader } from "./frame_reader.ts";
export type { FrameLimits } from "./frame_reader.ts";
export { decodeMessagePack, DEFAULT_DECODE_LIMITS } from "./msgpack_decode.ts";
export type { DecodeLimits } from "./msgpack_decode.ts";
export { encodeFrame, MessagePackWriter } from "./msgpack_encode.ts";
export { PROTOCOL_VERSION } from "./protocol.ts";
export type {
  ChildMessage,
  FailMessage,
  HelloMessage,
  InitMessage,
  LogMessage,
  ResultMessage,
  RuntimeMessage,
  ShutdownMessage,
  TickMessage,
  WireColumns,
  WireCommand,
  WireError,
  WireManifest,
  WireSchema,
} from "./protocol.ts";
export { escapeControls, escapedLines, quoteUntrusted, truncate } from "./untrusted_text.ts";

/**
 * Options every spawner takes.
 *
 * @module
 */
import type { FrameLimits } from "../protocol/mod.ts";

/** Limits on what a spawned child sends. */
export interface SpawnOptions {
  /** Limits on frames from the child. @default DEFAULT_FRAME_LIMITS */
  limits?: Readonly<FrameLimits>;
  /** Longest stderr line kept, in characters. @default 4096 */
  maxStderrLine?: number;
}

/** The default of {@linkcode SpawnOptions.maxStderrLine}. */
export const DEFAULT_MAX_STDERR_LINE = 4096;

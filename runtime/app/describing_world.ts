/**
 * A world made only to learn what its children say about themselves
 * (`explain`, `graph`): fresh, silent, not watching, and with the viewer's
 * port merely probed. Nothing in it ticks, runs an init or is saved.
 *
 * @module
 */
import { createWorld, type LiveWorld } from "./create_world.ts";
import type { WorldOptions } from "./world_options.ts";

/** The options a describing world takes from its caller. */
export type DescribingOptions = Partial<
  Pick<
    WorldOptions,
    | "workDir"
    | "heapMb"
    | "memoryMb"
    | "maxThreads"
    | "jail"
    | "viewer"
    | "renderer"
    | "audio"
    | "openxr"
  >
>;

/** Wires such a world around `scriptsDir`; nothing is started. */
export function describingWorld(
  scriptsDir: string,
  options: DescribingOptions = {},
): Promise<LiveWorld> {
  return createWorld({
    ...options,
    scriptsDir,
    fresh: true,
    quiet: true,
    watch: false,
    port: 0,
  }, { describing: true });
}

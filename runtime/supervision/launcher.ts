/**
 * How a child's process is started, chosen at wiring time: bundling, the
 * jailed and budgeted command, and spawning it with its link.
 * `runtime/app/launcher.ts` builds the real one; tests swap single parts.
 *
 * @module
 */
import type { Bundle } from "../../sandbox/bundle/mod.ts";
import type { ProcessGroup } from "../../sandbox/cgroup/mod.ts";
import type { ChildCommand } from "../../sandbox/command/mod.ts";
import type { Isolation } from "../../sandbox/jail/mod.ts";
import type { SpawnChild } from "../link/mod.ts";
import type { FrameLimits } from "../protocol/mod.ts";

/** What a child is allowed, once its role admitted its manifest. */
export interface AdmittedGrants {
  net: string[];
  storageDir: string | null;
  /** `host:port` addresses it may listen on (drivers approved for `serve`). */
  serve?: string[];
  /** Absolute paths it may read, and read and write (drivers approved for them). */
  read?: string[];
  write?: string[];
  /** Absolute paths of native libraries it may load (drivers approved for `ffi`). */
  ffi?: string[];
  /** Whether it may use WebGPU (drivers approved for `gpu`). */
  gpu?: boolean;
  /** The owner's environment variables for its native libraries (drivers with ffi or gpu). */
  env?: Record<string, string>;
  /** Paths bound read-only into its jail for its native libraries (drivers with ffi or gpu). */
  mount?: string[];
}

/** Whether a child needs any flag or mount beyond the zero-permission start. */
export function hasGrants(g: AdmittedGrants): boolean {
  return g.net.length > 0 || g.storageDir !== null || (g.serve?.length ?? 0) > 0 ||
    (g.read?.length ?? 0) > 0 || (g.write?.length ?? 0) > 0 || (g.ffi?.length ?? 0) > 0 ||
    g.gpu === true || Object.keys(g.env ?? {}).length > 0 || (g.mount?.length ?? 0) > 0;
}

/** The ways of starting a child's process, whatever its role. */
export interface ChildLauncher {
  bundle(file: string): Promise<Bundle>;
  /**
   * The command for a bundle with the given grants (none while describing
   * itself), jailed, and the resource group it runs in, if any.
   */
  prepare(
    bundle: Bundle,
    grants: AdmittedGrants | null,
    name: string,
    file: string,
  ): Promise<PreparedChild>;
  /** Starts a prepared command and links to it (stdio or socket: see runtime/link). */
  spawn: SpawnChild;
  /**
   * Its children start on another machine (a remote driver's host), which
   * may not be there yet: a first start that fails is tried again with
   * backoff, as a restart is, rather than refused until the file changes.
   */
  readonly startsElsewhere?: boolean;
}

/** A command ready to spawn, and what confines it. */
export interface PreparedChild {
  command: ChildCommand;
  /** The deno command line inside the jail and budget wrappers. */
  display: string[];
  isolation: Isolation;
  /** The budget enforcement, e.g. "cgroup v1: 256 MiB, 64 pids", or "watchdog". */
  budget: string;
  /** The resource group the child runs in; disposed when it exits. */
  group: ProcessGroup | null;
  /** Limits on its frames where they differ from the defaults (a scene allowed a large init). */
  frameLimits?: Readonly<FrameLimits>;
}

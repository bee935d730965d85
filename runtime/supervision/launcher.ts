/**
 * How a script's process is started, chosen at wiring time: bundling, the
 * jailed and budgeted command, spawning the link, and admitting a manifest.
 * `runtime/run_world.ts` builds the real one; tests swap single parts.
 *
 * @module
 */
import type { Bundle } from "../../sandbox/bundle/mod.ts";
import type { ProcessGroup } from "../../sandbox/cgroup/mod.ts";
import type { ChildCommand } from "../../sandbox/command/mod.ts";
import type { Isolation } from "../../sandbox/jail/mod.ts";
import type { Manifest } from "../roles/mod.ts";
import type { ChildLink, SpawnHandlers } from "../link/mod.ts";

/** What a child is allowed, once its manifest is admitted. */
export interface AdmittedGrants {
  net: string[];
  storageDir: string | null;
}

/** The ways of starting a script's process, chosen at wiring time. */
export interface ScriptLauncher {
  bundle(file: string): Promise<Bundle>;
  /**
   * The command for a bundle with the given grants (none while describing
   * itself), jailed, and the resource group it runs in, if any.
   */
  prepare(bundle: Bundle, grants: AdmittedGrants | null, name: string): Promise<PreparedChild>;
  spawn(command: ChildCommand, handlers: SpawnHandlers): ChildLink;
  /** Checks a manifest against the world (component conflicts, approvals); throws ManifestError. */
  admit(manifest: Manifest, file: string): AdmittedGrants;
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
}

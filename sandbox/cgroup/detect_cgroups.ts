/**
 * Which control group implementation this machine gets: v2 where the root
 * is a cgroup2 mount, v1 where memory and pids hierarchies are mounted below
 * it, none otherwise (and why).
 *
 * @module
 */
import { exists, message } from "./_cgroup_fs.ts";
import type { CgroupManager, CgroupProbe } from "./cgroup.ts";
import { probeCgroupV1 } from "./cgroup_v1.ts";
import { probeCgroupV2 } from "./cgroup_v2.ts";

/**
 * Finds a control group hierarchy this process may create groups in and
 * checks it by creating and removing the `syncra-<pid>` folders.
 *
 * @example Usage
 * ```ts ignore
 * import { probeCgroups } from "./mod.ts";
 * const { manager, reason } = await probeCgroups();
 * if (manager === null) console.warn(`No cgroups: ${reason}`);
 * ```
 */
export async function probeCgroups(root = "/sys/fs/cgroup"): Promise<CgroupProbe> {
  let probe: () => Promise<CgroupManager>;
  if (await exists(`${root}/cgroup.controllers`)) {
    probe = () => probeCgroupV2(root);
  } else if (
    await exists(`${root}/memory/cgroup.procs`) && await exists(`${root}/pids/cgroup.procs`)
  ) {
    probe = () => probeCgroupV1(root);
  } else {
    return {
      manager: null,
      reason: `no cgroup v2 at "${root}" and no v1 memory and pids hierarchies below it`,
    };
  }
  try {
    return { manager: await probe(), reason: null };
  } catch (error) {
    return { manager: null, reason: `cannot use the control groups here: ${message(error)}` };
  }
}

/**
 * The manager of per-script groups, or null when this machine does not let
 * the runtime create them (see {@linkcode probeCgroups} for the reason).
 *
 * @example Usage
 * ```ts ignore
 * import { DEFAULT_BUDGET, detectCgroups } from "./mod.ts";
 * const cgroups = await detectCgroups();
 * await using group = await cgroups!.create("door", DEFAULT_BUDGET);
 * ```
 */
export async function detectCgroups(root?: string): Promise<CgroupManager | null> {
  return (await probeCgroups(root)).manager;
}

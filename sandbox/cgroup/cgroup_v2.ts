/**
 * cgroup v2: one hierarchy, so a group is one folder; the controllers a
 * group gets are those enabled in its parent's `cgroup.subtree_control`, and
 * `cgroup.kill` kills a whole group at once.
 *
 * A manager enforces the controllers it is given (memory and pids unless
 * told otherwise). Detection always asks for both; the contract suite asks
 * for what the hierarchy offers, so that on a v1 host, whose cgroup2
 * hierarchy has neither, the folder, join and kill cases still run for real.
 *
 * @module
 */
import {
  ensureDir,
  exists,
  message,
  ownGroup,
  readCounter,
  readNumber,
  removeStaleParents,
} from "./_cgroup_fs.ts";
import { FolderGroup } from "./_group_folders.ts";
import {
  type CgroupManager,
  checkGroupRequest,
  type MemoryEvents,
  type PidsEvents,
  type ProcessGroup,
  type ResourceBudget,
} from "./cgroup.ts";

/** The controllers a budget needs. */
export type V2Controller = "memory" | "pids";

const BUDGET_CONTROLLERS: readonly V2Controller[] = ["memory", "pids"];

/** Reads a v2 group's `memory.events`; `oomKills` is null without the memory controller. */
export async function readV2MemoryEvents(groupDir: string): Promise<MemoryEvents> {
  return {
    oomKills: await readCounter(`${groupDir}/memory.events`, "oom_kill"),
    // Linux 5.19+.
    peakBytes: await readNumber(`${groupDir}/memory.peak`),
  };
}

/** Reads a v2 group's `pids.events` (`max`: forks refused by `pids.max`). */
export async function readV2PidsEvents(groupDir: string): Promise<PidsEvents> {
  return { limitHits: await readCounter(`${groupDir}/pids.events`, "max") ?? 0 };
}

class CgroupV2Group extends FolderGroup {
  readonly #controllers: readonly V2Controller[];

  constructor(
    name: string,
    parent: string,
    controllers: readonly V2Controller[],
    release: () => Promise<void>,
  ) {
    super(name, [`${parent}/${name}`], release);
    this.#controllers = controllers;
  }

  async setUp(budget: ResourceBudget): Promise<void> {
    await this.folders.make();
    if (this.#controllers.includes("memory")) {
      await Deno.writeTextFile(`${this.path}/memory.max`, String(budget.memoryBytes));
      // No swap file without swap accounting, and then no swap to limit.
      if (await exists(`${this.path}/memory.swap.max`)) {
        await Deno.writeTextFile(`${this.path}/memory.swap.max`, "0");
      }
    }
    if (this.#controllers.includes("pids")) {
      await Deno.writeTextFile(`${this.path}/pids.max`, String(budget.maxPids));
    }
  }

  memoryEvents(): Promise<MemoryEvents> {
    return readV2MemoryEvents(this.path);
  }

  pidsEvents(): Promise<PidsEvents> {
    return readV2PidsEvents(this.path);
  }

  protected override async killAll(): Promise<void> {
    // One write kills the tree, forks in flight included (Linux 5.14+).
    if (await exists(`${this.path}/cgroup.kill`)) {
      await Deno.writeTextFile(`${this.path}/cgroup.kill`, "1").catch(() => {});
    }
  }
}

/** Creates groups in the v2 hierarchy, below one `syncra-<pid>` folder. */
export class CgroupV2Manager implements CgroupManager {
  readonly version = 2;
  readonly parentPaths: readonly string[];
  /** The controllers its groups' budgets are enforced with. */
  readonly controllers: readonly V2Controller[];
  readonly #parent: string;
  #live = 0;

  constructor(parent: string, controllers: readonly V2Controller[] = BUDGET_CONTROLLERS) {
    this.#parent = parent;
    this.parentPaths = [parent];
    this.controllers = controllers;
  }

  async create(name: string, budget: ResourceBudget): Promise<ProcessGroup> {
    checkGroupRequest(name, budget);
    this.#live++;
    const group = new CgroupV2Group(name, this.#parent, this.controllers, () => this.#releaseOne());
    try {
      await this.#createParent();
      await group.setUp(budget);
    } catch (error) {
      await group.dispose().catch(() => {});
      throw new Error(`Cannot create control group "${name}": ${message(error)}`, {
        cause: error,
      });
    }
    return group;
  }

  /** Makes the `syncra-<pid>` folder and hands its groups the controllers. */
  async #createParent(): Promise<void> {
    await ensureDir(this.#parent);
    await enableBelow(this.#parent, this.controllers);
  }

  async #releaseOne(): Promise<void> {
    if (--this.#live > 0) return;
    // A concurrent create() may have started using it again: leave it then.
    await Deno.remove(this.#parent).catch(() => {});
  }
}

/** Enables `controllers` for the groups below `dir` (its `cgroup.subtree_control`). */
async function enableBelow(dir: string, controllers: readonly V2Controller[]): Promise<void> {
  if (controllers.length === 0) return;
  const control = `${dir}/cgroup.subtree_control`;
  const enabled = (await Deno.readTextFile(control)).split(/\s+/);
  const missing = controllers.filter((c) => !enabled.includes(c));
  if (missing.length > 0) await Deno.writeTextFile(control, missing.map((c) => `+${c}`).join(" "));
}

/** Why a cgroup2 hierarchy lacks a controller. */
export interface MissingController {
  reason: string;
  /** The controller is bound to a v1 hierarchy: a property of this host, not a fault. */
  boundToV1: boolean;
}

async function whyMissing(controller: V2Controller, own: string): Promise<MissingController> {
  const lines = await Deno.readTextFile("/proc/self/cgroup").catch(() => "");
  // A v1 line (`4:memory:/…`) means the controller is bound to a v1 hierarchy.
  const boundToV1 = lines.split("\n").some((line) =>
    /^[1-9]\d*:([^:]*):/.exec(line)?.[1]?.split(",").includes(controller) ?? false
  );
  const reason = boundToV1
    ? `this host is cgroup v1: the "${controller}" controller is bound to a v1 hierarchy, ` +
      `so the cgroup2 hierarchy at "${own}" cannot offer it`
    : `the "${controller}" controller is not delegated to "${own}"`;
  return { reason, boundToV1 };
}

/**
 * The controllers below the runtime's own group in the cgroup2 hierarchy at
 * `root` that a budget could use, and for each one it cannot, why.
 */
export async function cgroupV2Controllers(
  root: string,
): Promise<
  { own: string; offered: V2Controller[]; missing: Map<V2Controller, MissingController> }
> {
  const own = await ownGroup(root, null);
  const available = (await Deno.readTextFile(`${own}/cgroup.controllers`)).split(/\s+/);
  const offered: V2Controller[] = [];
  const missing = new Map<V2Controller, MissingController>();
  for (const controller of BUDGET_CONTROLLERS) {
    if (available.includes(controller)) offered.push(controller);
    else missing.set(controller, await whyMissing(controller, own));
  }
  return { own, offered, missing };
}

/** What {@linkcode probeCgroupV2} may be asked for. */
export interface ProbeV2Options {
  /** The controllers budgets are enforced with; probing fails if one is not offered. */
  controllers?: readonly V2Controller[];
}

/**
 * The v2 manager for the cgroup2 hierarchy mounted at `root`, checked by
 * creating and removing its `syncra-<pid>` folder; throws an Error saying
 * why not.
 */
export async function probeCgroupV2(
  root: string,
  options: ProbeV2Options = {},
): Promise<CgroupV2Manager> {
  const controllers = options.controllers ?? BUDGET_CONTROLLERS;
  const { own, missing } = await cgroupV2Controllers(root);
  for (const controller of controllers) {
    const why = missing.get(controller);
    if (why !== undefined) throw new Error(why.reason);
  }
  try {
    await enableBelow(own, controllers);
  } catch (error) {
    throw new Error(
      `cannot enable ${controllers.join(" and ")} below "${own}" (${message(error)}); a group ` +
        `that holds processes cannot delegate them: start the runtime in a delegated scope, ` +
        `e.g. "systemd-run --user --scope -p Delegate=yes deno task world"`,
      { cause: error },
    );
  }
  await removeStaleParents(own);
  const manager = new CgroupV2Manager(`${own}/syncra-${Deno.pid}`, controllers);
  const parent = manager.parentPaths[0]!;
  try {
    await ensureDir(parent);
    await enableBelow(parent, controllers);
  } catch (error) {
    throw new Error(`cannot create groups in "${parent}": ${message(error)}`, { cause: error });
  } finally {
    await Deno.remove(parent).catch(() => {});
  }
  return manager;
}

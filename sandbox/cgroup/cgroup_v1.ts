/**
 * cgroup v1: one hierarchy per controller, so a group is two folders, one
 * in the memory hierarchy and one in the pids hierarchy, and a process joins
 * by writing its pid into both.
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

/** Where a v1 manager creates groups: its `syncra-<pid>` folder in each hierarchy. */
export interface CgroupV1Layout {
  memoryParent: string;
  pidsParent: string;
}

class CgroupV1Group extends FolderGroup {
  readonly #pidsDir: string;

  constructor(name: string, layout: CgroupV1Layout, release: () => Promise<void>) {
    const pidsDir = `${layout.pidsParent}/${name}`;
    super(name, [`${layout.memoryParent}/${name}`, pidsDir], release);
    this.#pidsDir = pidsDir;
  }

  async setUp(budget: ResourceBudget): Promise<void> {
    await this.folders.make();
    const memory = String(budget.memoryBytes);
    await Deno.writeTextFile(`${this.path}/memory.limit_in_bytes`, memory);
    // Without swap accounting the kernel has no memsw files, and no swap to limit.
    if (await exists(`${this.path}/memory.memsw.limit_in_bytes`)) {
      await Deno.writeTextFile(`${this.path}/memory.memsw.limit_in_bytes`, memory);
    }
    await Deno.writeTextFile(`${this.#pidsDir}/pids.max`, String(budget.maxPids));
  }

  async memoryEvents(): Promise<MemoryEvents> {
    return {
      oomKills: await readCounter(`${this.path}/memory.oom_control`, "oom_kill"),
      peakBytes: await readNumber(`${this.path}/memory.max_usage_in_bytes`),
    };
  }

  async pidsEvents(): Promise<PidsEvents> {
    return { limitHits: await readCounter(`${this.#pidsDir}/pids.events`, "max") ?? 0 };
  }
}

/** Creates groups in the v1 memory and pids hierarchies. */
export class CgroupV1Manager implements CgroupManager {
  readonly version = 1;
  readonly parentPaths: readonly string[];
  readonly #layout: CgroupV1Layout;
  #live = 0;

  constructor(layout: CgroupV1Layout) {
    this.#layout = layout;
    this.parentPaths = [layout.memoryParent, layout.pidsParent];
  }

  async create(name: string, budget: ResourceBudget): Promise<ProcessGroup> {
    checkGroupRequest(name, budget);
    this.#live++;
    const group = new CgroupV1Group(name, this.#layout, () => this.#releaseOne());
    try {
      for (const dir of this.parentPaths) await ensureDir(dir);
      await group.setUp(budget);
    } catch (error) {
      await group.dispose().catch(() => {});
      throw new Error(`Cannot create control group "${name}": ${message(error)}`, {
        cause: error,
      });
    }
    return group;
  }

  async #releaseOne(): Promise<void> {
    if (--this.#live > 0) return;
    for (const dir of this.parentPaths) {
      // A concurrent create() may have started using it again: leave it then.
      await Deno.remove(dir).catch(() => {});
    }
  }
}

/**
 * The v1 manager for the hierarchies under `root`, checked by creating and
 * removing its `syncra-<pid>` folders; throws an Error saying why not.
 */
export async function probeCgroupV1(root: string): Promise<CgroupV1Manager> {
  for (const controller of ["memory", "pids"]) {
    if (!await exists(`${root}/${controller}/cgroup.procs`)) {
      throw new Error(
        `no cgroup v1 "${controller}" hierarchy is mounted at "${root}/${controller}"`,
      );
    }
  }
  const memory = await ownGroup(`${root}/memory`, "memory");
  const pids = await ownGroup(`${root}/pids`, "pids");
  await Promise.all([removeStaleParents(memory), removeStaleParents(pids)]);
  const layout = {
    memoryParent: `${memory}/syncra-${Deno.pid}`,
    pidsParent: `${pids}/syncra-${Deno.pid}`,
  };
  let dir = "";
  try {
    for (dir of [layout.memoryParent, layout.pidsParent]) await ensureDir(dir);
  } catch (error) {
    throw new Error(`cannot create groups in "${dir}": ${message(error)}`, { cause: error });
  } finally {
    await Deno.remove(layout.memoryParent).catch(() => {});
    await Deno.remove(layout.pidsParent).catch(() => {});
  }
  return new CgroupV1Manager(layout);
}

/**
 * Per-process memory and pids budgets with Linux control groups, where the
 * machine lets us create them (DESIGN §4: "the runtime enforces CPU and memory
 * budgets itself"). V8's `--max-old-space-size` does not count ArrayBuffers
 * and nothing in Deno caps threads, so a group caps the whole process tree:
 * memory (no swap) and the number of processes plus threads.
 *
 * Detection runs at start: cgroup v2 when `<root>/cgroup.controllers` exists,
 * v1 when `<root>/memory` and `<root>/pids` are mounted; either way the groups
 * live under a `syncra-<pid>` folder created below the runtime's own group and
 * removed with the last group.
 *
 * A child joins its group before it runs anything: {@linkcode ProcessGroup.wrap}
 * starts the command with a `sh` one-liner that writes its own pid into the
 * group and then execs the command (bwrap included), so every process and
 * thread it ever creates is born inside. Adding a pid after spawn
 * ({@linkcode ProcessGroup.add}) leaves a window in which the process can fork
 * children that stay outside the group; it exists for processes started by
 * someone else.
 *
 * An idle `deno run` uses about 7 threads and every Worker adds more, so a pids
 * budget below 16 breaks deno.
 *
 * @module
 */
import type { ChildCommand } from "../command/mod.ts";

/** What one script's process tree may use. */
export interface ResourceBudget {
  /** Memory in bytes, page cache and tmpfs included, no swap. */
  memoryBytes: number;
  /** Processes plus threads. */
  maxPids: number;
}

/** A budget that fits a typical script: 256 MiB and 64 processes or threads. */
export const DEFAULT_BUDGET: Readonly<ResourceBudget> = {
  memoryBytes: 256 * 1024 * 1024,
  maxPids: 64,
};

/** What the memory controller reports about a group. */
export interface MemoryEvents {
  /** Processes the kernel killed for the memory limit; null when not exposed. */
  oomKills: number | null;
}

/** What the pids controller reports about a group. */
export interface PidsEvents {
  /** Times a fork or thread creation failed because of the limit. */
  limitHits: number;
}

/** One script's control group. */
export interface ProcessGroup extends AsyncDisposable {
  readonly name: string;
  /** The group's folder (v1: in the memory hierarchy). */
  readonly path: string;
  /** The `cgroup.procs` files a process is written into to join. */
  readonly procsFiles: readonly string[];
  /** Moves a running process in; it may already have children outside. */
  add(pid: number): Promise<void>;
  /** The command that joins this group, then execs `command` unchanged. */
  wrap(command: ChildCommand): ChildCommand;
  /** Pids of the processes in the group now. */
  pids(): Promise<number[]>;
  memoryEvents(): Promise<MemoryEvents>;
  pidsEvents(): Promise<PidsEvents>;
  /** Kills what is left in the group and removes its folders. */
  dispose(): Promise<void>;
}

/** Creates groups for script processes. */
export interface CgroupManager {
  readonly version: 1 | 2;
  /** The `syncra-<pid>` folders groups are created in. */
  readonly parentPaths: readonly string[];
  create(name: string, budget: ResourceBudget): Promise<ProcessGroup>;
}

/** The manager, or why there is none. */
export type CgroupProbe =
  | { manager: CgroupManager; reason: null }
  | { manager: null; reason: string };

const JOIN_SCRIPT =
  'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const SH = "/bin/sh";

interface Layout {
  version: 1 | 2;
  memoryParent: string;
  pidsParent: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readCounter(file: string, key: string): Promise<number | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    return null;
  }
  for (const line of text.split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k === key && v !== undefined) return Number(v);
  }
  return null;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function removeDir(path: string): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      await Deno.remove(path);
      return;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      // Just-killed processes leave the group when they are reaped.
      if (attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** The runtime's own group in a hierarchy, or the hierarchy's root. */
async function ownGroup(mount: string, controller: string | null): Promise<string> {
  const lines = (await Deno.readTextFile("/proc/self/cgroup")).split("\n");
  for (const line of lines) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (controllers === undefined || path === undefined) continue;
    const match = controller === null
      ? controllers === ""
      : controllers.split(",").includes(controller);
    if (match && path !== "/" && await exists(`${mount}${path}/cgroup.procs`)) {
      return `${mount}${path}`;
    }
  }
  return mount;
}

class Group implements ProcessGroup {
  readonly name: string;
  readonly path: string;
  readonly procsFiles: readonly string[];
  readonly #layout: Layout;
  readonly #dirs: readonly string[];
  readonly #release: () => Promise<void>;
  /** The folders this group made: a name clash must not touch another's. */
  readonly #created: string[] = [];
  #disposed = false;

  constructor(name: string, layout: Layout, release: () => Promise<void>) {
    this.name = name;
    this.#layout = layout;
    this.#release = release;
    this.path = `${layout.memoryParent}/${name}`;
    this.#dirs = layout.version === 2 ? [this.path] : [this.path, `${layout.pidsParent}/${name}`];
    this.procsFiles = this.#dirs.map((dir) => `${dir}/cgroup.procs`);
  }

  get #pidsDir(): string {
    return this.#dirs[this.#dirs.length - 1]!;
  }

  async setUp(budget: ResourceBudget): Promise<void> {
    for (const dir of this.#dirs) {
      await Deno.mkdir(dir);
      this.#created.push(dir);
    }
    const memory = String(budget.memoryBytes);
    if (this.#layout.version === 1) {
      await Deno.writeTextFile(`${this.path}/memory.limit_in_bytes`, memory);
      if (await exists(`${this.path}/memory.memsw.limit_in_bytes`)) {
        await Deno.writeTextFile(`${this.path}/memory.memsw.limit_in_bytes`, memory);
      }
    } else {
      await Deno.writeTextFile(`${this.path}/memory.max`, memory);
      if (await exists(`${this.path}/memory.swap.max`)) {
        await Deno.writeTextFile(`${this.path}/memory.swap.max`, "0");
      }
    }
    await Deno.writeTextFile(`${this.#pidsDir}/pids.max`, String(budget.maxPids));
  }

  async add(pid: number): Promise<void> {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new RangeError(`Invalid pid: ${pid}`);
    for (const file of this.procsFiles) await Deno.writeTextFile(file, String(pid));
  }

  wrap(command: ChildCommand): ChildCommand {
    // sh exports a PWD of its own; drop it unless the command sets one.
    const script = ("PWD" in command.env ? "" : "unset PWD; ") + JOIN_SCRIPT;
    return {
      program: SH,
      args: ["-c", script, "syncra-cgroup-join", ...this.procsFiles, "--", command.program]
        .concat(command.args),
      env: command.env,
    };
  }

  async pids(): Promise<number[]> {
    const all = new Set<number>();
    for (const file of this.procsFiles) {
      try {
        for (const line of (await Deno.readTextFile(file)).split("\n")) {
          if (line.trim() !== "") all.add(Number(line.trim()));
        }
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
    return [...all];
  }

  async memoryEvents(): Promise<MemoryEvents> {
    const oomKills = this.#layout.version === 1
      ? await readCounter(`${this.path}/memory.oom_control`, "oom_kill")
      : await readCounter(`${this.path}/memory.events`, "oom_kill");
    return { oomKills };
  }

  async pidsEvents(): Promise<PidsEvents> {
    return { limitHits: await readCounter(`${this.#pidsDir}/pids.events`, "max") ?? 0 };
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    try {
      if (this.#created.length < this.#dirs.length) {
        for (const dir of this.#created) await removeDir(dir);
        return;
      }
      if (this.#layout.version === 2 && await exists(`${this.path}/cgroup.kill`)) {
        await Deno.writeTextFile(`${this.path}/cgroup.kill`, "1").catch(() => {});
      }
      for (let round = 0; round < 100; round++) {
        const pids = await this.pids();
        if (pids.length === 0) break;
        for (const pid of pids) {
          try {
            Deno.kill(pid, "SIGKILL");
          } catch { /* already gone */ }
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (const dir of this.#dirs) await removeDir(dir);
    } finally {
      await this.#release();
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

class Manager implements CgroupManager {
  readonly version: 1 | 2;
  readonly parentPaths: readonly string[];
  readonly #layout: Layout;
  #live = 0;

  constructor(layout: Layout) {
    this.version = layout.version;
    this.#layout = layout;
    this.parentPaths = layout.version === 2
      ? [layout.memoryParent]
      : [layout.memoryParent, layout.pidsParent];
  }

  async create(name: string, budget: ResourceBudget): Promise<ProcessGroup> {
    if (!NAME.test(name)) {
      throw new TypeError(`Invalid group name ${JSON.stringify(name)}: use [A-Za-z0-9_.-]{1,64}`);
    }
    if (!Number.isSafeInteger(budget.memoryBytes) || budget.memoryBytes < 32 * 1024 * 1024) {
      throw new RangeError(`Invalid memory budget: ${budget.memoryBytes} bytes (at least 32 MiB)`);
    }
    if (!Number.isSafeInteger(budget.maxPids) || budget.maxPids < 16) {
      throw new RangeError(`Invalid pids budget: ${budget.maxPids} (deno needs at least 16)`);
    }
    this.#live++;
    const group = new Group(name, this.#layout, () => this.#releaseOne());
    try {
      await createParents(this.#layout);
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

async function createParents(layout: Layout): Promise<void> {
  const dirs = layout.version === 2
    ? [layout.memoryParent]
    : [layout.memoryParent, layout.pidsParent];
  for (const dir of dirs) {
    try {
      await Deno.mkdir(dir);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }
  if (layout.version === 2) {
    const control = `${layout.memoryParent}/cgroup.subtree_control`;
    const enabled = (await Deno.readTextFile(control)).split(/\s+/);
    if (!enabled.includes("memory") || !enabled.includes("pids")) {
      await Deno.writeTextFile(control, "+memory +pids");
    }
  }
}

async function probeV2(root: string): Promise<Layout> {
  const own = await ownGroup(root, null);
  const available = (await Deno.readTextFile(`${own}/cgroup.controllers`)).split(/\s+/);
  for (const controller of ["memory", "pids"]) {
    if (!available.includes(controller)) {
      throw new Error(`the "${controller}" controller is not delegated to "${own}"`);
    }
  }
  const enabled = (await Deno.readTextFile(`${own}/cgroup.subtree_control`)).split(/\s+/);
  if (!enabled.includes("memory") || !enabled.includes("pids")) {
    try {
      await Deno.writeTextFile(`${own}/cgroup.subtree_control`, "+memory +pids");
    } catch (error) {
      throw new Error(
        `cannot enable memory and pids below "${own}" (${message(error)}); a group that ` +
          `holds processes cannot delegate them: start the runtime in a delegated scope, ` +
          `e.g. "systemd-run --user --scope -p Delegate=yes deno task world"`,
      );
    }
  }
  await removeStaleParents(own);
  const parent = `${own}/syncra-${Deno.pid}`;
  return { version: 2, memoryParent: parent, pidsParent: parent };
}

/**
 * Removes `syncra-<pid>` folders left by runtimes that died without cleaning
 * up (their groups are empty once their processes are gone).
 */
async function removeStaleParents(dir: string): Promise<void> {
  try {
    for await (const entry of Deno.readDir(dir)) {
      const pid = /^syncra-(\d+)$/.exec(entry.name)?.[1];
      if (!entry.isDirectory || !pid || pid === String(Deno.pid)) continue;
      if (await Deno.stat(`/proc/${pid}`).then(() => true, () => false)) continue;
      const parent = `${dir}/${entry.name}`;
      for await (const group of Deno.readDir(parent)) {
        if (group.isDirectory) await Deno.remove(`${parent}/${group.name}`).catch(() => {});
      }
      await Deno.remove(parent).catch(() => {});
    }
  } catch {
    // Best effort: a folder we cannot read is not ours to clean.
  }
}

async function probeV1(root: string): Promise<Layout> {
  const memory = await ownGroup(`${root}/memory`, "memory");
  const pids = await ownGroup(`${root}/pids`, "pids");
  await Promise.all([removeStaleParents(memory), removeStaleParents(pids)]);
  return {
    version: 1,
    memoryParent: `${memory}/syncra-${Deno.pid}`,
    pidsParent: `${pids}/syncra-${Deno.pid}`,
  };
}

/**
 * Finds a control group hierarchy this process may create groups in and
 * checks it by creating and removing the `syncra-<pid>` folders.
 */
export async function probeCgroups(root = "/sys/fs/cgroup"): Promise<CgroupProbe> {
  let layout: Layout;
  try {
    if (await exists(`${root}/cgroup.controllers`)) {
      layout = await probeV2(root);
    } else if (
      await exists(`${root}/memory/cgroup.procs`) && await exists(`${root}/pids/cgroup.procs`)
    ) {
      layout = await probeV1(root);
    } else {
      return {
        manager: null,
        reason: `no cgroup v2 at "${root}" and no v1 memory and pids hierarchies below it`,
      };
    }
  } catch (error) {
    return { manager: null, reason: `cannot use the control groups here: ${message(error)}` };
  }
  try {
    await createParents(layout);
  } catch (error) {
    return { manager: null, reason: `control groups are not writable here: ${message(error)}` };
  } finally {
    await Deno.remove(layout.memoryParent).catch(() => {});
    await Deno.remove(layout.pidsParent).catch(() => {});
  }
  return { manager: new Manager(layout), reason: null };
}

/**
 * The manager of per-script groups, or null when this machine does not let
 * the runtime create them (see {@linkcode probeCgroups} for the reason).
 *
 * @example Usage
 * ```ts ignore
 * import { DEFAULT_BUDGET, detectCgroups } from "./cgroup.ts";
 * const cgroups = await detectCgroups();
 * await using group = await cgroups!.create("door", DEFAULT_BUDGET);
 * ```
 */
export async function detectCgroups(root?: string): Promise<CgroupManager | null> {
  return (await probeCgroups(root)).manager;
}

/**
 * The folders of one group, in one hierarchy (v2) or several (v1): making
 * them, joining them, listing their members and removing them, and the
 * {@linkcode ProcessGroup} both implementations build on. What the limits
 * and events files are called is the implementations' business.
 *
 * @module
 */
import type { ChildCommand } from "../command/mod.ts";
import { killMembers, readPids, removeGroupDir } from "./_cgroup_fs.ts";
import {
  joinCommand,
  type MemoryEvents,
  type PidsEvents,
  type ProcessGroup,
  type ResourceBudget,
} from "./cgroup.ts";

export class GroupFolders {
  readonly dirs: readonly string[];
  readonly procsFiles: readonly string[];
  /** The folders this group made: a name clash must not touch another's. */
  readonly #created: string[] = [];

  constructor(dirs: readonly string[]) {
    this.dirs = dirs;
    this.procsFiles = dirs.map((dir) => `${dir}/cgroup.procs`);
  }

  /** Creates every folder; throws AlreadyExists when one is another group's. */
  async make(): Promise<void> {
    for (const dir of this.dirs) {
      await Deno.mkdir(dir);
      this.#created.push(dir);
    }
  }

  async add(pid: number): Promise<void> {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new RangeError(`Invalid pid: ${pid}`);
    for (const file of this.procsFiles) await Deno.writeTextFile(file, String(pid));
  }

  pids(): Promise<number[]> {
    return readPids(this.procsFiles);
  }

  /** Kills the members (after `killAll`, a faster way where there is one) and removes the folders. */
  async remove(killAll: () => Promise<void> = async () => {}): Promise<void> {
    if (this.#created.length < this.dirs.length) {
      // Half made: nothing can have joined yet.
      for (const dir of this.#created) await removeGroupDir(dir);
      return;
    }
    await killAll();
    await killMembers(this.procsFiles);
    for (const dir of this.dirs) await removeGroupDir(dir);
  }
}

/** A group over its folders; an implementation writes the budget and reads the events. */
export abstract class FolderGroup implements ProcessGroup {
  readonly name: string;
  /** The first folder (v1: the memory hierarchy's). */
  readonly path: string;
  protected readonly folders: GroupFolders;
  readonly #release: () => Promise<void>;
  #disposed = false;

  constructor(name: string, dirs: readonly string[], release: () => Promise<void>) {
    this.name = name;
    this.path = dirs[0]!;
    this.folders = new GroupFolders(dirs);
    this.#release = release;
  }

  get procsFiles(): readonly string[] {
    return this.folders.procsFiles;
  }

  /** Makes the folders and writes `budget` into them. */
  abstract setUp(budget: ResourceBudget): Promise<void>;
  abstract memoryEvents(): Promise<MemoryEvents>;
  abstract pidsEvents(): Promise<PidsEvents>;

  /** Kills every member at once where the hierarchy can; the members are killed one by one after. */
  protected killAll(): Promise<void> {
    return Promise.resolve();
  }

  add(pid: number): Promise<void> {
    return this.folders.add(pid);
  }

  wrap(command: ChildCommand): ChildCommand {
    return joinCommand(this.procsFiles, command);
  }

  pids(): Promise<number[]> {
    return this.folders.pids();
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    try {
      await this.folders.remove(() => this.killAll());
    } finally {
      await this.#release();
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

/**
 * The folders of one group, in one hierarchy (v2) or several (v1): making
 * them, joining them, listing their members and removing them. What the
 * limits and events files are called is the implementations' business.
 *
 * @module
 */
import { killMembers, readPids, removeGroupDir } from "./_cgroup_fs.ts";

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

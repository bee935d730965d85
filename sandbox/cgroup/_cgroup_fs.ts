/**
 * File work both implementations share: reading flat-keyed counters,
 * listing and killing members, removing group folders and finding the
 * runtime's own group in a hierarchy.
 *
 * @module
 */

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One counter of a flat-keyed file (`key value` per line, as in
 * `memory.events`, `pids.events`, v1 `memory.oom_control`); null when the
 * file or the key is missing.
 */
export async function readCounter(file: string, key: string): Promise<number | null> {
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

/** A file holding one number (`memory.peak`, say), or null when it is missing or not a number. */
export async function readNumber(file: string): Promise<number | null> {
  try {
    const n = Number((await Deno.readTextFile(file)).trim());
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/** The pids listed in any of `procsFiles`; a missing file lists none. */
export async function readPids(procsFiles: readonly string[]): Promise<number[]> {
  const all = new Set<number>();
  for (const file of procsFiles) {
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

/** SIGKILLs members until none is left (a forking tree may add some while we kill). */
export async function killMembers(procsFiles: readonly string[]): Promise<void> {
  for (let round = 0; round < 100; round++) {
    const pids = await readPids(procsFiles);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* already gone */ }
    }
    await sleep(20);
  }
}

/** Removes a group folder; gone already is fine. */
export async function removeGroupDir(path: string): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      await Deno.remove(path);
      return;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      // Just-killed processes leave the group when they are reaped.
      if (attempt >= 100) throw error;
      await sleep(20);
    }
  }
}

/** Creates `dir`; there already is fine (another group of this runtime made it). */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir);
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
}

/**
 * The runtime's own group in a hierarchy mounted at `mount`, or the mount
 * itself: `controller` names a v1 hierarchy, null the v2 one (`0::`).
 */
export async function ownGroup(mount: string, controller: string | null): Promise<string> {
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

/**
 * Removes `syncra-<pid>` folders left by runtimes that died without cleaning
 * up (their groups are empty once their processes are gone).
 */
export async function removeStaleParents(dir: string): Promise<void> {
  try {
    for await (const entry of Deno.readDir(dir)) {
      const pid = /^syncra-(\d+)$/.exec(entry.name)?.[1];
      if (!entry.isDirectory || !pid || pid === String(Deno.pid)) continue;
      if (await exists(`/proc/${pid}`)) continue;
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

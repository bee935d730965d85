/**
 * A process and its descendants, read from `/proc`: the bundler samples the
 * esbuild service's memory where no control group holds it, and kills the
 * whole tree when a build runs past its budget.
 *
 * @module
 */

/** `pid` and every descendant alive now, parents first; empty when `pid` is gone. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    let tasks: Deno.DirEntry[];
    try {
      tasks = [...Deno.readDirSync(`/proc/${p}/task`)];
    } catch {
      return;
    }
    out.push(p);
    for (const task of tasks) {
      let children: string;
      try {
        children = Deno.readTextFileSync(`/proc/${p}/task/${task.name}/children`);
      } catch {
        continue;
      }
      for (const child of children.split(" ")) {
        if (/^\d+$/.test(child)) visit(Number(child));
      }
    }
  };
  visit(pid);
  return out;
}

/** Resident memory of a process tree in bytes (0 when it is gone). */
export function treeRssBytes(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const status = Deno.readTextFileSync(`/proc/${p}/status`);
      const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
      if (kib !== undefined) total += Number(kib) * 1024;
    } catch { /* gone meanwhile */ }
  }
  return total;
}

/** Sends SIGKILL to a process tree, children first. */
export function killTree(pid: number): void {
  for (const p of processTree(pid).reverse()) {
    try {
      Deno.kill(p, "SIGKILL");
    } catch { /* gone meanwhile */ }
  }
}

/** Whether `pid` is a live process (not gone, not a zombie waiting to be reaped). */
export function isRunning(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/**
 * Budgets the runtime enforces by sampling /proc: CPU a child burns outside
 * its ticks (background timers, extra threads — a deadline cannot see those),
 * and, where no cgroup bounds memory, the resident memory of its process
 * tree. A child over budget is killed with reason `cpu` or `memory`.
 *
 * @module
 */
import type { LiveChild } from "./live_child.ts";
import type { ChildSlot } from "./child_slot.ts";

/** CPU time and resident memory of a process tree. */
export interface TreeUsage {
  cpuMs: number;
  rssBytes: number;
  processes: number;
}

// Linux reports utime/stime in clock ticks of USER_HZ, which is 100 on every mainstream kernel.
const MS_PER_CLOCK_TICK = 10;

async function children(pid: number): Promise<number[]> {
  const out: number[] = [];
  try {
    for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
      const text = await Deno.readTextFile(`/proc/${pid}/task/${task.name}/children`).catch(() =>
        ""
      );
      for (const c of text.split(" ")) if (c.trim()) out.push(Number(c));
    }
  } catch {
    // The process is gone.
  }
  return out;
}

async function usageOf(pid: number): Promise<{ cpuMs: number; rssBytes: number } | null> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Fields after the ")" that closes the command name: state is [0], utime [11], stime [12].
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuMs = (Number(fields[11]) + Number(fields[12])) * MS_PER_CLOCK_TICK;
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    return { cpuMs, rssBytes: rss ? Number(rss[1]) * 1024 : 0 };
  } catch {
    return null;
  }
}

/** Sums CPU time and RSS over a process and all its descendants. */
export async function readTreeUsage(root: number): Promise<TreeUsage | null> {
  const top = await usageOf(root);
  if (!top) return null;
  const total: TreeUsage = { ...top, processes: 1 };
  const queue = await children(root);
  while (queue.length > 0 && total.processes < 256) {
    const pid = queue.shift()!;
    const u = await usageOf(pid);
    if (!u) continue;
    total.cpuMs += u.cpuMs;
    total.rssBytes += u.rssBytes;
    total.processes++;
    queue.push(...await children(pid));
  }
  return total;
}

/** Watchdog settings. */
export interface WatchdogOptions {
  /** How often to sample. @default 1000 */
  intervalMs: number;
  /** CPU outside ticks allowed to a file, as a share of one core (the owner's `backgroundCpuPercent`). */
  maxIdleCpuShareOf: (file: string) => number;
  /** Consecutive samples over the CPU budget before a kill. @default 2 */
  strikes: number;
  /** Resident memory per script tree; null when a cgroup enforces memory. */
  memoryBytes: number | null;
  /** A file's own memory budget in bytes, where it has one (the world owner's limits). */
  memoryBytesOf?: (file: string) => number;
}

interface Sample {
  at: number;
  cpuMs: number;
  busyMs: number;
  strikes: number;
}

/** Samples every active child and kills the ones over budget. */
export class ResourceWatchdog implements Disposable {
  readonly #slots: () => readonly ChildSlot<unknown>[];
  readonly #options: WatchdogOptions;
  readonly #samples = new WeakMap<LiveChild<unknown>, Sample>();
  readonly #timer: ReturnType<typeof setInterval>;
  #sampling = false;

  constructor(slots: () => readonly ChildSlot<unknown>[], options: WatchdogOptions) {
    this.#slots = slots;
    this.#options = options;
    this.#timer = setInterval(() => void this.sample(), options.intervalMs);
  }

  /** Takes one sample of every active child (also called by the timer). */
  async sample(): Promise<void> {
    if (this.#sampling) return;
    this.#sampling = true;
    try {
      await Promise.all(this.#slots().map((slot) => this.#check(slot)));
    } finally {
      this.#sampling = false;
    }
  }

  async #check(slot: ChildSlot<unknown>): Promise<void> {
    const child = slot.active;
    if (!child) return;
    const usage = await readTreeUsage(child.process.pid);
    if (!usage || slot.active !== child) return;
    const { strikes } = this.#options;
    const maxIdleCpuShare = this.#options.maxIdleCpuShareOf(slot.file);
    const memoryBytes = this.#options.memoryBytes === null
      ? null
      : this.#options.memoryBytesOf?.(slot.file) ?? this.#options.memoryBytes;
    if (memoryBytes !== null && usage.rssBytes > memoryBytes) {
      slot.kill(
        "memory",
        `resident memory ${(usage.rssBytes / 1048576).toFixed(0)} MiB exceeds the budget of ${
          (memoryBytes / 1048576).toFixed(0)
        } MiB`,
      );
      return;
    }
    const now = performance.now();
    const last = this.#samples.get(child);
    const sample: Sample = { at: now, cpuMs: usage.cpuMs, busyMs: child.busyMs, strikes: 0 };
    if (last) {
      const wall = now - last.at;
      const idleCpu = (usage.cpuMs - last.cpuMs) - (child.busyMs - last.busyMs);
      if (idleCpu > maxIdleCpuShare * wall) {
        sample.strikes = last.strikes + 1;
        if (sample.strikes >= strikes) {
          slot.kill(
            "cpu",
            `used ${idleCpu.toFixed(0)} ms of CPU outside its ticks in ${
              wall.toFixed(0)
            } ms (budget ${(maxIdleCpuShare * 100).toFixed(0)}% of a core)`,
          );
        }
      }
    }
    this.#samples.set(child, sample);
  }

  [Symbol.dispose](): void {
    clearInterval(this.#timer);
  }
}

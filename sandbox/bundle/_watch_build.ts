/**
 * Watches one build of the esbuild service against its budgets: past its
 * time it kills the service; where no control group caps the service's
 * memory, it samples the process tree's RSS and kills it past the budget.
 * Killing the service makes the build's pending request fail ("The service
 * was stopped"), so the watched promise settles; if it does not within a
 * grace period, the watch gives up on it.
 *
 * @module
 */
import { killTree, treeRssBytes } from "./_process_tree.ts";

/** How a watched build ended. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** What {@linkcode watchBuild} enforces. */
export interface BuildWatch {
  /** Wall-clock budget in milliseconds. */
  timeMs: number;
  /** Memory budget in bytes, sampled when `sample` is true. */
  memoryBytes: number;
  /** Sample RSS (no control group holds the service). */
  sample: boolean;
  /** The service's outermost pid now, or null. */
  pid(): number | null;
  /** Called with each RSS sample, in bytes. */
  onSample?(bytes: number): void;
  /** Stops the service when its pid is unknown. */
  stop(): void;
}

const SAMPLE_MS = 20;
/** How long a killed service may take to close its pipes before the watch moves on. */
const KILL_GRACE_MS = 2000;

/** Awaits `build`, killing the service when it breaks a budget; says which budget it broke. */
export async function watchBuild<T>(
  build: Promise<T>,
  watch: BuildWatch,
): Promise<{ outcome: Outcome<T>; broke: "time" | "memory" | null }> {
  let broke: "time" | "memory" | null = null;
  const kill = (why: "time" | "memory") => {
    broke ??= why;
    const pid = watch.pid();
    if (pid !== null) killTree(pid);
    else watch.stop();
  };
  const settled: Promise<Outcome<T>> = build.then(
    (value) => ({ ok: true, value }),
    (error) => ({ ok: false, error }),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sampler: ReturnType<typeof setInterval> | undefined;
  const expired = new Promise<"expired">((resolve) => {
    timer = setTimeout(() => resolve("expired"), watch.timeMs);
  });
  if (watch.sample) {
    sampler = setInterval(() => {
      const pid = watch.pid();
      if (pid === null) return;
      const rss = treeRssBytes(pid);
      watch.onSample?.(rss);
      if (rss > watch.memoryBytes) kill("memory");
    }, SAMPLE_MS);
  }
  try {
    let outcome = await Promise.race([settled, expired]);
    if (outcome === "expired") {
      kill("time");
      const grace = new Promise<Outcome<T>>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, error: new Error("The service was stopped: killed") }),
          KILL_GRACE_MS,
        );
      });
      outcome = await Promise.race([settled, grace]);
    }
    return { outcome, broke };
  } finally {
    clearTimeout(timer);
    clearInterval(sampler);
  }
}

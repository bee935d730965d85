/**
 * Tick duration statistics over a sliding window (for the status line) and
 * over the whole run (for the report).
 *
 * @module
 */

/** Percentiles of tick durations in milliseconds. */
export interface TickPercentiles {
  p50: number;
  p99: number;
  max: number;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Collects tick durations. */
export class TickStats {
  #all = new Float64Array(1024);
  #count = 0;
  #recent: number[] = [];
  #recentStarts: number[] = [];

  record(ms: number, startedAt: number): void {
    if (this.#count === this.#all.length) {
      const grown = new Float64Array(this.#all.length * 2);
      grown.set(this.#all);
      this.#all = grown;
    }
    this.#all[this.#count++] = ms;
    this.#recent.push(ms);
    this.#recentStarts.push(startedAt);
    while (this.#recentStarts.length > 0 && startedAt - this.#recentStarts[0]! > 2000) {
      this.#recent.shift();
      this.#recentStarts.shift();
    }
  }

  /** Percentiles over every recorded tick. */
  overall(): TickPercentiles {
    const sorted = this.#all.slice(0, this.#count).sort();
    return {
      p50: round(percentile(sorted, 0.5)),
      p99: round(percentile(sorted, 0.99)),
      max: round(sorted[sorted.length - 1] ?? 0),
    };
  }

  /** Ticks per second and median duration over the last two seconds. */
  recent(): { hz: number; p50: number } {
    const n = this.#recentStarts.length;
    const span = n > 1 ? (this.#recentStarts[n - 1]! - this.#recentStarts[0]!) / 1000 : 0;
    const sorted = Float64Array.from(this.#recent).sort();
    return { hz: span > 0 ? (n - 1) / span : 0, p50: round(percentile(sorted, 0.5)) };
  }
}

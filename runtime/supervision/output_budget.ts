/**
 * The budget of output one script can make the world write (its log lines,
 * its stderr, the violations, errors and refusals reported about it, on the
 * world's stderr and in the audit log together): a cap per tick, since a tick
 * is what a script controls, and a token bucket per second, since `--hz 0`
 * runs thousands of ticks a second.
 *
 * @module
 */

/** Limits of {@linkcode OutputBudget}. */
export interface OutputBudgetOptions {
  /** Bytes one script may cause per tick, everything included. @default 65536 */
  bytesPerTick: number;
  /** Sustained bytes per second (the bucket's refill). @default 65536 */
  bytesPerSecond: number;
  /** Bytes the bucket holds: a burst above the sustained rate. @default 262144 */
  burstBytes: number;
  /**
   * Of each tick's bytes, those only lines that are never dropped (a kill, a
   * refusal, a summary of drops) may use. @default 8192
   */
  reservedBytes: number;
}

/** Defaults for {@linkcode OutputBudgetOptions}. */
export const DEFAULT_OUTPUT_BUDGET: Readonly<OutputBudgetOptions> = Object.freeze({
  bytesPerTick: 64 * 1024,
  bytesPerSecond: 64 * 1024,
  burstBytes: 256 * 1024,
  reservedBytes: 8 * 1024,
});

/**
 * One script's output budget. `admit` decides whether a droppable line may be
 * written; `force` charges a line that is always written, in a short form when
 * the tick is nearly spent.
 *
 * @example
 * ```ts
 * import { OutputBudget } from "./output_budget.ts";
 * import assert from "node:assert/strict";
 *
 * const budget = new OutputBudget({
 *   bytesPerTick: 100,
 *   bytesPerSecond: 1000,
 *   burstBytes: 1000,
 *   reservedBytes: 20,
 * });
 * assert.equal(budget.admit(80, 1, 0), true);
 * assert.equal(budget.admit(1, 1, 0), false); // the rest of tick 1 is reserved
 * assert.equal(budget.force(50, 10, 1, 0), 10); // a kill line, cut to its short form
 * assert.equal(budget.admit(80, 2, 0), true); // a new tick
 * ```
 */
export class OutputBudget {
  readonly #options: Readonly<OutputBudgetOptions>;
  #tick = -1;
  #usedThisTick = 0;
  #tokens: number;
  #refilledAt: number | null = null;
  /** Lines refused since the world started. */
  dropped = 0;
  /** Bytes written since the world started. */
  written = 0;

  constructor(options: Readonly<OutputBudgetOptions> = DEFAULT_OUTPUT_BUDGET) {
    if (!(options.reservedBytes >= 0 && options.reservedBytes < options.bytesPerTick)) {
      throw new RangeError(
        `Invalid output budget: reservedBytes must be below bytesPerTick (${options.bytesPerTick})`,
      );
    }
    this.#options = options;
    this.#tokens = options.burstBytes;
  }

  #advance(tick: number, now: number): void {
    if (tick !== this.#tick) {
      this.#tick = tick;
      this.#usedThisTick = 0;
    }
    if (this.#refilledAt !== null) {
      const refill = ((now - this.#refilledAt) / 1000) * this.#options.bytesPerSecond;
      this.#tokens = Math.min(this.#options.burstBytes, this.#tokens + refill);
    }
    this.#refilledAt = now;
  }

  /** Whether a droppable line of `bytes` would be admitted now; charges nothing. */
  fits(bytes: number, tick: number, now = performance.now()): boolean {
    this.#advance(tick, now);
    const room = this.#options.bytesPerTick - this.#options.reservedBytes - this.#usedThisTick;
    return bytes <= room && bytes <= this.#tokens;
  }

  /** Charges `bytes` of a droppable line at `tick`; false (and counted) when it must be dropped. */
  admit(bytes: number, tick: number, now = performance.now()): boolean {
    if (!this.fits(bytes, tick, now)) {
      this.dropped++;
      return false;
    }
    this.#charge(bytes);
    return true;
  }

  /**
   * Charges a line that is always written where it fits: its full form of
   * `bytes` if the tick has room (the reserve included), else its short form of
   * `minimum` bytes, else nothing (0, counted as dropped; the next summary says
   * so). Returns the bytes charged. The bucket may go into debt, which later
   * droppable lines repay.
   */
  force(bytes: number, minimum: number, tick: number, now = performance.now()): number {
    this.#advance(tick, now);
    const room = this.#options.bytesPerTick - this.#usedThisTick;
    const granted = bytes <= room ? bytes : minimum <= room ? minimum : 0;
    if (granted === 0) this.dropped++;
    this.#charge(granted);
    return granted;
  }

  #charge(bytes: number): void {
    this.#usedThisTick += bytes;
    this.#tokens -= bytes;
    this.written += bytes;
  }
}

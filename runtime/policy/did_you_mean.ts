/**
 * The closest of a set of names to one that was misspelled, for messages
 * that say "did you mean …" (flags, syncra.json keys).
 *
 * @module
 */

/** Edit distance between `a` and `b`, case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const row = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const next = Math.min(
        row[j]! + 1,
        row[j - 1]! + 1,
        previous + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
      previous = row[j]!;
      row[j] = next;
    }
  }
  return row[y.length]!;
}

/**
 * The candidate closest to `name`, or null when none is within a third of
 * its length (at least 1, at most 3 edits).
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { didYouMean } from "./did_you_mean.ts";
 * assert.equal(didYouMean("tick", ["ticks", "hz"]), "ticks");
 * assert.equal(didYouMean("colour", ["ticks", "hz"]), null);
 * ```
 */
export function didYouMean(name: string, candidates: readonly string[]): string | null {
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= limit ? best : null;
}

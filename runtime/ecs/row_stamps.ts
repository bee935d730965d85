/**
 * When each row of one component in one archetype last changed: a stamp per
 * row (the world's change clock at the change) and a short log of recent
 * stamps, so that "which rows changed since S" costs the number of changed
 * rows rather than a scan of the table. `changed` filters read it; so will
 * drivers' change feeds and replication.
 *
 * The log is complete for every stamp after `from`. A change of rows'
 * places (a swap-remove) or a full log makes it incomplete; it starts again
 * at the next stamp, and until a reader's `since` reaches that point the
 * reader scans the stamps instead.
 *
 * @module
 */

/** Most log entries kept before it starts over: small next to the table, and never tiny. */
function logCapacity(rows: number): number {
  return Math.max(256, rows >> 3);
}

/** The row of a single {@linkcode RowStamps.set}, without an array per call. */
const ONE_ROW = new Uint32Array(1);

/** Per-row change stamps of one component in one archetype. */
export class RowStamps {
  /** The stamp of each row. */
  values: Float64Array;
  /** The log holds every stamp after this one (Infinity: the log is not usable now). */
  #from = Infinity;
  #rows: number[] = [];
  #stamps: number[] = [];

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }

  /** Room for `capacity` rows (the stamps move to a larger buffer). */
  grow(capacity: number): void {
    this.values = new Float64Array((this.values.buffer as ArrayBuffer).transfer(capacity * 8));
  }

  /** Row `row` changed (or arrived) at `stamp`; `rows` is the table's row count. */
  set(row: number, stamp: number, rows: number): void {
    ONE_ROW[0] = row;
    this.setRows(ONE_ROW, 1, stamp, rows);
  }

  /**
   * The first `count` rows of `rows` changed at `stamp` (one merge of a
   * column); `tableRows` is the table's row count. Many rows at once do not
   * fit the log: it starts over after this stamp instead.
   */
  setRows(rows: Uint32Array, count: number, stamp: number, tableRows: number): void {
    for (let i = 0; i < count; i++) this.values[rows[i]!] = stamp;
    const capacity = logCapacity(tableRows);
    if (this.#from === Infinity || this.#rows.length + count > capacity) {
      this.#from = stamp;
      this.#rows.length = 0;
      this.#stamps.length = 0;
      // Complete after `stamp` already: these rows need no entries unless they fit.
      if (count > capacity) return;
    }
    for (let i = 0; i < count; i++) {
      this.#rows.push(rows[i]!);
      this.#stamps.push(stamp);
    }
  }

  /** Row `from`'s stamp moved to row `to` (a swap-remove): logged rows are no longer where they were. */
  moved(to: number, from: number): void {
    this.values[to] = this.values[from]!;
    this.#from = Infinity;
  }

  /**
   * The rows stamped after `since`, ascending and each once, or null when the
   * log cannot say (the caller scans `values` instead). `rows` is the table's
   * row count.
   */
  changedAfter(since: number, rows: number): number[] | null {
    if (since < this.#from) return null;
    // Stamps only grow, so the entries after `since` are at the end of the log.
    let first = this.#stamps.length;
    while (first > 0 && this.#stamps[first - 1]! > since) first--;
    const out: number[] = [];
    let sorted = true;
    for (let i = first; i < this.#rows.length; i++) {
      const row = this.#rows[i]!;
      if (row >= rows || !(this.values[row]! > since)) continue;
      if (out.length > 0 && row <= out[out.length - 1]!) sorted = false;
      out.push(row);
    }
    // One merge logs its rows in order; several (or a row changed twice) need sorting.
    if (sorted) return out;
    out.sort((a, b) => a - b);
    let k = 0;
    for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[i - 1]) out[k++] = out[i]!;
    out.length = k;
    return out;
  }
}

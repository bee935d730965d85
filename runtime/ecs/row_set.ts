/**
 * The rows a query matched at one moment, and moving their columns in and
 * out of the archetype tables: gathering what a system is shipped, and
 * scattering what it sent back while stamping the rows that changed.
 *
 * A row set is valid until the world's structure changes (a spawn, despawn,
 * add or remove), which happens only at tick boundaries; a result is merged
 * into the row set it was shipped from, in the same tick.
 *
 * @module
 */
import type { FieldInfo } from "../../std/mod.ts";
import { fieldArray } from "../../std/internal.ts";
import { concatBytes } from "../protocol/mod.ts";
import type { Archetype, ColumnArray } from "./archetype.ts";
import type { RowStamps } from "./row_stamps.ts";

/** Rows of one archetype: all of them (`rows` null) or the listed row indexes, ascending. */
export interface RowRange {
  readonly archetype: Archetype;
  readonly rows: Uint32Array | null;
}

/** The rows a query matched, in a fixed order (archetypes by key, rows ascending). */
export interface RowSet {
  readonly parts: readonly RowRange[];
  readonly count: number;
}

/** No rows. */
export const EMPTY_ROWS: RowSet = Object.freeze({ parts: Object.freeze([]), count: 0 });

const sizeOf = (part: RowRange) => part.rows?.length ?? part.archetype.length;

/** A row set of whole archetypes. */
export function wholeArchetypes(archetypes: readonly Archetype[]): RowSet {
  const parts = archetypes.map((archetype) => ({ archetype, rows: null }));
  return { parts, count: archetypes.reduce((n, a) => n + a.length, 0) };
}

/**
 * The rows of `rows` whose stamp of any of `components` is after `since`:
 * what a `changed` filter ships. Scans one Float64Array per component.
 */
export function changedSince(rows: RowSet, components: readonly string[], since: number): RowSet {
  const parts: RowRange[] = [];
  let count = 0;
  for (const part of rows.parts) {
    const a = part.archetype;
    const n = sizeOf(part);
    const picked = pickedRows(n);
    let k = 0;
    const stamps = components.map((c) => a.stamps.get(c)!);
    const logged = part.rows ? null : fromLogs(stamps, since, a.length);
    if (logged) {
      picked.set(logged);
      k = logged.length;
    } else if (stamps.length === 1 && !part.rows) {
      // A tight loop: this scan runs over every row of a large query when the log cannot say.
      const s = stamps[0]!.values;
      for (let row = 0; row < n; row++) if (s[row]! > since) picked[k++] = row;
    } else {
      for (let i = 0; i < n; i++) {
        const row = part.rows ? part.rows[i]! : i;
        for (let j = 0; j < stamps.length; j++) {
          if (stamps[j]!.values[row]! > since) {
            picked[k++] = row;
            break;
          }
        }
      }
    }
    if (k === 0) continue;
    parts.push({ archetype: a, rows: k === a.length ? null : picked.slice(0, k) });
    count += k;
  }
  return { parts, count };
}

/**
 * Writes into `picked` the indexes i < n whose `per` words differ between
 * `src` (from `start`, packed) and `dst` (row `rows[i]`, or i); returns how
 * many. This compare runs over every merged row: the usual widths get loops
 * of their own.
 */
function differingRows(
  dst: Uint32Array | Uint8Array,
  src: Uint32Array | Uint8Array,
  start: number,
  per: number,
  n: number,
  rows: Uint32Array | null,
  picked: Uint32Array,
): number {
  let k = 0;
  if (rows === null && per === 1) {
    for (let i = 0; i < n; i++) if (dst[i] !== src[start + i]) picked[k++] = i;
  } else if (rows === null && per === 3) {
    for (let i = 0, a = start, b = 0; i < n; i++, a += 3, b += 3) {
      if (dst[b] !== src[a] || dst[b + 1] !== src[a + 1] || dst[b + 2] !== src[a + 2]) {
        picked[k++] = i;
      }
    }
  } else if (rows === null && per === 4) {
    for (let i = 0, a = start, b = 0; i < n; i++, a += 4, b += 4) {
      if (
        dst[b] !== src[a] || dst[b + 1] !== src[a + 1] || dst[b + 2] !== src[a + 2] ||
        dst[b + 3] !== src[a + 3]
      ) picked[k++] = i;
    }
  } else {
    for (let i = 0, a = start; i < n; i++, a += per) {
      const b = (rows ? rows[i]! : i) * per;
      for (let j = 0; j < per; j++) {
        if (dst[b + j] !== src[a + j]) {
          picked[k++] = i;
          break;
        }
      }
    }
  }
  return k;
}

/** The rows any of `stamps` logged after `since`, ascending, or null when a log cannot say. */
function fromLogs(stamps: readonly RowStamps[], since: number, rows: number): number[] | null {
  if (stamps.length === 1) return stamps[0]!.changedAfter(since, rows);
  const all: number[] = [];
  for (const s of stamps) {
    const changed = s.changedAfter(since, rows);
    if (!changed) return null;
    all.push(...changed);
  }
  return [...new Set(all)].sort((a, b) => a - b);
}

let picking = new Uint32Array(0);

/** Scratch room for `n` row indexes, kept between scans (the picked rows are copied out). */
function pickedRows(n: number): Uint32Array {
  if (picking.length < n) picking = new Uint32Array(Math.max(n, picking.length * 2));
  return picking;
}

function bytesOf(data: ColumnArray, start: number, end: number): Uint8Array {
  const b = data.BYTES_PER_ELEMENT;
  return new Uint8Array(data.buffer, data.byteOffset + start * b, (end - start) * b);
}

/** `width` scalars per listed row of `data`, packed. */
function pick(data: ColumnArray, width: number, rows: Uint32Array): ColumnArray {
  const out = new (data.constructor as new (n: number) => ColumnArray)(rows.length * width);
  if (width === 1) { for (let i = 0; i < rows.length; i++) out[i] = data[rows[i]!]!; }
  else {
    for (let i = 0; i < rows.length; i++) {
      const from = rows[i]! * width;
      for (let j = 0; j < width; j++) out[i * width + j] = data[from + j]!;
    }
  }
  return out;
}

function gather(
  rows: RowSet,
  each: (part: RowRange) => { data: ColumnArray; width: number } | Uint8Array,
): Uint8Array {
  const chunks = rows.parts.map((part) => {
    const got = each(part);
    if (got instanceof Uint8Array) return got;
    const { data, width } = got;
    return part.rows
      ? bytesOf(pick(data, width, part.rows), 0, part.rows.length * width)
      : bytesOf(data, 0, part.archetype.length * width);
  });
  // A single whole archetype is shipped as a view of its table: no copy.
  return chunks.length === 1 ? chunks[0]! : concatBytes(...chunks);
}

/** The entity ids of a row set, as bytes (u32 little-endian). */
export function gatherEntities(rows: RowSet): Uint8Array {
  return gather(rows, (p) => ({ data: p.archetype.entities, width: 1 }));
}

/**
 * One field's column over a row set, as bytes. Rows whose archetype lacks
 * the component (an optional one) hold the field's default.
 */
export function gatherColumn(rows: RowSet, component: string, field: FieldInfo): Uint8Array {
  return gather(rows, (p) => {
    const col = p.archetype.columns.get(component)?.get(field.name);
    if (col) return { data: col.data, width: col.field.width };
    const n = sizeOf(p);
    const defaults = fieldArray(field.type, n * field.width);
    const value = field.default as readonly number[];
    for (let i = 0; i < n; i++) defaults.set(value, i * field.width);
    return bytesOf(defaults, 0, n * field.width);
  });
}

/** A text field's strings over a row set (the default where a row lacks the component). */
export function gatherText(rows: RowSet, component: string, field: FieldInfo): string[] {
  const out: string[] = [];
  for (const p of rows.parts) {
    const text = p.archetype.columns.get(component)?.get(field.name)?.text;
    const n = sizeOf(p);
    for (let i = 0; i < n; i++) {
      out.push(text ? text[p.rows ? p.rows[i]! : i]! : field.default[0] as string);
    }
  }
  return out;
}

/**
 * Writes a text column received for `rows` (already checked: one string per
 * row, each within the field's max) and stamps the rows that changed.
 * Returns the number of rows that changed.
 */
export function scatterText(
  rows: RowSet,
  component: string,
  field: FieldInfo,
  strings: readonly string[],
  stamp: number,
): number {
  let at = 0;
  let changed = 0;
  for (const part of rows.parts) {
    const n = sizeOf(part);
    const text = part.archetype.columns.get(component)?.get(field.name)?.text;
    const stamps = part.archetype.stamps.get(component);
    for (let i = 0; i < n; i++, at++) {
      if (!text || !stamps) continue;
      const row = part.rows ? part.rows[i]! : i;
      if (text[row] === strings[at]) continue;
      text[row] = strings[at]!;
      stamps.set(row, stamp, part.archetype.length);
      changed++;
    }
  }
  return changed;
}

/** One byte per row: 1 where the row's archetype has `component`. */
export function gatherPresence(rows: RowSet, component: string): Uint8Array {
  return gather(rows, (p) => new Uint8Array(sizeOf(p)).fill(p.archetype.has(component) ? 1 : 0));
}

/** The ids of every row, for checks of who may touch what. */
export function idsOf(rows: RowSet): Set<number> {
  const ids = new Set<number>();
  for (const p of rows.parts) {
    const n = sizeOf(p);
    for (let i = 0; i < n; i++) ids.add(p.archetype.entities[p.rows ? p.rows[i]! : i]!);
  }
  return ids;
}

/** The byte length a field's column over `rows` must have. */
export function columnBytes(field: FieldInfo, rows: RowSet): number {
  return rows.count * field.width * field.bytes;
}

let scratch = new Uint8Array(0);

/** `bytes` at a 4-byte boundary: itself, or a copy in a buffer kept between calls. */
function aligned4(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset % 4 === 0) return bytes;
  if (scratch.length < bytes.length) scratch = new Uint8Array(bytes.length * 2);
  scratch.set(bytes);
  return scratch.subarray(0, bytes.length);
}

/**
 * Writes a column received for `rows` back into the tables (bytes already
 * length-checked) and stamps each row whose value changed with `stamp`.
 * Rows whose archetype lacks the component (an optional one) are skipped.
 * Values are compared bit for bit, so -0 and 0 are different values.
 * Returns the number of rows that changed.
 */
export function scatterColumn(
  rows: RowSet,
  component: string,
  field: FieldInfo,
  bytes: Uint8Array,
  stamp: number,
): number {
  const unit = field.bytes === 1 ? 1 : 4;
  const per = (field.width * field.bytes) / unit;
  const source = unit === 4 ? aligned4(bytes) : bytes;
  const src = unit === 4
    ? new Uint32Array(source.buffer, source.byteOffset, source.length / 4)
    : source;
  let at = 0;
  let changed = 0;
  for (const part of rows.parts) {
    const n = sizeOf(part);
    const col = part.archetype.columns.get(component)?.get(field.name);
    const stamps = part.archetype.stamps.get(component);
    if (!col || !stamps) {
      at += n * per;
      continue;
    }
    const data = col.data;
    const dst = unit === 4
      ? new Uint32Array(data.buffer, data.byteOffset, data.byteLength / 4)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    // First find the rows that changed, then copy: a whole archetype in one memcpy (its
    // unchanged rows are equal anyway), listed rows one by one.
    const picked = pickedRows(n);
    const start = at;
    const k = part.rows
      ? differingRows(dst, src, start, per, n, part.rows, picked)
      : differingRows(dst, src, start, per, n, null, picked);
    at += n * per;
    if (k === 0) continue;
    if (!part.rows) dst.set(src.subarray(start, at), 0);
    else {
      for (let c = 0; c < k; c++) {
        const i = picked[c]!;
        const base = part.rows[i]! * per;
        dst.set(src.subarray(start + i * per, start + (i + 1) * per), base);
        picked[c] = part.rows[i]!;
      }
    }
    stamps.setRows(picked, k, stamp, part.archetype.length);
    changed += k;
  }
  return changed;
}

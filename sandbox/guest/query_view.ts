/**
 * One query's rows inside a child (`ctx.query(name)`, and the default query
 * behind `ctx.read`/`ctx.write`): the shipped columns as typed arrays, in
 * place in the frame where aligned, grant checks with clear errors, and
 * which written columns changed.
 *
 * @module
 */
import type { ComponentType, FieldInfo, Query, QueryRows } from "../../std/mod.ts";
import { fieldArray, flattenFieldValue } from "../../std/internal.ts";
import {
  type ChangedColumns,
  GrantViolationError,
  type ShippedQuery,
} from "../../runtime/protocol/mod.ts";

/**
 * `byteLength` bytes of `bytes` (zero-filled past its end) in a fresh buffer
 * of their own, which any typed array can view.
 */
export function alignedCopy(
  bytes: Uint8Array | undefined,
  byteLength: number,
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(byteLength);
  if (bytes) out.set(bytes.subarray(0, byteLength));
  return out;
}

function sameText(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Compares two views of equal length, both starting on a 4-byte boundary. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const whole = a.length >> 2;
  const x = new Int32Array(a.buffer, a.byteOffset, whole);
  const y = new Int32Array(b.buffer, b.byteOffset, whole);
  for (let i = 0; i < whole; i++) if (x[i] !== y[i]) return false;
  for (let i = whole << 2; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Copies of written columns as shipped, to find what changed. The buffers
 * are kept from tick to tick (one set per child): allocating them anew would
 * leave megabytes of ArrayBuffers per tick to the garbage collector.
 */
export class ColumnOriginals {
  readonly #buffers = new Map<string, Uint8Array>();

  /** A copy of `bytes`, in the buffer kept for `key`; valid until the next copy for `key`. */
  copy(key: string, bytes: Uint8Array): Uint8Array {
    let buffer = this.#buffers.get(key);
    if (!buffer || buffer.length < bytes.length) {
      buffer = new Uint8Array(Math.max(bytes.length, (buffer?.length ?? 0) * 2));
      this.#buffers.set(key, buffer);
    }
    const copy = buffer.subarray(0, bytes.length);
    copy.set(bytes);
    return copy;
  }
}

interface WatchedColumn {
  component: string;
  field: string;
  original: Uint8Array;
  working: Uint8Array;
}

/** A text column handed to the script, and its strings as shipped. */
interface WatchedText {
  component: string;
  field: FieldInfo;
  original: readonly string[];
  working: string[];
}

const EMPTY: ShippedQuery = Object.freeze({
  count: 0,
  entities: new Uint8Array(0),
  columns: {},
});

/** What a query view needs besides its rows. */
export interface QueryViewOptions {
  /** The script's name, for errors. */
  script: string;
  originals: ColumnOriginals;
  /** Also copy read-only columns, to tell a script that wrote into them. */
  watchReads: boolean;
}

/** The rows of one query as a system sees them. */
export class QueryView implements QueryRows {
  readonly count: number;
  readonly entities: Uint32Array;
  readonly #name: string;
  readonly #query: Query;
  readonly #shipped: ShippedQuery;
  readonly #options: QueryViewOptions;
  readonly #views = new Map<string, Record<string, ArrayBufferView>>();
  readonly #written: WatchedColumn[] = [];
  readonly #readOnly: WatchedColumn[] = [];
  readonly #writtenText: WatchedText[] = [];
  readonly #readOnlyText: WatchedText[] = [];
  #rowOf: Map<number, number> | null = null;

  /** `shipped` null: the query was not shipped this time (an init), so it has no rows. */
  constructor(name: string, query: Query, shipped: ShippedQuery | null, options: QueryViewOptions) {
    this.#name = name;
    this.#query = query;
    this.#shipped = shipped ?? EMPTY;
    this.#options = options;
    this.count = this.#shipped.count;
    const ids = this.#shipped.entities;
    this.entities = ids.byteOffset % 4 === 0 && ids.length === this.count * 4
      ? new Uint32Array(ids.buffer, ids.byteOffset, this.count)
      : new Uint32Array(alignedCopy(ids, this.count * 4).buffer);
  }

  #lists(component: ComponentType, ...keys: (keyof Query)[]): boolean {
    return keys.some((k) => (this.#query[k] ?? []).some((c) => c.name === component.name));
  }

  #deny(action: string, component: string, lists: string): never {
    const where = this.#name === "default" ? "the script's" : `query "${this.#name}"'s`;
    const fix = this.#name === "default" ? "the system's" : `query "${this.#name}"'s`;
    const first = lists.split(" ")[0];
    const rest = lists.includes(" or ") ? ` (or ${lists.split(" or ").slice(1).join(" or ")})` : "";
    throw new GrantViolationError(
      `Cannot ${action} component "${component}" from script "${this.#options.script}": ` +
        `it is not in ${where} ${lists}; add it to ${fix} ${first}${rest}`,
    );
  }

  #columnsOf(component: ComponentType, writable: boolean): Record<string, ArrayBufferView> {
    const cached = this.#views.get(component.name);
    if (cached) return cached;
    const shipped = this.#shipped.columns[component.name] ?? {};
    const views: Record<string, ArrayBufferView> = {};
    const { originals, watchReads } = this.#options;
    for (const f of component.fields) {
      if (f.type === "text") {
        const got = this.#shipped.text?.[component.name]?.[f.name];
        const working = Array.isArray(got) && got.length === this.count
          ? got
          : new Array<string>(this.count).fill(f.default[0] as string);
        views[f.name] = working as never;
        const column = { component: component.name, field: f, original: working.slice(), working };
        if (writable) this.#writtenText.push(column);
        else if (watchReads) this.#readOnlyText.push(column);
        continue;
      }
      const byteLength = this.count * f.width * f.bytes;
      let working = shipped[f.name];
      // Columns arrive aligned inside the frame buffer and are used in place; anything
      // else (a component that was not shipped) gets a zeroed buffer of its own.
      if (!working || working.length !== byteLength || working.byteOffset % 8 !== 0) {
        working = alignedCopy(working, byteLength);
      }
      views[f.name] = fieldArray(f.type, working);
      const key = `${this.#name}\0${component.name}.${f.name}`;
      const column = { component: component.name, field: f.name, working };
      if (writable) this.#written.push({ ...column, original: originals.copy(key, working) });
      else if (watchReads) {
        this.#readOnly.push({ ...column, original: originals.copy(`read ${key}`, working) });
      }
    }
    this.#views.set(component.name, views);
    return views;
  }

  read(component: ComponentType): never {
    if (!this.#lists(component, "reads", "writes", "optional")) {
      this.#deny(
        "read",
        component.name,
        this.#name === "default" ? "reads or writes" : "reads or writes or optional",
      );
    }
    return this.#columnsOf(component, this.#lists(component, "writes")) as never;
  }

  write(component: ComponentType): never {
    if (!this.#lists(component, "writes")) this.#deny("write", component.name, "writes");
    return this.#columnsOf(component, true) as never;
  }

  has(component: ComponentType): Uint8Array {
    const mask = this.#shipped.has?.[component.name];
    if (this.#lists(component, "optional")) {
      return mask && mask.length === this.count ? mask : new Uint8Array(this.count);
    }
    if (!this.#lists(component, "reads", "writes", "with")) {
      this.#deny("test for", component.name, "reads or writes or with or optional");
    }
    return new Uint8Array(this.count).fill(1);
  }

  indexOf(entity: number): number {
    if (this.#rowOf === null) {
      this.#rowOf = new Map();
      for (let i = 0; i < this.count; i++) this.#rowOf.set(this.entities[i]!, i);
    }
    return this.#rowOf.get(entity >>> 0) ?? -1;
  }

  /**
   * The written columns that differ from what was shipped (views, not
   * copies). Throws a TypeError naming the row when a text value is not a
   * string or is longer than its field's max: the script's error.
   */
  changedColumns(): ChangedColumns {
    const changed: ChangedColumns = {};
    for (const w of this.#written) {
      if (sameBytes(w.original, w.working)) continue;
      (changed[w.component] ??= {})[w.field] = w.working;
    }
    for (const t of this.#writtenText) {
      if (sameText(t.original, t.working)) continue;
      t.working.forEach((value, row) => {
        const flat = flattenFieldValue(t.field, value);
        if (typeof flat === "string") {
          throw new TypeError(
            `Invalid value for field "${t.component}.${t.field.name}" at row ${row}: ${flat}`,
          );
        }
      });
      (changed[t.component] ??= {})[t.field.name] = t.working;
    }
    return changed;
  }

  /** Read-only fields the script wrote into (only when watching reads). */
  writesIntoReads(): string[] {
    return [
      ...this.#readOnly.filter((r) => !sameBytes(r.original, r.working))
        .map((r) => `${r.component}.${r.field}`),
      ...this.#readOnlyText.filter((r) => !sameText(r.original, r.working))
        .map((r) => `${r.component}.${r.field.name}`),
    ];
  }
}

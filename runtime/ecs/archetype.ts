/**
 * An archetype table: every entity with exactly one set of components, one
 * typed array per field (SoA), rows packed (removal swaps the last row in).
 *
 * @module
 */
import { type FieldArray, fieldArray, type FieldInfo } from "../../std/internal.ts";
import type { ComponentInfo } from "./component_registry.ts";
import { RowStamps } from "./row_stamps.ts";

/** Any column array. */
export type ColumnArray = FieldArray;

/** A new zeroed array for `n` scalars of a field's type. */
export function newColumnArray(field: FieldInfo, n: number): ColumnArray {
  return fieldArray(field.type, n);
}

/** One field's storage in one archetype: a typed array, or for a text field its strings. */
export interface Column {
  readonly field: FieldInfo;
  data: ColumnArray;
  /** A text field's value per row (null for every other type). */
  readonly text: string[] | null;
}

/** The canonical key of a set of component keys. */
export function archetypeKey(components: readonly string[]): string {
  return [...components].sort().join("+");
}

/** Rows an archetype holds before its first growth: small, so rare sets cost little. */
const INITIAL_CAPACITY = 4;

/** The rows of one component set. */
export class Archetype {
  readonly key: string;
  /** Component keys, sorted. */
  readonly components: readonly string[];
  entities = new Uint32Array(INITIAL_CAPACITY);
  length = 0;
  /** Columns by component key, then field name. */
  readonly columns = new Map<string, Map<string, Column>>();
  /**
   * Per component key, per row: the world's change clock when the row's value
   * of that component last changed (or the row arrived). `changed` filters
   * compare against it; so will drivers' change feeds and replication.
   */
  readonly stamps = new Map<string, RowStamps>();
  /** The script file whose command created this archetype (null: the world itself). */
  readonly creator: string | null;

  constructor(components: readonly ComponentInfo[], creator: string | null = null) {
    this.components = components.map((c) => c.key).sort();
    this.key = this.components.join("+");
    this.creator = creator;
    for (const c of components) this.setComponent(c);
  }

  /** Number of typed arrays this archetype holds, for the runtime's memory budget. */
  get columnCount(): number {
    let n = 1;
    for (const fields of this.columns.values()) n += fields.size;
    return n;
  }

  /** Adds (or replaces, migrating by field name) the storage of a component. */
  setComponent(component: ComponentInfo): void {
    const old = this.columns.get(component.key);
    const fields = new Map<string, Column>();
    for (const field of component.fields) {
      const previous = old?.get(field.name);
      if (field.type === "text") {
        const text = previous?.text ? previous.text.slice(0, this.length) : [];
        for (let row = text.length; row < this.length; row++) text.push(field.default[0] as string);
        fields.set(field.name, { field, data: newColumnArray(field, 0), text });
        continue;
      }
      const data = newColumnArray(field, this.entities.length * field.width);
      if (previous && previous.field.type === field.type) {
        data.set(previous.data.subarray(0, this.length * field.width) as never);
      } else {
        for (let row = 0; row < this.length; row++) {
          data.set(field.default as readonly number[], row * field.width);
        }
      }
      fields.set(field.name, { field, data, text: null });
    }
    this.columns.set(component.key, fields);
    if (!this.stamps.has(component.key)) {
      this.stamps.set(component.key, new RowStamps(this.entities.length));
    }
  }

  has(component: string): boolean {
    return this.columns.has(component);
  }

  column(component: string, field: string): Column {
    const c = this.columns.get(component)?.get(field);
    if (!c) throw new Error(`Archetype ${this.key} has no column ${component}.${field}`);
    return c;
  }

  #grow(): void {
    const capacity = this.entities.length * 2;
    // transfer() moves each buffer into a larger one and frees the old at once, where a
    // copy would leave every old generation to the garbage collector: with hundreds of
    // columns that is hundreds of megabytes of resident memory nobody uses.
    this.entities = new Uint32Array((this.entities.buffer as ArrayBuffer).transfer(capacity * 4));
    for (const fields of this.columns.values()) {
      for (const col of fields.values()) {
        if (col.text) continue; // a JavaScript array grows by itself
        const bytes = capacity * col.field.width * col.data.BYTES_PER_ELEMENT;
        col.data = fieldArray(col.field.type, (col.data.buffer as ArrayBuffer).transfer(bytes));
      }
    }
    for (const stamps of this.stamps.values()) stamps.grow(capacity);
  }

  /**
   * Appends a row holding field defaults; returns the row. `stamp` is the
   * world's change clock now: a new row counts as changed in every component.
   */
  push(id: number, stamp: number): number {
    if (this.length === this.entities.length) this.#grow();
    const row = this.length++;
    this.entities[row] = id;
    for (const fields of this.columns.values()) {
      for (const col of fields.values()) {
        if (col.text) col.text[row] = col.field.default[0] as string;
        else col.data.set(col.field.default as readonly number[], row * col.field.width);
      }
    }
    for (const stamps of this.stamps.values()) stamps.set(row, stamp, this.length);
    return row;
  }

  /** Removes a row by moving the last row into it; returns the moved entity's id, or null. */
  swapRemove(row: number): number | null {
    const last = --this.length;
    if (row === last) {
      for (const fields of this.columns.values()) {
        for (const col of fields.values()) if (col.text) col.text.length = last;
      }
      return null;
    }
    const moved = this.entities[last]!;
    this.entities[row] = moved;
    for (const fields of this.columns.values()) {
      for (const col of fields.values()) {
        if (col.text) {
          col.text[row] = col.text[last]!;
          col.text.length = last; // the removed string is freed
          continue;
        }
        const w = col.field.width;
        col.data.copyWithin(row * w, last * w, last * w + w);
      }
    }
    for (const stamps of this.stamps.values()) stamps.moved(row, last);
    return moved;
  }

  /** Copies every shared component's fields of row `from` in `source` to row `to` here. */
  copyRow(source: Archetype, from: number, to: number): void {
    for (const [name, fields] of this.columns) {
      const other = source.columns.get(name);
      if (!other) continue;
      for (const [fieldName, col] of fields) {
        const src = other.get(fieldName);
        if (!src) continue;
        if (col.text) {
          if (src.text) col.text[to] = src.text[from]!;
          continue;
        }
        if (src.text) continue;
        const w = col.field.width;
        col.data.set(src.data.subarray(from * w, from * w + w) as never, to * w);
      }
    }
  }
}

/**
 * The ECS world: entities, archetype tables and the component registry. It
 * lives only in the coordinator; scripts see copies of the columns they were
 * granted.
 *
 * @module
 */
import type { FieldInfo } from "../std/component.ts";
import { Archetype, archetypeKey, type ColumnArray } from "./archetype.ts";
import { ComponentRegistry } from "./component_registry.ts";
import { EntityAllocator } from "./entity_allocator.ts";

/** Field values by field name, already flattened to numbers. */
export type FlatValues = Record<string, readonly number[]>;

/** The rows a query matched at one moment, in a fixed order. */
export interface RowSet {
  readonly archetypes: readonly Archetype[];
  readonly count: number;
}

/** One entity as written by `--dump`. */
export interface DumpedEntity {
  id: number;
  components: Record<string, Record<string, number | boolean | number[]>>;
}

function bytesOf(data: ColumnArray, start: number, end: number): Uint8Array {
  const b = data.BYTES_PER_ELEMENT;
  return new Uint8Array(data.buffer, data.byteOffset + start * b, (end - start) * b);
}

/** Entities, their components, and the tables that hold them. */
export class World {
  readonly registry = new ComponentRegistry();
  allocator = new EntityAllocator();
  readonly #archetypes = new Map<string, Archetype>();
  readonly #archOf: (Archetype | undefined)[] = [];
  readonly #rowOf: number[] = [];
  #count = 0;

  /** Live entities. */
  get entityCount(): number {
    return this.#count;
  }

  isAlive(id: number): boolean {
    return this.allocator.isAlive(id);
  }

  #archetype(names: readonly string[]): Archetype {
    const key = archetypeKey(names);
    let arch = this.#archetypes.get(key);
    if (!arch) {
      const infos = names.map((n) => {
        const info = this.registry.get(n);
        if (!info) throw new TypeError(`Unknown component "${n}"`);
        return info;
      });
      arch = new Archetype(infos);
      this.#archetypes.set(key, arch);
    }
    return arch;
  }

  #place(id: number, arch: Archetype, row: number): void {
    this.#archOf[id & 0xffffff] = arch;
    this.#rowOf[id & 0xffffff] = row;
  }

  #removeRow(arch: Archetype, row: number): void {
    const moved = arch.swapRemove(row);
    if (moved !== null) this.#rowOf[moved & 0xffffff] = row;
  }

  #setValues(arch: Archetype, row: number, component: string, values: FlatValues): void {
    for (const [field, value] of Object.entries(values)) {
      const col = arch.columns.get(component)?.get(field);
      if (col) col.data.set(value as number[], row * col.field.width);
    }
  }

  /**
   * Spawns a reserved id with components (by name, fields flattened). Returns
   * false when the id is not a free reservation.
   */
  spawn(id: number, components: Record<string, FlatValues>): boolean {
    const names = Object.keys(components);
    const arch = this.#archetype(names);
    if (!this.allocator.activate(id)) return false;
    const row = arch.push(id);
    this.#place(id, arch, row);
    for (const name of names) this.#setValues(arch, row, name, components[name]!);
    this.#count++;
    return true;
  }

  /** Removes a live entity; false when it is not alive. */
  despawn(id: number): boolean {
    if (!this.isAlive(id)) return false;
    const index = id & 0xffffff;
    this.#removeRow(this.#archOf[index]!, this.#rowOf[index]!);
    this.#archOf[index] = undefined;
    this.allocator.free(id);
    this.#count--;
    return true;
  }

  #move(id: number, names: readonly string[]): { arch: Archetype; row: number } {
    const index = id & 0xffffff;
    const from = this.#archOf[index]!;
    const fromRow = this.#rowOf[index]!;
    const to = this.#archetype(names);
    const row = to.push(id);
    to.copyRow(from, fromRow, row);
    this.#removeRow(from, fromRow);
    this.#place(id, to, row);
    return { arch: to, row };
  }

  /** Attaches or sets a component on a live entity; false when it is not alive. */
  add(id: number, component: string, values: FlatValues): boolean {
    if (!this.isAlive(id)) return false;
    const index = id & 0xffffff;
    let arch = this.#archOf[index]!;
    let row = this.#rowOf[index]!;
    if (!arch.has(component)) ({ arch, row } = this.#move(id, [...arch.components, component]));
    this.#setValues(arch, row, component, values);
    return true;
  }

  /** Detaches a component; false when the entity is not alive or lacks it. */
  remove(id: number, component: string): boolean {
    if (!this.isAlive(id)) return false;
    const arch = this.#archOf[id & 0xffffff]!;
    if (!arch.has(component)) return false;
    this.#move(id, arch.components.filter((c) => c !== component));
    return true;
  }

  /** Re-lays out stored data after a component's schema changed (by field name). */
  migrate(component: string): void {
    const info = this.registry.get(component);
    if (!info) return;
    for (const arch of this.#archetypes.values()) if (arch.has(component)) arch.setComponent(info);
  }

  /** The non-empty archetypes holding all `components`, in key order, and their row count. */
  query(components: readonly string[]): RowSet {
    const archetypes = [...this.#archetypes.values()]
      .filter((a) => a.length > 0 && components.every((c) => a.has(c)))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { archetypes, count: archetypes.reduce((n, a) => n + a.length, 0) };
  }

  /** The entity ids of a row set, as bytes (u32 little-endian). */
  gatherEntities(rows: RowSet): Uint8Array {
    return this.#gather(rows, (a) => ({ data: a.entities, width: 1 }));
  }

  /** One field's column over a row set, as bytes (a view when one archetype holds it all). */
  gatherColumn(rows: RowSet, component: string, field: string): Uint8Array {
    return this.#gather(rows, (a) => {
      const col = a.column(component, field);
      return { data: col.data, width: col.field.width };
    });
  }

  #gather(rows: RowSet, pick: (a: Archetype) => { data: ColumnArray; width: number }): Uint8Array {
    if (rows.archetypes.length === 1) {
      const a = rows.archetypes[0]!;
      const { data, width } = pick(a);
      return bytesOf(data, 0, a.length * width);
    }
    const parts = rows.archetypes.map((a) => {
      const { data, width } = pick(a);
      return bytesOf(data, 0, a.length * width);
    });
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** The byte length a field's column over `rows` must have. */
  static columnBytes(field: FieldInfo, rows: RowSet): number {
    return rows.count * field.width * field.bytes;
  }

  /** Writes a column received for `rows` back into the tables (bytes already length-checked). */
  scatterColumn(rows: RowSet, component: string, field: string, bytes: Uint8Array): void {
    let at = 0;
    for (const a of rows.archetypes) {
      const col = a.column(component, field);
      const target = bytesOf(col.data, 0, a.length * col.field.width);
      target.set(bytes.subarray(at, at + target.length));
      at += target.length;
    }
  }

  /** Every archetype (including empty ones), in key order. */
  archetypes(): Archetype[] {
    return [...this.#archetypes.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  /** All live entities and their component values, sorted by id. */
  dump(): DumpedEntity[] {
    const out: DumpedEntity[] = [];
    for (const arch of this.#archetypes.values()) {
      for (let row = 0; row < arch.length; row++) {
        const components: DumpedEntity["components"] = {};
        for (const [name, fields] of arch.columns) {
          const value: Record<string, number | boolean | number[]> = {};
          for (const [fieldName, col] of fields) {
            const w = col.field.width;
            const scalars = Array.from(col.data.subarray(row * w, row * w + w));
            value[fieldName] = w > 1
              ? scalars
              : col.field.type === "bool"
              ? scalars[0] !== 0
              : scalars[0]!;
          }
          components[name] = value;
        }
        out.push({ id: arch.entities[row]!, components });
      }
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /** Re-creates an archetype's rows from saved data (ids must be live in the allocator). */
  restoreRows(
    components: readonly string[],
    ids: Uint32Array,
    columns: Record<string, Record<string, Uint8Array>>,
  ): void {
    const arch = this.#archetype(components);
    for (const id of ids) {
      const row = arch.push(id);
      this.#place(id, arch, row);
      this.#count++;
    }
    const start = arch.length - ids.length;
    for (const [name, fields] of arch.columns) {
      for (const [fieldName, col] of fields) {
        const saved = columns[name]?.[fieldName];
        const w = col.field.width;
        const bytes = bytesOf(col.data, start * w, arch.length * w);
        if (saved && saved.length === bytes.length) bytes.set(saved);
      }
    }
  }
}

/**
 * The ECS world: entities, archetype tables, the component registry and who
 * owns and pays for what. It lives only in the coordinator; scripts see
 * copies of the columns they were granted. Components are addressed by their
 * storage key (see component_registry.ts), never by a bare name.
 *
 * @module
 */
import type { FieldType, FlatField } from "../../std/mod.ts";
import { convertible, convertValues } from "./field_conversion.ts";
import { flattenFieldValue, utf8Length } from "../../std/internal.ts";
import { Archetype, archetypeKey, type ColumnArray } from "./archetype.ts";
import { ComponentRegistry } from "./component_registry.ts";
import { EntityAllocator } from "./entity_allocator.ts";
import { EntityOwners, type Usage } from "./entity_owners.ts";
import { type RowSet, wholeArchetypes } from "./row_set.ts";
import { plainField, ResourceStore } from "./resource_store.ts";
import { EventQueue } from "./event_queue.ts";

/** Field values by field name, already flattened (numbers, or a text field's string). */
export type FlatValues = Record<string, FlatField>;

/** One entity as written by `--dump`: components by display name. */
export interface DumpedEntity {
  id: number;
  components: Record<string, Record<string, number | boolean | string | number[]>>;
}

/**
 * What an archetype costs beyond its rows, charged to the script whose
 * command created it: a JavaScript object per column plus bookkeeping.
 */
export function archetypeOverheadBytes(columns: number): number {
  return 512 + columns * 256;
}

function bytesOf(data: ColumnArray, start: number, end: number): Uint8Array {
  const b = data.BYTES_PER_ELEMENT;
  return new Uint8Array(data.buffer, data.byteOffset + start * b, (end - start) * b);
}

/** `text` cut to at most `max` UTF-8 bytes, never inside a character. */
function fitText(text: string, max: number): string {
  if (utf8Length(text) <= max) return text;
  let out = "";
  for (const ch of text) {
    if (utf8Length(out + ch) > max) break;
    out += ch;
  }
  return out;
}

/** What a schema change did to one stored field (World.migrateComponent). */
export interface FieldChange {
  field: string;
  from: FieldType;
  to: FieldType;
  /** Converted to the new type; false: the types differ in shape, values reset to the default. */
  converted: boolean;
  /** Entities whose value moved. */
  values: number;
  /** Values that lost precision or range on the way. */
  lossy: number;
}

/** Entities, their components, and the tables that hold them. */
export class World {
  readonly registry = new ComponentRegistry();
  /** The world's random seed (u32), chosen when it is created and kept in its state. */
  seed = 0;
  /** The script files (by name in their folder) whose `init` has run in this world, once each. */
  readonly initsRun = new Set<string>();
  /** One value per resource, by name. */
  readonly resources = new ResourceStore();
  /** Events emitted and not yet delivered. */
  readonly events = new EventQueue();
  /**
   * The change clock: advanced by the coordinator before each batch of
   * changes (a tick's commands, each stage's merges), and stamped on the rows
   * each batch changes (Archetype.stamps).
   */
  #clock = 0;
  allocator = new EntityAllocator();
  readonly owners = new EntityOwners();
  /**
   * When not null, every despawned id is appended here: what a log of the
   * world's changes (the JetStream store's) must say besides changed rows.
   */
  despawnLog: number[] | null = null;
  readonly #archetypes = new Map<string, Archetype>();
  readonly #archOf: (Archetype | undefined)[] = [];
  readonly #rowOf: number[] = [];
  #count = 0;

  /** Live entities. */
  get entityCount(): number {
    return this.#count;
  }

  /** Live archetypes (empty ones are freed). */
  get archetypeCount(): number {
    return this.#archetypes.size;
  }

  /** The change clock's current value. */
  get clock(): number {
    return this.#clock;
  }

  /** Advances the change clock: what changes from now on is newer than anything before. */
  advanceClock(): number {
    return ++this.#clock;
  }

  isAlive(id: number): boolean {
    return this.allocator.isAlive(id);
  }

  /** The component keys of a live entity, or null. */
  componentsOf(id: number): readonly string[] | null {
    return this.isAlive(id) ? this.#archOf[id & 0xffffff]!.components : null;
  }

  /** What a script's spawns and attachments cost, and the archetypes it created. */
  usage(file: string): Readonly<Usage> {
    return this.owners.usage(file);
  }

  #stride(key: string): number {
    return this.registry.get(key)?.stride ?? 0;
  }

  /** The bytes a script would pay to spawn an entity with `keys` (a new archetype included). */
  spawnCost(keys: readonly string[]): number {
    return keys.reduce((n, k) => n + this.#stride(k), 0) + this.#newArchetypeCost(keys);
  }

  /** The bytes attaching `key` to `id` would cost (0 when it already has it). */
  addCost(id: number, key: string): number {
    const current = this.componentsOf(id);
    if (current === null || current.includes(key)) return 0;
    return this.#stride(key) + this.#newArchetypeCost([...current, key]);
  }

  /** Whether moving `id` to a set without `key` would create an archetype. */
  removeCreatesArchetype(id: number, key: string): boolean {
    const current = this.componentsOf(id);
    if (current === null || !current.includes(key)) return false;
    return !this.#archetypes.has(archetypeKey(current.filter((c) => c !== key)));
  }

  /** Whether an entity with exactly `keys` would need a new archetype. */
  createsArchetype(keys: readonly string[]): boolean {
    return !this.#archetypes.has(archetypeKey(keys));
  }

  #newArchetypeCost(keys: readonly string[]): number {
    if (!this.createsArchetype(keys)) return 0;
    let columns = 1;
    for (const k of keys) columns += this.registry.get(k)?.fields.length ?? 0;
    return archetypeOverheadBytes(columns);
  }

  #archetype(keys: readonly string[], creator: string | null): Archetype {
    const key = archetypeKey(keys);
    let arch = this.#archetypes.get(key);
    if (!arch) {
      const infos = keys.map((k) => {
        const info = this.registry.get(k);
        if (!info) throw new TypeError(`Unknown component "${k}"`);
        return info;
      });
      arch = new Archetype(infos, creator);
      this.#archetypes.set(key, arch);
      this.owners.archetype(creator, archetypeOverheadBytes(arch.columnCount), 1);
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
    if (arch.length === 0) this.#free(arch);
  }

  /** An empty archetype is dropped, so add/remove churn through new sets cannot pile them up. */
  #free(arch: Archetype): void {
    this.#archetypes.delete(arch.key);
    this.owners.archetype(arch.creator, archetypeOverheadBytes(arch.columnCount), -1);
  }

  #setValues(arch: Archetype, row: number, component: string, values: FlatValues): void {
    for (const [field, value] of Object.entries(values)) {
      const col = arch.columns.get(component)?.get(field);
      if (col?.text) col.text[row] = value[0] as string;
      else if (col) col.data.set(value as readonly number[], row * col.field.width);
    }
  }

  /**
   * Spawns a reserved id with components (by key, fields flattened), owned by
   * script file `by`. Returns false when the id is not a free reservation.
   */
  spawn(id: number, components: Record<string, FlatValues>, by: string | null = null): boolean {
    const keys = Object.keys(components);
    if (!this.allocator.activate(id)) return false;
    const arch = this.#archetype(keys, by);
    const row = arch.push(id, this.#clock);
    this.#place(id, arch, row);
    for (const key of keys) this.#setValues(arch, row, key, components[key]!);
    this.#count++;
    this.owners.spawned(id, by, keys.reduce((n, k) => n + this.#stride(k), 0));
    return true;
  }

  /** Removes a live entity; false when it is not alive. */
  despawn(id: number): boolean {
    if (!this.isAlive(id)) return false;
    const index = id & 0xffffff;
    const arch = this.#archOf[index]!;
    this.owners.despawned(id, arch.components.map((key) => ({ key, bytes: this.#stride(key) })));
    this.#removeRow(arch, this.#rowOf[index]!);
    this.#archOf[index] = undefined;
    this.allocator.free(id);
    this.#count--;
    this.despawnLog?.push(id);
    return true;
  }

  #move(id: number, keys: readonly string[], by: string | null): { arch: Archetype; row: number } {
    const index = id & 0xffffff;
    const from = this.#archOf[index]!;
    const fromRow = this.#rowOf[index]!;
    const to = this.#archetype(keys, by);
    const row = to.push(id, this.#clock);
    to.copyRow(from, fromRow, row);
    this.#place(id, to, row);
    this.#removeRow(from, fromRow);
    return { arch: to, row };
  }

  /**
   * Attaches or sets a component on a live entity, paid for by script file
   * `by`; false when it is not alive.
   */
  add(id: number, component: string, values: FlatValues, by: string | null = null): boolean {
    if (!this.isAlive(id)) return false;
    const index = id & 0xffffff;
    let arch = this.#archOf[index]!;
    let row = this.#rowOf[index]!;
    if (!arch.has(component)) {
      ({ arch, row } = this.#move(id, [...arch.components, component], by));
      this.owners.attached(id, component, by, this.#stride(component));
    } else {
      // A moved row is stamped as it arrives; a value set in place is stamped here.
      arch.stamps.get(component)!.set(row, this.#clock, arch.length);
    }
    this.#setValues(arch, row, component, values);
    return true;
  }

  /** Detaches a component; false when the entity is not alive or lacks it. */
  remove(id: number, component: string, by: string | null = null): boolean {
    if (!this.isAlive(id)) return false;
    const arch = this.#archOf[id & 0xffffff]!;
    if (!arch.has(component)) return false;
    this.owners.detached(id, component, this.#stride(component));
    this.#move(id, arch.components.filter((c) => c !== component), by);
    return true;
  }

  /** Whether any entity holds component `key`. */
  hasData(key: string): boolean {
    for (const arch of this.#archetypes.values()) if (arch.has(key) && arch.length > 0) return true;
    return false;
  }

  /**
   * Gives every entity holding component `from` the component `to`, its
   * fields copied by name (a field whose type changed is converted where the
   * types allow, field_conversion.ts, else starts at its default; `changes`
   * receives what happened to each such field), and unless `keepSource`
   * removes `from`. Entities that already
   * hold `to` keep their values. For schema changes: data follows its
   * component's new definition and is never reinterpreted in place.
   */
  migrateComponent(
    from: string,
    to: string,
    keepSource: boolean,
    changes: FieldChange[] = [],
  ): number {
    const target = this.registry.get(to);
    if (!target || from === to) return 0;
    let moved = 0;
    const byField = new Map<string, FieldChange>();
    const note = (
      field: string,
      was: FieldType,
      is: FieldType,
      converted: boolean,
      lossy: number,
    ) => {
      let change = byField.get(field);
      if (!change) {
        change = { field, from: was, to: is, converted, values: 0, lossy: 0 };
        byField.set(field, change);
        changes.push(change);
      }
      change.values++;
      change.lossy += lossy;
    };
    for (const arch of [...this.#archetypes.values()]) {
      if (!arch.has(from)) continue;
      const keys = arch.components.filter((k) => keepSource || k !== from);
      if (!keys.includes(to)) keys.push(to);
      const into = this.#archetype(keys, null);
      if (into === arch) continue;
      const hadTarget = arch.has(to);
      while (arch.length > 0) {
        const row = arch.length - 1;
        const id = arch.entities[row]!;
        const at = into.push(id, this.#clock);
        into.copyRow(arch, row, at);
        if (!hadTarget) {
          for (const field of target.fields) {
            const src = arch.columns.get(from)?.get(field.name);
            const dst = into.columns.get(to)!.get(field.name)!;
            if (!src) continue;
            const w = field.width;
            if (src.text && dst.text) {
              dst.text[at] = src.text[row]!;
              if (src.field.max !== field.max) {
                const cut = fitText(src.text[row]!, field.max!);
                note(field.name, src.field.type, field.type, true, cut === src.text[row] ? 0 : 1);
                dst.text[at] = cut;
              }
            } else if (src.text || dst.text) {
              note(field.name, src.field.type, field.type, false, 0);
            } else if (src.field.type === field.type) {
              dst.data.set(src.data.subarray(row * w, row * w + w) as never, at * w);
            } else if (convertible(src.field.type, field.type)) {
              const lossy = convertValues(
                src.data,
                src.field.type,
                row * w,
                dst.data,
                field.type,
                at * w,
                w,
              );
              note(field.name, src.field.type, field.type, true, lossy);
            } else {
              note(field.name, src.field.type, field.type, false, 0);
            }
          }
        }
        this.#place(id, into, at);
        arch.length--;
        moved++;
      }
      this.#free(arch);
    }
    this.recount();
    return moved;
  }

  /** Adds up every script's usage again from the tables (after a restore or a migration). */
  recount(): void {
    this.owners.resetTotals();
    for (const arch of this.#archetypes.values()) {
      this.owners.archetype(arch.creator, archetypeOverheadBytes(arch.columnCount), 1);
      const parts = arch.components.map((key) => ({ key, bytes: this.#stride(key) }));
      for (let row = 0; row < arch.length; row++) this.owners.count(arch.entities[row]!, parts);
    }
  }

  /**
   * The rows of the non-empty archetypes holding every component in
   * `required` and none in `without`, archetypes in key order.
   */
  query(required: readonly string[], without: readonly string[] = []): RowSet {
    const archetypes = [...this.#archetypes.values()]
      .filter((a) =>
        a.length > 0 && required.every((c) => a.has(c)) && !without.some((c) => a.has(c))
      )
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return wholeArchetypes(archetypes);
  }

  /** Every live archetype, in key order. */
  archetypes(): Archetype[] {
    return [...this.#archetypes.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  /** All live entities and their component values (by display name), sorted by id. */
  dump(): DumpedEntity[] {
    return [...this.dumpEntities()];
  }

  /**
   * The entities of {@linkcode dump}, one at a time: a dump of a large world
   * is written without ever holding all of it as objects.
   */
  *dumpEntities(): Generator<DumpedEntity> {
    const places: { id: number; arch: Archetype; row: number }[] = [];
    for (const arch of this.#archetypes.values()) {
      for (let row = 0; row < arch.length; row++) {
        places.push({ id: arch.entities[row]!, arch, row });
      }
    }
    places.sort((a, b) => a.id - b.id);
    const names = new Map<string, string>();
    const nameOf = (key: string) => {
      let name = names.get(key);
      if (name === undefined) names.set(key, name = this.registry.displayName(key));
      return name;
    };
    for (const { id, arch, row } of places) {
      const components: DumpedEntity["components"] = {};
      for (const [key, fields] of arch.columns) {
        const value: Record<string, number | boolean | string | number[]> = {};
        for (const [fieldName, col] of fields) {
          const w = col.field.width;
          value[fieldName] = col.text
            ? col.text[row]!
            : plainField(col.field, col.data.subarray(row * w, row * w + w));
        }
        components[nameOf(key)] = value;
      }
      yield { id, components };
    }
  }

  /**
   * Puts the entities `ids` in the archetype of `components` with the saved
   * values `columns` (bytes per field, or a text field's strings; what is
   * missing or the wrong size keeps the defaults): a restore's rows, and a
   * change log's replay, where an entity may be live elsewhere (it moves
   * here), live here (its values are replaced) or not live (its id is
   * claimed from the allocator).
   */
  placeRows(
    components: readonly string[],
    ids: Uint32Array,
    columns: Record<string, Record<string, Uint8Array | string[]>>,
    creator: string | null = null,
  ): void {
    if (ids.length === 0) return;
    const arch = this.#archetype(components, creator);
    const rows = new Uint32Array(ids.length);
    ids.forEach((id, i) => {
      const index = id & 0xffffff;
      const from = this.isAlive(id) ? this.#archOf[index] : undefined;
      if (from === arch) {
        rows[i] = this.#rowOf[index]!;
        for (const stamps of arch.stamps.values()) stamps.set(rows[i]!, this.#clock, arch.length);
        return;
      }
      if (from) this.#removeRow(from, this.#rowOf[index]!);
      else {
        if (!this.isAlive(id)) this.allocator.claim(id);
        this.#count++;
      }
      rows[i] = arch.push(id, this.#clock);
      this.#place(id, arch, rows[i]!);
    });
    // A restore's rows follow one another: each column is one copy.
    const block = rows.every((row, i) => row === rows[0]! + i);
    for (const [name, fields] of arch.columns) {
      for (const [fieldName, col] of fields) {
        const saved = columns[name]?.[fieldName];
        if (col.text) {
          // Each saved string is checked again: a save is trusted no more than a script.
          if (!Array.isArray(saved) || saved.length !== ids.length) continue;
          saved.forEach((t, i) => {
            const flat = typeof t === "string" && flattenFieldValue(col.field, t);
            if (Array.isArray(flat)) col.text![rows[i]!] = flat[0] as string;
          });
          continue;
        }
        const w = col.field.width;
        const size = col.data.BYTES_PER_ELEMENT * w;
        if (!(saved instanceof Uint8Array) || saved.length !== ids.length * size) continue;
        if (block) bytesOf(col.data, rows[0]! * w, (rows[0]! + ids.length) * w).set(saved);
        else {
          rows.forEach((row, i) =>
            bytesOf(col.data, row * w, row * w + w).set(saved.subarray(i * size, i * size + size))
          );
        }
      }
    }
  }
}

/**
 * The world's components. A component is a name **and** a schema: identical
 * definitions of one name (the same module imported by several scripts, or a
 * copy of it) are one component; a different definition of the same name is
 * a different component with storage of its own. So no definition can ever
 * get another script refused or reinterpret another script's data: squatting
 * a name creates a second component beside the first, and both are shown
 * qualified by their module (`Counter@_counter.ts`) wherever both exist.
 *
 * Each component has a stable storage key: its name for the built-ins, the
 * name and a fingerprint of its schema for the others (`Counter@1f2e3d4c`).
 * The registry also remembers which script files declare each component, so
 * that data nobody declares any more can move to the one new definition of
 * its name (a schema edit, or a deleted script's name taken by a new one).
 *
 * @module
 */
import { type FieldInfo, flattenFieldValue, resolveSchema } from "../../std/mod.ts";
import { fieldSpecOf, type FlatField } from "../../std/internal.ts";
import { BUILTIN_COMPONENTS } from "../../std/mod.ts";
import type { WireSchema } from "../protocol/mod.ts";
import { quoteUntrusted } from "../protocol/mod.ts";

/** The module name of the built-in components. */
export const STD_MODULE = "@syncra/std";

/** A component as a script declares it: name, schema and the module that defined it. */
export interface ComponentDefinition {
  readonly name: string;
  readonly schema: WireSchema;
  /** Relative to the scripts folder; null when unknown. */
  readonly module: string | null;
}

/** A registered component. */
export interface ComponentInfo {
  /** The storage key: unique in the world, stable across runs. */
  readonly key: string;
  readonly name: string;
  readonly fields: readonly FieldInfo[];
  /** Bytes per entity over all fields. */
  readonly stride: number;
}

/**
 * The owner's rule on whether a component leaves the server: true or false,
 * or null to leave it to its definition (`replicate: true`).
 */
export type ReplicationRule = (
  component: { name: string; modules: readonly string[] },
) => boolean | null;

/** Converts resolved fields to their wire form. */
export function toWireSchema(fields: readonly FieldInfo[]): WireSchema {
  const out: WireSchema = {};
  for (const f of fields) out[f.name] = fieldSpecOf(f);
  return out;
}

/** The canonical text of a schema: field names, types, defaults (and text max), in order. */
function canonical(fields: readonly FieldInfo[]): string {
  return fields.map((f) =>
    f.type === "text"
      ? `${f.name}:text(${f.max})=${JSON.stringify(f.default[0])}`
      : `${f.name}:${f.type}=${f.default.join(",")}`
  ).join(";");
}

/** FNV-1a, 32 bits, as 8 hex digits: short keys; a collision only adds a suffix. */
function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** Describes a schema for messages: `{ value: u32, extra: f32 }`. */
export function describeSchema(fields: readonly FieldInfo[]): string {
  return `{ ${fields.map((f) => `${f.name}: ${f.type}`).join(", ")} }`;
}

/** A saved registry entry. */
export interface SavedComponent {
  key: string;
  name: string;
  schema: WireSchema;
  modules: string[];
  declarers: string[];
}

/** Components by key, by name and by definition, with the modules and scripts that declare them. */
export class ComponentRegistry {
  readonly #byKey = new Map<string, ComponentInfo>();
  readonly #byDefinition = new Map<string, string>();
  /** Every module ever seen defining each component (saved, and shown when nobody declares it). */
  readonly #modules = new Map<string, Set<string>>();
  /** Component keys each script file declares (its last known manifest), with their modules. */
  readonly #declared = new Map<string, Map<string, string | null>>();

  /** Keys of the components that may leave the server (DESIGN §11: the network driver's grants). */
  readonly #replicated = new Set<string>();

  constructor() {
    for (const c of BUILTIN_COMPONENTS) {
      this.#register(c.name, c.fields, c.name, STD_MODULE);
      if (c.replicate) this.#replicated.add(c.name);
    }
  }

  /**
   * Marks `key` as replicated: a definition said `replicate: true`, or the
   * world's config names it. Once marked it stays so for the run.
   */
  markReplicated(key: string): void {
    if (this.#byKey.has(key)) this.#replicated.add(key);
  }

  #rule: ReplicationRule = () => null;

  /** The world owner's say (syncra.json "components"), which overrides a definition's. */
  setReplicationRule(rule: ReplicationRule): void {
    this.#rule = rule;
  }

  /** Whether the component of `key` may leave the server. */
  isReplicated(key: string): boolean {
    const info = this.#byKey.get(key);
    if (!info) return false;
    return this.#rule({ name: info.name, modules: this.modules(key) }) ?? this.#replicated.has(key);
  }

  /** The components that may leave the server. */
  replicated(): ComponentInfo[] {
    return [...this.#byKey.values()].filter((c) => this.isReplicated(c.key));
  }

  #register(name: string, fields: readonly FieldInfo[], key: string, module: string | null) {
    // A text field is charged its max: what one value may make the world hold.
    const stride = fields.reduce((n, f) => n + (f.max ?? f.width * f.bytes), 0);
    const info: ComponentInfo = Object.freeze({ key, name, fields, stride });
    this.#byKey.set(key, info);
    this.#byDefinition.set(`${name}\0${canonical(fields)}`, key);
    const modules = this.#modules.get(key) ?? new Set();
    if (module !== null) modules.add(module);
    this.#modules.set(key, modules);
    return info;
  }

  /** The component of a definition, registered if new. Throws TypeError on an invalid schema. */
  resolve(definition: ComponentDefinition): ComponentInfo {
    const fields = resolveSchema(definition.name, definition.schema);
    const existing = this.#byDefinition.get(`${definition.name}\0${canonical(fields)}`);
    if (existing !== undefined) {
      if (definition.module !== null) this.#modules.get(existing)!.add(definition.module);
      return this.#byKey.get(existing)!;
    }
    const base = `${definition.name}@${fingerprint(canonical(fields))}`;
    let key = base;
    for (let n = 2; this.#byKey.has(key); n++) key = `${base}~${n}`;
    return this.#register(definition.name, fields, key, definition.module);
  }

  get(key: string): ComponentInfo | undefined {
    return this.#byKey.get(key);
  }

  /** Every registered component, in key order. */
  all(): ComponentInfo[] {
    return [...this.#byKey.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  /** The components sharing a name, in key order. */
  named(name: string): ComponentInfo[] {
    return this.all().filter((c) => c.name === name);
  }

  /** Whether `key` is a component of std. */
  isBuiltin(key: string): boolean {
    return this.#modules.get(key)?.has(STD_MODULE) ?? false;
  }

  /**
   * The modules that define a component, sorted: those of the scripts that
   * declare it now, or where nobody does, every module ever seen defining it.
   */
  modules(key: string): string[] {
    const current = new Set<string>();
    for (const keys of this.#declared.values()) {
      const module = keys.get(key);
      if (module !== undefined && module !== null) current.add(module);
    }
    return [...(current.size > 0 ? current : this.#modules.get(key) ?? [])].sort();
  }

  /**
   * How a component is shown in dumps, messages and config: its name, or
   * where another component has the same name, the name qualified by its
   * module (`Counter@_counter.ts`), and by its key when even that is shared.
   */
  displayName(key: string): string {
    const info = this.#byKey.get(key);
    if (!info) return key;
    // A built-in is the world's shared vocabulary (drivers read it): it keeps its name, and
    // a script's own definition of that name is the one qualified.
    if (this.isBuiltin(key)) return info.name;
    const rivals = this.named(info.name).filter((r) => !this.isBuiltin(r.key));
    if (rivals.length === 1 && !this.#byKey.has(info.name)) return info.name;
    const module = this.modules(key)[0];
    if (module === undefined) return key;
    const sameModule = rivals.filter((r) => this.modules(r.key)[0] === module);
    return sameModule.length === 1 ? `${info.name}@${module}` : `${info.name}@${module}#${key}`;
  }

  /**
   * Records the components a script file declares, each with the module its
   * manifest says defined it (replacing what it declared before); returns
   * the keys it no longer declares.
   */
  declare(
    file: string,
    components: Iterable<readonly [key: string, module: string | null]>,
  ): string[] {
    const next = new Map(components);
    const before = this.#declared.get(file) ?? new Map();
    this.#declared.set(file, next);
    return [...before.keys()].filter((k) => !next.has(k));
  }

  /** The components a file declares. */
  declaredBy(file: string): ReadonlySet<string> {
    return new Set(this.#declared.get(file)?.keys());
  }

  /** The script files that declare a component, sorted. */
  declarers(key: string): string[] {
    const out: string[] = [];
    for (const [file, keys] of this.#declared) if (keys.has(key)) out.push(file);
    return out.sort();
  }

  /** Forgets every script file not in `live` (deleted); returns whether any was forgotten. */
  retain(live: ReadonlySet<string>): boolean {
    let changed = false;
    for (const file of [...this.#declared.keys()]) {
      if (!live.has(file)) changed = this.#declared.delete(file) || changed;
    }
    return changed;
  }

  /**
   * Removes components that are not built in, not declared by any script and
   * for which `inUse` is false (no entity holds them), so the registry cannot
   * grow without bound as scripts come and go.
   */
  prune(inUse: (key: string) => boolean): void {
    for (const [key, info] of this.#byKey) {
      if (this.isBuiltin(key) || inUse(key)) continue;
      if (this.declarers(key).length > 0) continue;
      this.#byKey.delete(key);
      this.#modules.delete(key);
      this.#byDefinition.delete(`${info.name}\0${canonical(info.fields)}`);
    }
  }

  /** The registry's state, for saving (built-ins included, for their declarers). */
  save(): SavedComponent[] {
    return this.all().map((c) => ({
      key: c.key,
      name: c.name,
      schema: toWireSchema(c.fields),
      modules: this.modules(c.key),
      declarers: this.declarers(c.key),
    }));
  }

  /** Registers a saved component under its saved key; throws TypeError on an invalid entry. */
  restore(saved: SavedComponent): ComponentInfo {
    const fields = resolveSchema(saved.name, saved.schema);
    let info = this.#byKey.get(saved.key);
    // A built-in whose schema grew since the save keeps its key: rows are restored by field name.
    if (info && !this.isBuiltin(saved.key)) {
      if (canonical(info.fields) !== canonical(fields)) {
        throw new TypeError(`Saved component "${saved.key}" is listed twice with two schemas`);
      }
    }
    info ??= this.#register(saved.name, fields, saved.key, null);
    for (const m of saved.modules) this.#modules.get(saved.key)!.add(m);
    for (const file of saved.declarers) {
      const keys = this.#declared.get(file) ?? new Map();
      keys.set(saved.key, saved.modules.length === 1 ? saved.modules[0]! : null);
      this.#declared.set(file, keys);
    }
    return info;
  }
}

/** Flattens `{ field: value }` for a component; returns an error message instead on bad input. */
export function flattenComponentValue(
  component: ComponentInfo,
  value: unknown,
): Record<string, FlatField> | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `the value of component "${component.name}" must be an object`;
  }
  const out: Record<string, FlatField> = {};
  for (const [field, v] of Object.entries(value)) {
    const info = component.fields.find((f) => f.name === field);
    if (!info) return `component "${component.name}" has no field ${quoteUntrusted(field)}`;
    const flat = flattenFieldValue(info, v);
    if (typeof flat === "string") return `field "${component.name}.${field}": ${flat}`;
    out[field] = flat;
  }
  return out;
}

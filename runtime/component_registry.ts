/**
 * The world's component schemas, by name, and who declared them. Two live
 * scripts may not define one name differently; a script that changes its own
 * component's schema (an edit, a hot reload) migrates the stored data.
 *
 * @module
 */
import { type FieldInfo, flattenFieldValue, resolveSchema } from "../std/component.ts";
import { BUILTIN_COMPONENTS } from "../std/builtins.ts";
import type { WireSchema } from "../sandbox/protocol.ts";
import { ManifestError } from "../sandbox/errors.ts";

/** The owner name of built-in components. */
export const STD_OWNER = "@syncra/std";

/** A registered component. */
export interface ComponentInfo {
  readonly name: string;
  readonly fields: readonly FieldInfo[];
  /** Bytes per entity over all fields. */
  readonly stride: number;
}

/** Converts resolved fields to their wire form. */
export function toWireSchema(fields: readonly FieldInfo[]): WireSchema {
  const out: WireSchema = {};
  for (const f of fields) out[f.name] = { type: f.type, default: [...f.default] };
  return out;
}

function sameSchema(a: readonly FieldInfo[], b: readonly FieldInfo[]): boolean {
  return a.length === b.length && a.every((f, i) => {
    const g = b[i]!;
    return f.name === g.name && f.type === g.type &&
      f.default.length === g.default.length && f.default.every((v, j) =>
        Object.is(v, g.default[j])
      );
  });
}

function describeSchema(fields: readonly FieldInfo[]): string {
  return `{ ${fields.map((f) => `${f.name}: ${f.type}`).join(", ")} }`;
}

/** Schemas by name, with the scripts that declared each. */
export class ComponentRegistry {
  readonly #components = new Map<string, ComponentInfo>();
  readonly #owners = new Map<string, Set<string>>();

  constructor() {
    for (const c of BUILTIN_COMPONENTS) this.#set(c.name, c.fields, STD_OWNER);
  }

  #set(name: string, fields: readonly FieldInfo[], owner: string): ComponentInfo {
    const stride = fields.reduce((n, f) => n + f.width * f.bytes, 0);
    const info: ComponentInfo = { name, fields, stride };
    this.#components.set(name, info);
    const owners = this.#owners.get(name) ?? new Set();
    owners.add(owner);
    this.#owners.set(name, owners);
    return info;
  }

  get(name: string): ComponentInfo | undefined {
    return this.#components.get(name);
  }

  /** Every registered component, in name order. */
  all(): ComponentInfo[] {
    return [...this.#components.values()].sort((a, b) => a.name < b.name ? -1 : 1);
  }

  /**
   * Checks a script's declared schemas against the registry without changing
   * it. Throws ManifestError naming both scripts on a conflict; returns the
   * components whose schema the script changes (to migrate).
   */
  check(owner: string, schemas: Record<string, WireSchema>): string[] {
    const changed: string[] = [];
    for (const [name, wire] of Object.entries(schemas)) {
      const fields = resolveSchema(name, wire);
      const existing = this.#components.get(name);
      if (!existing || sameSchema(existing.fields, fields)) continue;
      const others = [...(this.#owners.get(name) ?? [])].filter((o) => o !== owner);
      if (others.length > 0) {
        const who = others[0] === STD_OWNER ? "the built-in component" : `script "${others[0]}"`;
        throw new ManifestError(
          `Component "${name}" is defined differently by script "${owner}" ${
            describeSchema(fields)
          } and by ${who} ${
            describeSchema(existing.fields)
          }: rename one, or make the definitions identical (export it from one file and import it)`,
        );
      }
      changed.push(name);
    }
    return changed;
  }

  /** Records a script's schemas (after `check`). */
  declare(owner: string, schemas: Record<string, WireSchema>): void {
    for (const [name, wire] of Object.entries(schemas)) {
      this.#set(name, resolveSchema(name, wire), owner);
    }
  }

  /** Registers a schema loaded from saved state (owned by nobody live). */
  restore(name: string, wire: WireSchema): ComponentInfo {
    const existing = this.#components.get(name);
    if (existing && this.#owners.get(name)?.has(STD_OWNER)) return existing;
    const info = this.#set(name, resolveSchema(name, wire), "saved state");
    this.#owners.get(name)!.delete("saved state");
    return info;
  }

  /** Forgets a script as owner of its components (it stopped or was deleted). */
  release(owner: string): void {
    for (const owners of this.#owners.values()) owners.delete(owner);
  }

  /** Forgets every script owner not in `live` (their files were deleted). */
  retain(live: ReadonlySet<string>): void {
    for (const owners of this.#owners.values()) {
      for (const o of owners) if (o !== STD_OWNER && !live.has(o)) owners.delete(o);
    }
  }
}

/** Flattens `{ field: value }` for a component; returns an error message instead on bad input. */
export function flattenComponentValue(
  component: ComponentInfo,
  value: unknown,
): Record<string, readonly number[]> | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `the value of component "${component.name}" must be an object`;
  }
  const out: Record<string, number[]> = {};
  for (const [field, v] of Object.entries(value)) {
    const info = component.fields.find((f) => f.name === field);
    if (!info) return `component "${component.name}" has no field "${field}"`;
    const flat = flattenFieldValue(info, v);
    if (typeof flat === "string") return `field "${component.name}.${field}": ${flat}`;
    out[field] = flat;
  }
  return out;
}

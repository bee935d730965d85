/**
 * The world's resources (DESIGN §3): one value per resource name, with the
 * schema its scripts declare. A declaration with another schema keeps what
 * fits (fields by name, converted where the types allow, field_conversion.ts)
 * and resets the rest to defaults, saying so.
 *
 * @module
 */
import type { FieldInfo, FieldValue, FlatField } from "../../std/mod.ts";
import { flattenFieldValue, resolveSchema } from "../../std/mod.ts";
import type { WireSchema, WireValue } from "../protocol/mod.ts";
import { convertible, convertValues } from "./field_conversion.ts";
import { toWireSchema } from "./component_registry.ts";

/**
 * A field's flattened value as a script sees it: a number, a boolean, a
 * string for text, or an array for vec3 and quat.
 */
export function plainField(
  field: FieldInfo,
  scalars: ArrayLike<number> | FlatField,
): number | boolean | string | number[] {
  if (field.width > 1) return Array.from(scalars as ArrayLike<number>);
  return field.type === "bool" ? scalars[0] !== 0 : scalars[0]!;
}

/** A resource as it is saved. */
export interface SavedResource {
  name: string;
  schema: WireSchema;
  values: WireValue;
}

interface ResourceState {
  fields: readonly FieldInfo[];
  /** Each field's value, flattened. */
  values: Map<string, FlatField>;
}

/** Every resource of a world. */
export class ResourceStore {
  readonly #resources = new Map<string, ResourceState>();

  /** Resource names, sorted. */
  names(): string[] {
    return [...this.#resources.keys()].sort();
  }

  /** The fields resource `name` has now, if it exists. */
  fieldsOf(name: string): readonly FieldInfo[] | undefined {
    return this.#resources.get(name)?.fields;
  }

  /**
   * Makes sure resource `name` exists with `fields` (created with defaults).
   * When it exists with another schema it takes the new one; returns what
   * happened to its values then, else null.
   */
  declare(name: string, fields: readonly FieldInfo[]): string | null {
    const old = this.#resources.get(name);
    const values = new Map<string, FlatField>(fields.map((f) => [f.name, f.default]));
    if (!old) {
      this.#resources.set(name, { fields, values });
      return null;
    }
    if (sameSchema(old.fields, fields)) return null;
    const kept: string[] = [];
    const reset: string[] = [];
    for (const f of fields) {
      const was = old.fields.find((o) => o.name === f.name);
      if (!was) continue;
      const value = old.values.get(f.name)!;
      if (was.type === "text" && f.type === "text") {
        // A shorter max keeps what still fits.
        const flat = flattenFieldValue(f, value);
        if (typeof flat === "string") reset.push(`${f.name} (${flat})`);
        else {
          values.set(f.name, flat);
          kept.push(f.name);
        }
      } else if (
        was.width === f.width && was.type !== "text" && f.type !== "text" &&
        convertible(was.type, f.type)
      ) {
        const into: number[] = [...f.default as readonly number[]];
        convertValues(value as readonly number[], was.type, 0, into, f.type, 0, f.width);
        values.set(f.name, into);
        kept.push(f.name);
      } else reset.push(`${f.name} (${was.type} cannot become ${f.type})`);
    }
    this.#resources.set(name, { fields, values });
    return `resource "${name}" changed its schema: ` +
      (kept.length > 0 ? `kept ${kept.join(", ")}` : "kept no value") +
      (reset.length > 0 ? `; reset ${reset.join(", ")} to the default` : "");
  }

  /** Resource `name` as a plain object (as shipped to a system), or undefined. */
  plain(name: string): WireValue | undefined {
    const r = this.#resources.get(name);
    if (!r) return undefined;
    const out: WireValue = {};
    for (const f of r.fields) out[f.name] = plainField(f, r.values.get(f.name)!) as FieldValue;
    return out;
  }

  /** Sets one field (already checked against the field's type). */
  set(name: string, field: string, value: FlatField): void {
    const values = this.#resources.get(name)?.values;
    if (values?.has(field)) values.set(field, value);
  }

  /** Every resource as a plain object, by name (sorted), for `--dump`. */
  dump(): Record<string, WireValue> {
    return Object.fromEntries(this.names().map((n) => [n, this.plain(n)!]));
  }

  /** Every resource with its schema, for the saved state. */
  save(): SavedResource[] {
    return this.names().map((name) => ({
      name,
      schema: toWireSchema(this.#resources.get(name)!.fields),
      values: this.plain(name)!,
    }));
  }

  /** Puts back a saved resource; throws TypeError naming what is wrong with it. */
  restore(saved: SavedResource): void {
    const fields = resolveSchema(saved.name, saved.schema, "resource");
    const values = new Map<string, FlatField>();
    for (const f of fields) {
      const flat = flattenFieldValue(f, saved.values?.[f.name] ?? f.default);
      if (typeof flat === "string") {
        throw new TypeError(`saved resource "${saved.name}".${f.name}: ${flat}`);
      }
      values.set(f.name, flat);
    }
    this.#resources.set(saved.name, { fields, values });
  }
}

function sameSchema(a: readonly FieldInfo[], b: readonly FieldInfo[]): boolean {
  return a.length === b.length && a.every((f, i) => f.name === b[i]!.name && f.type === b[i]!.type);
}

/**
 * A script's or driver's value of a component (or event) as it travels:
 * every field checked against its type, flattened, text as its string. The
 * host checks so that an honest mistake is an error with the script's line;
 * the runtime checks again, as if the child were hostile.
 *
 * @module
 */
import type { FieldInfo, FieldValue } from "../../std/mod.ts";
import { flattenFieldValue } from "../../std/internal.ts";

/** `value` ({ field: value }) of a type with `fields`, flattened; throws a TypeError naming the field. */
export function wireValues(
  type: { readonly fields: readonly FieldInfo[] },
  name: string,
  value: unknown,
  what: "component" | "event" = "component",
): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  if (value === undefined) return out;
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`Cannot attach ${what} "${name}": the value must be an object`);
  }
  for (const [field, v] of Object.entries(value)) {
    const info: FieldInfo | undefined = type.fields.find((f) => f.name === field);
    if (!info) {
      throw new TypeError(
        `${what === "event" ? "Event" : "Component"} "${name}" has no field "${field}"`,
      );
    }
    const flat = flattenFieldValue(info, v);
    if (typeof flat === "string") {
      throw new TypeError(`Invalid value for field "${name}.${field}": ${flat}`);
    }
    out[field] = info.type === "text" ? flat[0]! : flat as number[];
  }
  return out;
}

/** A field's default as a script sees it: a number, a boolean, a string, or an array. */
export function plainDefault(f: FieldInfo): unknown {
  if (f.width > 1) return [...f.default];
  return f.type === "bool" ? f.default[0] === 1 : f.default[0];
}

/**
 * Component definitions: a name plus a typed field schema. Components are
 * plain data; the coordinator stores each field as one typed array (SoA).
 *
 * @module
 */

/** The field types a component may use. */
export type FieldType =
  | "f32"
  | "f64"
  | "i32"
  | "u32"
  | "u8"
  | "bool"
  | "vec3"
  | "quat"
  | "entity"
  | "text";

/** A value a field accepts when spawning or adding a component (a string for `text`). */
export type FieldValue = number | boolean | string | readonly number[];

/**
 * A field declared by its type alone, or with a default value; a `text`
 * field may also set `max`, the most UTF-8 bytes it holds (default 256).
 */
export type FieldSpec = FieldType | {
  readonly type: FieldType;
  readonly default?: FieldValue;
  readonly max?: number;
};

/** One field's value flattened: its scalars, or a text field's string. */
export type FlatField = readonly number[] | readonly [string];

/** A component's fields, by name. */
export type Schema = { readonly [field: string]: FieldSpec };

/** The field type of a field spec. */
export type FieldTypeOf<F extends FieldSpec> = F extends FieldType ? F
  : F extends { readonly type: infer T } ? T
  : never;

/** The typed array a field of type `T` arrives in (an array of strings for `text`). */
export type ArrayFor<T extends FieldType> = T extends "text" ? string[]
  : T extends "f32" | "vec3" | "quat" ? Float32Array
  : T extends "f64" ? Float64Array
  : T extends "i32" ? Int32Array
  : T extends "u32" | "entity" ? Uint32Array
  : Uint8Array;

/** The columns of a component as a system sees them: one typed array per field. */
export type Columns<S extends Schema> = { [K in keyof S]: ArrayFor<FieldTypeOf<S[K]>> };

/** The value of one entity's component, as passed to `spawn` and `add`. */
export type ComponentValue<S extends Schema = Schema> = { [K in keyof S]?: FieldValue };

/** One field, resolved: its type, the number of scalars per entity and its default. */
export interface FieldInfo {
  /** The field's name in its component. */
  readonly name: string;
  /** Its declared type. */
  readonly type: FieldType;
  /** Scalars per entity: 3 for vec3, 4 for quat, 1 otherwise. */
  readonly width: number;
  /** Bytes per scalar (0 for text, which travels as strings). */
  readonly bytes: number;
  /** The value of a new entity's field: `width` scalars, or one string for text. */
  readonly default: FlatField;
  /** For text: the most UTF-8 bytes a value may hold. */
  readonly max?: number;
}

/** A component type, as returned by {@linkcode defineComponent}. */
export interface ComponentType<S extends Schema = Schema> {
  /** The component's name, as scripts and the dump know it. */
  readonly name: string;
  /** The schema it was defined with. */
  readonly schema: S;
  /** Its fields, resolved, in schema order. */
  readonly fields: readonly FieldInfo[];
  /**
   * The module that defined it, relative to the scripts folder (set by the
   * runtime's bundler; null outside a bundle). Two different definitions of
   * one name are two components, told apart by their modules.
   */
  readonly module: string | null;
  /**
   * Whether it may leave the server to the world's clients (DESIGN §11):
   * the network driver is granted exactly the replicated components, so a
   * component that is not is never sent to anyone.
   */
  readonly replicate: boolean;
}

/** How a component is shared, besides its schema. */
export interface ComponentOptions {
  /** Send it to the world's clients (the network driver). @default false */
  readonly replicate?: boolean;
}

const FIELD_LAYOUT: Record<FieldType, { width: number; bytes: number }> = {
  f32: { width: 1, bytes: 4 },
  f64: { width: 1, bytes: 8 },
  i32: { width: 1, bytes: 4 },
  u32: { width: 1, bytes: 4 },
  u8: { width: 1, bytes: 1 },
  bool: { width: 1, bytes: 1 },
  vec3: { width: 3, bytes: 4 },
  quat: { width: 4, bytes: 4 },
  entity: { width: 1, bytes: 4 },
  text: { width: 1, bytes: 0 },
};

/** The `max` of a text field that declares none, in UTF-8 bytes. */
export const DEFAULT_TEXT_MAX = 256;
/** The largest `max` a text field may declare (what one frame string may hold). */
export const LARGEST_TEXT_MAX = 65536;

/** The UTF-8 length of a string, without encoding it. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** A field as it travels in a schema: type, default and (for text) max. */
export function fieldSpecOf(
  field: FieldInfo,
): { type: FieldType; default: number[] | [string]; max?: number } {
  const spec = { type: field.type, default: [...field.default] as number[] | [string] };
  return field.max === undefined ? spec : { ...spec, max: field.max };
}

/** Any array a column arrives in. */
export type FieldArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;

/**
 * A typed array for a field type: `n` zeroed scalars, or a view of a buffer
 * or of a Uint8Array's bytes (which must be aligned for the type).
 * Used by the coordinator's tables and the in-child host alike. (A text
 * field has no typed array: it gets an empty one, its strings live apart.)
 */
export function fieldArray(type: FieldType, size: number | ArrayBuffer | Uint8Array): FieldArray {
  const make = <T>(C: {
    new (n: number): T;
    new (b: ArrayBufferLike, offset: number, length: number): T;
    BYTES_PER_ELEMENT: number;
  }): T => {
    if (typeof size === "number") return new C(size);
    const bytes = size instanceof Uint8Array ? size : new Uint8Array(size);
    return new C(
      bytes.buffer,
      bytes.byteOffset,
      Math.floor(bytes.byteLength / C.BYTES_PER_ELEMENT),
    );
  };
  switch (type) {
    case "text":
      return new Uint8Array(0);
    case "f64":
      return make(Float64Array);
    case "i32":
      return make(Int32Array);
    case "u32":
    case "entity":
      return make(Uint32Array);
    case "u8":
    case "bool":
      return make(Uint8Array);
    default:
      return make(Float32Array);
  }
}

/** Whether `value` names a field type. */
export function isFieldType(value: unknown): value is FieldType {
  return typeof value === "string" && Object.hasOwn(FIELD_LAYOUT, value);
}

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Whether `name` is usable as a component, field or system name. */
export function isValidName(name: unknown): name is string {
  return typeof name === "string" && NAME_PATTERN.test(name) && name !== "__proto__";
}

function defaultFor(type: FieldType): number[] | [string] {
  if (type === "quat") return [0, 0, 0, 1];
  if (type === "text") return [""];
  return new Array(FIELD_LAYOUT[type].width).fill(0);
}

/** The largest finite f32. */
const F32_MAX = 3.4028234663852886e38;

/** The range of each scalar type, as a check and the words for an error. */
const SCALAR_RANGE: Record<FieldType, { ok: (v: number) => boolean; expected: string }> = {
  f32: { ok: (v) => Number.isFinite(v) && Math.abs(v) <= F32_MAX, expected: "a finite f32" },
  vec3: { ok: (v) => Number.isFinite(v) && Math.abs(v) <= F32_MAX, expected: "finite f32s" },
  quat: { ok: (v) => Number.isFinite(v) && Math.abs(v) <= F32_MAX, expected: "finite f32s" },
  f64: { ok: Number.isFinite, expected: "a finite number" },
  i32: {
    ok: (v) => Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff,
    expected: "an integer from -2147483648 to 2147483647",
  },
  u32: {
    ok: (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff,
    expected: "an integer from 0 to 4294967295",
  },
  entity: {
    ok: (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff,
    expected: "an entity id (an integer from 0 to 4294967295)",
  },
  u8: {
    ok: (v) => Number.isInteger(v) && v >= 0 && v <= 255,
    expected: "an integer from 0 to 255",
  },
  bool: { ok: (v) => v === 0 || v === 1, expected: "true, false, 0 or 1" },
  text: { ok: () => false, expected: "a string" },
};

/**
 * Whether a scalar fits a field type: finite for float types, an integer in
 * range for integer and entity types, 0 or 1 for bool. Shared by every
 * place a value enters the world, so that a stored value always round-trips.
 */
export function scalarFits(type: FieldType, value: number): boolean {
  return SCALAR_RANGE[type].ok(value);
}

/**
 * Flattens a field value into `width` numbers, or returns an error message.
 * Shared by the std context, the coordinator and the state loader so that a
 * value means the same thing everywhere. Every scalar must fit the field's
 * type ({@linkcode scalarFits}): `Infinity` or `-1` in a `u32` is an error,
 * not a silent wrap.
 */
export function flattenFieldValue(field: FieldInfo, value: unknown): number[] | [string] | string {
  const range = SCALAR_RANGE[field.type];
  if (field.type === "text") {
    if (Array.isArray(value) && value.length === 1) value = value[0];
    if (typeof value !== "string") return `expected a string, got ${describe(value)}`;
    const bytes = utf8Length(value);
    const max = field.max ?? DEFAULT_TEXT_MAX;
    if (bytes > max) return `expected at most ${max} bytes of text, got ${bytes}`;
    return [value];
  }
  if (field.width === 1) {
    if (Array.isArray(value) && value.length === 1) value = value[0];
    if (typeof value === "boolean") return [value ? 1 : 0];
    if (typeof value === "number") {
      return range.ok(value) ? [value] : `expected ${range.expected}, got ${value}`;
    }
    return `expected a number, got ${describe(value)}`;
  }
  if (
    Array.isArray(value) && value.length === field.width &&
    value.every((v) => typeof v === "number")
  ) {
    const bad = value.find((v) => !range.ok(v));
    if (bad !== undefined) return `expected ${range.expected}, got ${bad}`;
    return value as number[];
  }
  return `expected an array of ${field.width} numbers, got ${describe(value)}`;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value === null) return "null";
  return typeof value === "string" ? `"${value.slice(0, 40)}"` : typeof value;
}

/** Resolves a field spec into its layout, validating it. */
export function resolveField(
  name: string,
  spec: unknown,
  component: string,
  what = "component",
): FieldInfo {
  if (!isValidName(name)) {
    throw new TypeError(`Cannot define ${what} "${component}": invalid field name "${name}"`);
  }
  const type = typeof spec === "object" && spec !== null ? (spec as { type?: unknown }).type : spec;
  if (!isFieldType(type)) {
    throw new TypeError(
      `Cannot define ${what} "${component}": field "${name}" has unknown type "${
        String(type)
      }", expected one of ${Object.keys(FIELD_LAYOUT).join(" ")}`,
    );
  }
  const layout = FIELD_LAYOUT[type];
  let info: FieldInfo = { name, type, ...layout, default: defaultFor(type) };
  const declared = typeof spec === "object" && spec !== null ? spec as Record<string, unknown> : {};
  if (type === "text") {
    const max = declared.max ?? DEFAULT_TEXT_MAX;
    if (typeof max !== "number" || !Number.isInteger(max) || max < 1 || max > LARGEST_TEXT_MAX) {
      throw new TypeError(
        `Cannot define ${what} "${component}": field "${name}" has max ${
          String(max)
        }, expected an integer from 1 to ${LARGEST_TEXT_MAX} (bytes of UTF-8)`,
      );
    }
    info = { ...info, max };
  } else if (declared.max !== undefined) {
    throw new TypeError(
      `Cannot define ${what} "${component}": field "${name}" sets max, which only text fields have`,
    );
  }
  const given = declared.default;
  if (given === undefined) return info;
  const flat = flattenFieldValue(info, given);
  if (typeof flat === "string") {
    throw new TypeError(
      `Cannot define ${what} "${component}": default of field "${name}" is invalid: ${flat}`,
    );
  }
  return { ...info, default: flat };
}

/** Resolves and validates a whole schema (of a component, or of a resource or event: `what`). */
export function resolveSchema(component: string, schema: unknown, what = "component"): FieldInfo[] {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new TypeError(`Cannot define ${what} "${component}": the schema must be an object`);
  }
  const entries = Object.entries(schema);
  if (entries.length > 64) {
    throw new RangeError(`Cannot define ${what} "${component}": more than 64 fields`);
  }
  return entries.map(([name, spec]) => resolveField(name, spec, component, what));
}

/**
 * Defines a component: a named set of typed fields.
 *
 * @example Define a component and read its field layout
 * ```ts
 * import { defineComponent } from "@syncra/std";
 * import assert from "node:assert/strict";
 *
 * const Spin = defineComponent("Spin", { speed: "f32", axis: { type: "vec3", default: [0, 1, 0] } });
 * assert.equal(Spin.name, "Spin");
 * assert.deepEqual(Spin.fields.map((f) => [f.name, f.width]), [["speed", 1], ["axis", 3]]);
 * ```
 *
 * @example A component the world's clients receive
 * ```ts
 * import { defineComponent } from "@syncra/std";
 * import assert from "node:assert/strict";
 *
 * const Score = defineComponent("Score", { points: "u32" }, { replicate: true });
 * assert.equal(Score.replicate, true);
 * ```
 */
export function defineComponent<const S extends Schema>(
  name: string,
  schema: S,
  options: ComponentOptions = {},
): ComponentType<S> {
  return defineComponentIn(null, name, schema, options);
}

/**
 * {@linkcode defineComponent} for a known module. The bundler gives each
 * script module its own `defineComponent` bound to the module's path, so the
 * runtime learns where every component was defined.
 */
export function defineComponentIn<const S extends Schema>(
  module: string | null,
  name: string,
  schema: S,
  options: ComponentOptions = {},
): ComponentType<S> {
  if (!isValidName(name)) {
    throw new TypeError(
      `Cannot define component "${String(name)}": names are letters, digits and "_", up to 64`,
    );
  }
  const fields = Object.freeze(resolveSchema(name, schema).map((f) => Object.freeze(f)));
  if (options === null || typeof options !== "object") {
    throw new TypeError(`Cannot define component "${name}": its options must be an object`);
  }
  if (options.replicate !== undefined && typeof options.replicate !== "boolean") {
    throw new TypeError(`Cannot define component "${name}": "replicate" must be true or false`);
  }
  return Object.freeze({ name, schema, fields, module, replicate: options.replicate === true });
}

/**
 * Checks a child's `result` against what the script was granted, before
 * anything reaches the world. The child is untrusted: this is where the
 * grants are enforced (the in-child host only gives honest scripts early,
 * readable errors). Any violation drops the whole result.
 *
 * - Columns: per query, only fields of components in that query's writes,
 *   exactly the length of the rows that query was shipped, and every value
 *   in range for its type (finite floats, 0 or 1 for bools).
 * - Resources: only fields of resources in its `resources.writes`, each value
 *   of its field's type. Events: only types in its `emits`, values of the
 *   type's fields, at most `maxEvents` a tick.
 * - Commands (with `spawns: true`): spawns only of ids reserved for it this
 *   tick; despawn, add and remove only of entities it was shipped this tick
 *   or spawned itself (DESIGN §5); only components in its writes.
 *
 * Every string a child sent is quoted truncated in messages
 * (sandbox/untrusted_text.ts).
 *
 * @module
 */
import { type FieldInfo, type FlatField, flattenFieldValue } from "../../std/mod.ts";
import type { Manifest } from "../roles/mod.ts";
import type { WireError, WireValue } from "../protocol/mod.ts";
import { isWireMap, quoteUntrusted, receivedWireError } from "../protocol/mod.ts";
import { firstNonFiniteF32 } from "./_f32_scan.ts";
import { type ComponentInfo, flattenComponentValue, plainField } from "../ecs/mod.ts";
import { columnBytes, type FlatValues, type QueuedEvent, type RowSet } from "../ecs/mod.ts";

/** A structural command that passed validation; components by storage key. */
export type ValidCommand =
  | { op: "spawn"; id: number; components: Record<string, FlatValues> }
  | { op: "despawn"; id: number }
  | { op: "add"; id: number; component: string; values: FlatValues }
  | { op: "remove"; id: number; component: string };

/** A changed column that may be merged: into the rows `query` was shipped. */
export interface ValidColumn {
  query: string;
  /** The component's storage key. */
  component: string;
  field: FieldInfo;
  bytes: Uint8Array;
  /** A text field's strings (its `bytes` are empty). */
  text?: string[];
}

/** A result that may be merged: changed columns (by storage key) and queued commands. */
export interface ValidResult {
  /** In the manifest's query order, so that a later query's write wins. */
  changed: ValidColumn[];
  /** Changed fields of written resources. */
  resources: { name: string; field: string; scalars: FlatField }[];
  /** Events emitted, in emission order. */
  events: QueuedEvent[];
  commands: ValidCommand[];
  /** Ids from the reservation that a spawn used. */
  usedIds: Set<number>;
  /** An exception the script's code threw (its result is empty). */
  error: WireError | null;
}

/** What the validator needs to know about the tick. */
export interface ResultContext {
  script: string;
  manifest: Manifest;
  tick: number;
  /** The rows each query was shipped, by query name. */
  rows: Readonly<Record<string, RowSet>>;
  reserved: Uint32Array | null;
  /** The script's component of a name in its manifest. */
  component(name: string): ComponentInfo | undefined;
  /** The world's fields of a resource the script writes. */
  resourceFields(name: string): readonly FieldInfo[] | undefined;
  /** The fields of an event type as the script declared it. */
  eventFields(name: string): readonly FieldInfo[] | undefined;
  /** Most events accepted in one result. */
  maxEvents: number;
  /** Whether the script may despawn or change the structure of entity `id`: it was shipped it this tick or spawned it. */
  mayTouch(id: number): boolean;
  /** Most commands accepted in one result. */
  maxCommands: number;
}

/** Either a mergeable result or the list of violations it contained. */
export type Validation = { ok: true; result: ValidResult } | { ok: false; violations: string[] };

/** The keys a result may have; anything else is a forged frame. */
const RESULT_KEYS = new Set(["t", "tick", "changed", "commands", "resources", "events", "error"]);

/** Most violations reported from one result: the rest are counted in the first ones. */
const MAX_VIOLATIONS = 20;

/**
 * The row of the first value in a column that does not fit its field type
 * (NaN or ±Infinity in a float field, anything but 0 or 1 in a bool), or -1.
 * Integer columns need no check: their bytes hold only in-range values.
 */
export function firstInvalidRow(field: FieldInfo, bytes: Uint8Array): number {
  if (field.type === "bool") {
    for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 1) return i;
    return -1;
  }
  if (
    field.type !== "f32" && field.type !== "vec3" && field.type !== "quat" &&
    field.type !== "f64"
  ) return -1;
  // A bin off its type's boundary is copied first (a memcpy), which beats a DataView by half.
  if (field.type === "f64") {
    const aligned = bytes.byteOffset % 8 === 0 ? bytes : alignedScratch(bytes);
    const view = new Float64Array(aligned.buffer, aligned.byteOffset, bytes.length / 8);
    // x - x is 0 for every finite number and NaN for NaN and both infinities.
    for (let i = 0; i < view.length; i++) if (view[i]! - view[i]! !== 0) return i;
    return -1;
  }
  const i = firstNonFiniteF32(bytes);
  return i < 0 ? -1 : Math.floor(i / field.width);
}

let scratch = new Uint8Array(0);

/** A copy of `bytes` at offset 0 of a buffer kept between calls (valid until the next). */
function alignedScratch(bytes: Uint8Array): Uint8Array {
  if (scratch.length < bytes.length) scratch = new Uint8Array(bytes.length * 2);
  scratch.set(bytes);
  return scratch.subarray(0, bytes.length);
}

/** Validates a decoded `result` frame. */
export function validateResult(raw: unknown, ctx: ResultContext): Validation {
  const violations: string[] = [];
  const deny = (message: string) => {
    if (violations.length < MAX_VIOLATIONS) violations.push(message);
  };
  const who = `script "${ctx.script}"`;
  const q = quoteUntrusted;
  if (!isWireMap(raw)) return { ok: false, violations: [`Malformed result from ${who}`] };
  if (raw.tick !== ctx.tick) {
    return {
      ok: false,
      violations: [`Result from ${who} is for tick ${q(raw.tick)}, expected ${ctx.tick}`],
    };
  }
  const extra = Object.keys(raw).find((k) => !RESULT_KEYS.has(k));
  if (extra !== undefined) {
    return { ok: false, violations: [`Result from ${who} has an unknown field ${q(extra)}`] };
  }
  const error = raw.error;
  if (error !== null && error !== undefined) {
    const wire = receivedWireError(error);
    // An out-of-grant call the host refused inside the child (GrantViolationError) is a
    // mistake in the script's manifest: its error, with its line, not a violation. What reaches
    // the world is checked below whatever the child says.
    return { ok: true, result: emptyResult(wire) };
  }

  const result: ValidResult = emptyResult(null);
  const writes = new Set(ctx.manifest.writes);
  const changed = raw.changed ?? {};
  const queries = Object.keys(ctx.manifest.queries);
  if (!isWireMap(changed)) deny(`Malformed "changed" in the result from ${who}`);
  else {
    // In the manifest's order, whatever order the child sent: the later query's write wins.
    const sent = Object.keys(changed).sort((a, b) => queries.indexOf(a) - queries.indexOf(b));
    for (const name of sent) {
      const query = ctx.manifest.queries[name];
      const rows = ctx.rows[name];
      if (!query || !rows) {
        deny(
          `Cannot write through query ${q(name)} from ${who}: the script declares no such query`,
        );
        continue;
      }
      const where = name === "default" ? "the script's writes" : `the writes of query "${name}"`;
      if (!isWireMap(changed[name])) {
        deny(`Malformed columns of query "${name}" from ${who}`);
        continue;
      }
      for (const [component, fields] of Object.entries(changed[name])) {
        if (!query.writes.includes(component)) {
          deny(`Cannot write component ${q(component)} from ${who}: it is not in ${where}`);
          continue;
        }
        result.changed.push(...validColumns(name, ctx.component(component)!, fields, rows));
      }
    }
  }
  validateResources(raw.resources, ctx, result, deny);
  validateEvents(raw.events, ctx, result, deny);
  validateCommands(raw.commands, ctx, result, writes, deny);
  return violations.length > 0 ? { ok: false, violations } : { ok: true, result };

  function validColumns(
    query: string,
    info: ComponentInfo,
    fields: unknown,
    rows: RowSet,
  ): ValidColumn[] {
    const component = info.name;
    const out: ValidColumn[] = [];
    if (!isWireMap(fields)) {
      deny(`Malformed columns of "${component}" from ${who}`);
      return out;
    }
    {
      for (const [field, bytes] of Object.entries(fields)) {
        const f = info.fields.find((x) => x.name === field);
        const expected = f ? columnBytes(f, rows) : 0;
        if (!f) {
          deny(
            `Cannot write field "${component}".${
              q(field)
            } from ${who}: the component has no such field`,
          );
        } else if (f.type === "text") {
          const text = validText(f, bytes, rows.count, `"${component}.${field}" from ${who}`);
          if (typeof text === "string") deny(text);
          else out.push({ query, component: info.key, field: f, bytes: EMPTY_BYTES, text });
        } else if (!(bytes instanceof Uint8Array) || bytes.length !== expected) {
          deny(
            `Column "${component}.${field}" from ${who} has ${
              bytes instanceof Uint8Array ? bytes.length : "no"
            } bytes, expected ${expected}`,
          );
        } else {
          const row = firstInvalidRow(f, bytes);
          if (row >= 0) {
            deny(
              `Column "${component}.${field}" from ${who} holds a value that is not ${
                f.type === "bool" ? "0 or 1" : "a finite number"
              } at row ${row}: fields of type ${f.type} must hold ${
                f.type === "bool" ? "booleans" : "finite numbers"
              }`,
            );
          } else out.push({ query, component: info.key, field: f, bytes });
        }
      }
    }
    return out;
  }
}

const EMPTY_BYTES = new Uint8Array(0);

/** A text column from a child: one string per row, each within the field's max; else why not. */
function validText(field: FieldInfo, raw: unknown, rows: number, what: string): string[] | string {
  if (!Array.isArray(raw) || raw.length !== rows) {
    return `Text column ${what} has ${
      Array.isArray(raw) ? raw.length : "no"
    } strings, expected ${rows}`;
  }
  for (let row = 0; row < raw.length; row++) {
    const flat = flattenFieldValue(field, raw[row]);
    if (typeof flat === "string") return `Text column ${what} at row ${row}: ${flat}`;
  }
  return raw as string[];
}

function emptyResult(error: WireError | null): ValidResult {
  return { changed: [], resources: [], events: [], commands: [], usedIds: new Set(), error };
}

type Deny = (message: string) => void;

/** A value of `fields` from a child, flattened field by field; null (denied) when one is wrong. */
function flatFields(
  fields: readonly FieldInfo[],
  value: unknown,
  what: string,
  deny: Deny,
  partial: boolean,
): Map<string, FlatField> | null {
  if (!isWireMap(value)) {
    deny(`Malformed value of ${what}`);
    return null;
  }
  const out = new Map<string, FlatField>();
  for (const key of Object.keys(value)) {
    if (!fields.some((f) => f.name === key)) {
      deny(`${what} has no field ${quoteUntrusted(key)}`);
      return null;
    }
  }
  for (const f of fields) {
    if (!Object.hasOwn(value, f.name)) {
      if (!partial) out.set(f.name, f.default);
      continue;
    }
    const flat = flattenFieldValue(f, value[f.name]);
    if (typeof flat === "string") {
      deny(`Invalid value of ${what}.${f.name}: ${flat}`);
      return null;
    }
    out.set(f.name, flat);
  }
  return out;
}

function validateResources(raw: unknown, ctx: ResultContext, result: ValidResult, deny: Deny) {
  if (raw === undefined || raw === null) return;
  const who = `script "${ctx.script}"`;
  if (!isWireMap(raw)) return deny(`Malformed "resources" in the result from ${who}`);
  for (const [name, value] of Object.entries(raw)) {
    const fields = ctx.manifest.resources.writes.includes(name) && ctx.resourceFields(name);
    if (!fields) {
      deny(
        `Cannot write resource ${
          quoteUntrusted(name)
        } from ${who}: it is not in the script's resources.writes`,
      );
      continue;
    }
    const flat = flatFields(fields, value, `resource "${name}" from ${who}`, deny, true);
    for (const [field, scalars] of flat ?? []) result.resources.push({ name, field, scalars });
  }
}

function validateEvents(raw: unknown, ctx: ResultContext, result: ValidResult, deny: Deny) {
  if (raw === undefined || raw === null) return;
  const who = `script "${ctx.script}"`;
  if (!Array.isArray(raw)) return deny(`Malformed "events" in the result from ${who}`);
  if (raw.length > ctx.maxEvents) {
    return deny(
      `Script "${ctx.script}" emitted ${raw.length} events in one tick; the limit is ${ctx.maxEvents}`,
    );
  }
  for (const e of raw) {
    if (!Array.isArray(e) || e.length !== 2) {
      deny(`Malformed event from ${who}`);
      continue;
    }
    const [name, value] = e as [unknown, unknown];
    const fields = typeof name === "string" && ctx.manifest.events.emits.includes(name) &&
      ctx.eventFields(name);
    if (!fields) {
      deny(
        `Cannot emit event ${quoteUntrusted(name)} from ${who}: it is not in the script's emits`,
      );
      continue;
    }
    const flat = flatFields(fields, value, `event "${name}" from ${who}`, deny, false);
    if (!flat) continue;
    const plain: WireValue = {};
    for (const f of fields) plain[f.name] = plainField(f, flat.get(f.name)!);
    result.events.push([name as string, plain]);
  }
}

/** What checking a list of structural commands needs, whoever sent it (a system or a driver). */
export interface CommandContext {
  /** Who sent them, for messages: `script "mover"`, `driver "viewer"`. */
  who: string;
  spawns: boolean;
  /** Component names it may attach, set and remove. */
  writes: ReadonlySet<string>;
  reserved: Uint32Array | null;
  /** Its component of a name in its manifest. */
  component(name: string): ComponentInfo | undefined;
  /** Whether it may restructure entity `id`. */
  mayTouch(id: number): boolean;
  /** Why an entity it may not touch is refused, e.g. "the driver did not spawn it". */
  notTouchable: string;
  maxCommands: number;
}

/** Validates a driver's (or any sender's) command list: what may be applied, or the violations. */
export function validateCommandList(
  raw: unknown,
  ctx: CommandContext,
): { ok: true; commands: ValidCommand[]; usedIds: Set<number> } | {
  ok: false;
  violations: string[];
} {
  const violations: string[] = [];
  const deny = (message: string) => {
    if (violations.length < MAX_VIOLATIONS) violations.push(message);
  };
  const result = emptyResult(null);
  checkCommands(raw, ctx, result, deny);
  return violations.length > 0
    ? { ok: false, violations }
    : { ok: true, commands: result.commands, usedIds: result.usedIds };
}

function validateCommands(
  raw: unknown,
  ctx: ResultContext,
  result: ValidResult,
  writes: ReadonlySet<string>,
  deny: Deny,
): void {
  checkCommands(
    raw,
    {
      who: `script "${ctx.script}"`,
      spawns: ctx.manifest.spawns,
      writes,
      reserved: ctx.reserved,
      component: ctx.component,
      mayTouch: ctx.mayTouch,
      notTouchable: "it was not shipped to the script this tick and the script did not spawn it",
      maxCommands: ctx.maxCommands,
    },
    result,
    deny,
  );
}

function checkCommands(
  raw: unknown,
  ctx: CommandContext,
  result: ValidResult,
  deny: Deny,
): void {
  const who = ctx.who;
  const writes = ctx.writes;
  const q = quoteUntrusted;
  {
    const commands = raw ?? [];
    if (!Array.isArray(commands)) deny(`Malformed "commands" in the result from ${who}`);
    else if (commands.length > ctx.maxCommands) {
      deny(
        `${who[0]!.toUpperCase()}${
          who.slice(1)
        } queued ${commands.length} commands in one tick; the limit is ${ctx.maxCommands}`,
      );
    } else if (commands.length > 0 && !ctx.spawns) {
      deny(`Cannot change entities from ${who}: its manifest does not declare spawns: true`);
    } else {
      const reserved = new Set(ctx.reserved ?? []);
      const attachable = (component: unknown, action: string): ComponentInfo | null => {
        if (typeof component !== "string" || !writes.has(component)) {
          deny(
            `Cannot ${action} component ${
              q(component)
            } from ${who}: it is not in the script's writes`,
          );
          return null;
        }
        return ctx.component(component)!;
      };
      const values = (info: ComponentInfo, v: unknown): FlatValues | null => {
        const flat = flattenComponentValue(info, v ?? {});
        if (typeof flat === "string") {
          deny(`Invalid value from ${who}: ${flat}`);
          return null;
        }
        return flat;
      };
      /** Entities it may restructure: shipped, spawned before, or spawned earlier in this result. */
      const touchable = (id: number, action: string): boolean => {
        if (result.usedIds.has(id) || ctx.mayTouch(id)) return true;
        deny(`Cannot ${action} entity ${id} from ${who}: ${ctx.notTouchable}`);
        return false;
      };
      for (const c of commands) {
        if (
          !Array.isArray(c) || typeof c[1] !== "number" || !Number.isInteger(c[1]) || c[1] < 0 ||
          c[1] > 0xffffffff
        ) {
          deny(`Malformed command from ${who}`);
          continue;
        }
        const [op, id] = c as [unknown, number];
        if (op === "spawn") {
          if (!reserved.has(id) || result.usedIds.has(id)) {
            deny(`Cannot spawn entity ${id} from ${who}: the id was not reserved for it this tick`);
            continue;
          }
          result.usedIds.add(id);
          if (!isWireMap(c[2])) {
            deny(`Malformed spawn from ${who}`);
            continue;
          }
          const components: Record<string, FlatValues> = {};
          for (const [name, v] of Object.entries(c[2])) {
            const info = attachable(name, "attach");
            const flat = info && values(info, v);
            if (info && flat) components[info.key] = flat;
          }
          result.commands.push({ op: "spawn", id, components });
        } else if (op === "despawn") {
          if (touchable(id, "despawn")) result.commands.push({ op: "despawn", id });
        } else if (op === "add") {
          const info = attachable(c[2], "attach");
          const flat = info && values(info, c[3]);
          if (info && flat && touchable(id, `attach "${info.name}" to`)) {
            result.commands.push({ op: "add", id, component: info.key, values: flat });
          }
        } else if (op === "remove") {
          const info = attachable(c[2], "remove");
          if (info && touchable(id, `remove "${info.name}" from`)) {
            result.commands.push({ op: "remove", id, component: info.key });
          }
        } else {
          deny(`Unknown command ${q(op, 32)} from ${who}`);
        }
      }
    }
  }
}

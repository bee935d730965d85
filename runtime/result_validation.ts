/**
 * Checks a child's `result` against what the script was granted, before
 * anything reaches the world. The child is untrusted: this is where the
 * grants are enforced (the in-child host only gives honest scripts early,
 * readable errors). Any violation drops the whole result.
 *
 * @module
 */
import type { Manifest } from "../sandbox/manifest.ts";
import type { WireError } from "../sandbox/protocol.ts";
import { type ComponentInfo, flattenComponentValue } from "./component_registry.ts";
import { type FlatValues, type RowSet, World } from "./world.ts";

/** A structural command that passed validation. */
export type ValidCommand =
  | { op: "spawn"; id: number; components: Record<string, FlatValues> }
  | { op: "despawn"; id: number }
  | { op: "add"; id: number; component: string; values: FlatValues }
  | { op: "remove"; id: number; component: string };

/** A result that may be merged: changed columns and queued commands. */
export interface ValidResult {
  changed: { component: string; field: string; bytes: Uint8Array }[];
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
  rows: RowSet;
  reserved: Uint32Array | null;
  component(name: string): ComponentInfo | undefined;
  /** Most commands accepted in one result. */
  maxCommands: number;
}

/** Either a mergeable result or the list of violations it contained. */
export type Validation = { ok: true; result: ValidResult } | { ok: false; violations: string[] };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

/** Validates a decoded `result` frame. */
export function validateResult(raw: unknown, ctx: ResultContext): Validation {
  const violations: string[] = [];
  const deny = (message: string) => {
    if (violations.length < 20) violations.push(message);
  };
  const who = `script "${ctx.script}"`;
  if (!isRecord(raw)) return { ok: false, violations: [`Malformed result from ${who}`] };
  if (raw.tick !== ctx.tick) {
    return {
      ok: false,
      violations: [`Result from ${who} is for tick ${String(raw.tick)}, expected ${ctx.tick}`],
    };
  }
  const error = raw.error;
  if (error !== null && error !== undefined) {
    const e = isRecord(error) ? error : {};
    const wire: WireError = {
      name: String(e.name ?? "Error").slice(0, 128),
      message: String(e.message ?? "").slice(0, 8192),
      stack: typeof e.stack === "string" ? e.stack.slice(0, 8192) : null,
    };
    // The host refused an out-of-grant call inside the child: a violation, self-reported.
    if (wire.name === "GrantViolationError") return { ok: false, violations: [wire.message] };
    return { ok: true, result: { changed: [], commands: [], usedIds: new Set(), error: wire } };
  }

  const result: ValidResult = { changed: [], commands: [], usedIds: new Set(), error: null };
  const writes = new Set(ctx.manifest.writes);
  const changed = raw.changed ?? {};
  if (!isRecord(changed)) deny(`Malformed "changed" in the result from ${who}`);
  else {
    for (const [component, fields] of Object.entries(changed)) {
      if (!writes.has(component)) {
        deny(`Cannot write component "${component}" from ${who}: it is not in the script's writes`);
        continue;
      }
      const info = ctx.component(component)!;
      if (!isRecord(fields)) {
        deny(`Malformed columns of "${component}" from ${who}`);
        continue;
      }
      for (const [field, bytes] of Object.entries(fields)) {
        const f = info.fields.find((x) => x.name === field);
        if (!f) {
          deny(
            `Cannot write field "${component}.${field}" from ${who}: the component has no such field`,
          );
        } else if (
          !(bytes instanceof Uint8Array) || bytes.length !== World.columnBytes(f, ctx.rows)
        ) {
          deny(
            `Column "${component}.${field}" from ${who} has ${
              bytes instanceof Uint8Array ? bytes.length : "no"
            } bytes, expected ${World.columnBytes(f, ctx.rows)}`,
          );
        } else result.changed.push({ component, field, bytes });
      }
    }
  }

  const commands = raw.commands ?? [];
  if (!Array.isArray(commands)) deny(`Malformed "commands" in the result from ${who}`);
  else if (commands.length > ctx.maxCommands) {
    deny(
      `Script "${ctx.script}" queued ${commands.length} commands in one tick; the limit is ${ctx.maxCommands}`,
    );
  } else if (commands.length > 0 && !ctx.manifest.spawns) {
    deny(`Cannot change entities from ${who}: its manifest does not declare spawns: true`);
  } else {
    const reserved = new Set(ctx.reserved ?? []);
    const attachable = (component: unknown, action: string): ComponentInfo | null => {
      if (typeof component !== "string" || !writes.has(component)) {
        deny(
          `Cannot ${action} component "${
            String(component)
          }" from ${who}: it is not in the script's writes`,
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
        if (!isRecord(c[2])) {
          deny(`Malformed spawn from ${who}`);
          continue;
        }
        const components: Record<string, FlatValues> = {};
        for (const [name, v] of Object.entries(c[2])) {
          const info = attachable(name, "attach");
          const flat = info && values(info, v);
          if (flat) components[name] = flat;
        }
        result.commands.push({ op: "spawn", id, components });
      } else if (op === "despawn") {
        result.commands.push({ op: "despawn", id });
      } else if (op === "add") {
        const info = attachable(c[2], "attach");
        const flat = info && values(info, c[3]);
        if (info && flat) {
          result.commands.push({ op: "add", id, component: info.name, values: flat });
        }
      } else if (op === "remove") {
        const info = attachable(c[2], "remove");
        if (info) result.commands.push({ op: "remove", id, component: info.name });
      } else {
        deny(`Unknown command ${JSON.stringify(String(op).slice(0, 32))} from ${who}`);
      }
    }
  }
  return violations.length > 0 ? { ok: false, violations } : { ok: true, result };
}

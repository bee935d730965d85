/**
 * Resources and events: data that is not attached to an entity.
 *
 * A resource is one value per world (a score, a game state, settings); a
 * system declares `resources: { reads, writes }` and `ctx.resource(R)` hands
 * it a plain object. An event is a message between systems: one emits it
 * during a tick, and the systems that receive it see it in the next tick.
 *
 * @module
 */
import type { FieldInfo, FieldTypeOf, Schema } from "./component.ts";
import { isValidName, resolveSchema } from "./component.ts";

/** The value of one field as a script sees it in a resource or an event. */
export type PlainFieldValue<T> = T extends "bool" ? boolean
  : T extends "vec3" | "quat" ? number[]
  : T extends "text" ? string
  : number;

/** A resource's or event's value: one plain value per field. */
export type PlainValue<S extends Schema> = {
  -readonly [K in keyof S]: PlainFieldValue<FieldTypeOf<S[K]>>;
};

/** A resource type, as returned by {@linkcode defineResource}. */
export interface ResourceType<S extends Schema = Schema> {
  /** Tells a resource type apart from components. */
  readonly kind: "syncra.resource";
  /** The resource's name, as scripts and the dump know it. */
  readonly name: string;
  /** The schema it was defined with. */
  readonly schema: S;
  /** Its fields, resolved, in schema order. */
  readonly fields: readonly FieldInfo[];
}

/** An event type, as returned by {@linkcode defineEvent}. */
export interface EventType<S extends Schema = Schema> {
  /** Tells an event type apart from components. */
  readonly kind: "syncra.event";
  /** The event's name, as scripts and the dump know it. */
  readonly name: string;
  /** The schema it was defined with. */
  readonly schema: S;
  /** Its fields, resolved, in schema order. */
  readonly fields: readonly FieldInfo[];
}

function define<K extends "syncra.resource" | "syncra.event">(
  kind: K,
  what: string,
  name: string,
  schema: Schema,
) {
  if (!isValidName(name)) {
    throw new TypeError(
      `Cannot define ${what} "${String(name)}": names are letters, digits and "_", up to 64`,
    );
  }
  const fields = Object.freeze(resolveSchema(name, schema, what).map((f) => Object.freeze(f)));
  return Object.freeze({ kind, name, schema, fields });
}

/**
 * Defines a resource: one value per world, with typed fields like a
 * component's. Systems list it in `resources: { reads, writes }`.
 *
 * @example A score every system may read and one system keeps
 * ```ts
 * import { defineResource, defineSystem } from "@syncra/std";
 * import assert from "node:assert/strict";
 *
 * const Score = defineResource("Score", { points: "u32" });
 * const scorer = defineSystem({
 *   resources: { writes: [Score] },
 *   run(ctx) {
 *     ctx.resource(Score).points += 1;
 *   },
 * });
 * assert.equal(Score.fields[0]!.type, "u32");
 * assert.deepEqual(scorer.resources?.writes, [Score]);
 * ```
 */
export function defineResource<const S extends Schema>(name: string, schema: S): ResourceType<S> {
  return define("syncra.resource", "resource", name, schema) as ResourceType<S>;
}

/**
 * Defines an event: a message with typed fields that one system emits
 * (`emits`, `ctx.emit`) and others receive in the next tick (`receives`,
 * `ctx.events`).
 *
 * @example An event a door emits when it opens
 * ```ts
 * import { defineEvent } from "@syncra/std";
 * import assert from "node:assert/strict";
 *
 * const DoorOpened = defineEvent("DoorOpened", { door: "entity", by: "entity" });
 * assert.deepEqual(DoorOpened.fields.map((f) => f.name), ["door", "by"]);
 * ```
 */
export function defineEvent<const S extends Schema>(name: string, schema: S): EventType<S> {
  return define("syncra.event", "event", name, schema) as EventType<S>;
}

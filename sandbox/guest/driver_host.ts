/**
 * A driver inside its child (DESIGN §9): after `hello` (role "driver") the
 * runtime sends `start` with the driver's settings and ids to spawn with;
 * the driver's `start` runs once, then each `changes` frame is handed to its
 * `onChanges` handlers in order and acknowledged when they settle, so the
 * runtime never sends the next feed before this one is handled (feeds in
 * between are coalesced by the runtime, nothing is lost). Writes the driver
 * queues — from a handler or from its own events (a socket, a timer) — are
 * sent as one `write` frame per turn of the event loop.
 *
 * Like the rest of the guest this is not a boundary: the runtime validates
 * every write as if the driver were hostile.
 *
 * @module
 */
import type {
  ComponentRows,
  ComponentType,
  DriverChanges,
  DriverContext,
  DriverDefinition,
  FieldValue,
  Schema,
} from "../../std/mod.ts";
import { defineComponent } from "../../std/mod.ts";
import { fieldArray } from "../../std/internal.ts";
import {
  type ChildMessage,
  GrantViolationError,
  PROTOCOL_VERSION,
  type WireCommand,
  type WireRows,
} from "../../runtime/protocol/mod.ts";
import { describeDriverManifest } from "./manifest.ts";
import { alignedCopy } from "./query_view.ts";
import { wireValues } from "./wire_values.ts";

/** What the driver host needs of its child: the channel and how to end. */
export interface DriverChannel {
  next(): Promise<unknown>;
  send(message: ChildMessage): void;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function u32(bytes: unknown): Uint32Array {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(0);
  return new Uint32Array(alignedCopy(b, b.length & ~3).buffer);
}

/** The world's replicated components from a feed's schemas, less those the driver reads itself. */
function componentsOf(
  schemas: Record<string, unknown>,
  own: readonly ComponentType[],
): ComponentType[] {
  const out: ComponentType[] = [];
  for (const [name, schema] of Object.entries(schemas)) {
    if (own.some((c) => c.name === name)) continue;
    try {
      out.push(defineComponent(name, schema as Schema, { replicate: true }));
    } catch (error) {
      console.error(`The world sent a schema for "${name}" that does not resolve: ${error}`);
    }
  }
  return out;
}

/** One feed as the driver sees it: columns copied out of the frame, so handlers may keep them. */
class ReceivedChanges implements DriverChanges {
  readonly tick: number;
  readonly snapshot: boolean;
  readonly despawned: Uint32Array;
  readonly removed: readonly (readonly [number, string])[];
  readonly status: Readonly<Record<string, unknown>> | null;
  readonly components: readonly ComponentType[];
  readonly #rows: Record<string, WireRows>;
  readonly #reads: readonly ComponentType[];
  readonly #name: string;
  readonly #cache = new Map<string, ComponentRows>();

  constructor(raw: Record<string, unknown>, reads: readonly ComponentType[], name: string) {
    this.tick = typeof raw.tick === "number" ? raw.tick : 0;
    this.snapshot = raw.snapshot === true;
    this.despawned = u32(raw.despawned);
    this.removed = Array.isArray(raw.removed) ? raw.removed as [number, string][] : [];
    this.#rows = isRecord(raw.rows) ? raw.rows as Record<string, WireRows> : {};
    // Plain objects, copied out of the frame like the columns.
    this.status = isRecord(raw.status) ? structuredClone(raw.status) : null;
    this.#reads = reads;
    this.components = reads;
    this.#name = name;
    // Copied now: the frame's buffer is reused for the next frame.
    for (const c of reads) this.rows(c);
  }

  rows(component: ComponentType): never {
    const cached = this.#cache.get(component.name);
    if (cached) return cached as never;
    // Decoded by the schema the feed was built with (the world's, for replicated reads).
    const known = this.#reads.find((c) => c.name === component?.name);
    if (!known) {
      throw new GrantViolationError(
        `Cannot read component "${component.name}" in driver "${this.#name}": it is not in ` +
          `the driver's reads; add it to reads`,
      );
    }
    const wire = this.#rows[known.name];
    const entities = u32(wire?.entities);
    const columns: Record<string, unknown> = {};
    for (const f of known.fields) {
      const got = wire?.columns?.[f.name];
      if (f.type === "text") {
        columns[f.name] = Array.isArray(got) && got.length === entities.length
          ? [...got]
          : new Array(entities.length).fill(f.default[0]);
        continue;
      }
      const bytes = entities.length * f.width * f.bytes;
      columns[f.name] = fieldArray(
        f.type,
        alignedCopy(got instanceof Uint8Array ? got : undefined, bytes),
      );
    }
    const rows = { entities, columns } as ComponentRows;
    this.#cache.set(known.name, rows);
    return rows as never;
  }
}

/** The `ctx` of a driver's `start`: its feed handlers and the writes it queues. */
class DriverHostContext implements DriverContext {
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly handlers: ((changes: DriverChanges) => void | Promise<void>)[] = [];
  /** Handlers of its input ports. */
  readonly ports = new Map<string, ((bytes: Uint8Array, from: string) => void)[]>();
  readonly #driver: DriverDefinition;
  readonly #channel: DriverChannel;
  readonly #reserve: number[] = [];
  #queued: WireCommand[] = [];
  #flushScheduled = false;

  constructor(
    driver: DriverDefinition,
    name: string,
    config: Record<string, unknown>,
    channel: DriverChannel,
  ) {
    this.#driver = driver;
    this.name = name;
    this.config = Object.freeze({ ...config });
    this.#channel = channel;
  }

  /** More ids it may spawn with. */
  addReserve(ids: Uint32Array): void {
    for (const id of ids) this.#reserve.push(id);
  }

  onChanges(handler: (changes: DriverChanges) => void | Promise<void>): void {
    if (typeof handler !== "function") throw new TypeError("onChanges needs a function");
    this.handlers.push(handler);
  }

  #writable(component: string, action: string): ComponentType {
    const found = (this.#driver.writes ?? []).find((c) => c.name === component);
    if (!found) {
      throw new GrantViolationError(
        `Cannot ${action} component "${component}" from driver "${this.name}": it is not in ` +
          `the driver's writes; add it to writes`,
      );
    }
    return found;
  }

  #requireSpawns(action: string): void {
    if (this.#driver.spawns !== true) {
      throw new GrantViolationError(
        `Cannot ${action} from driver "${this.name}": its manifest does not declare ` +
          `spawns: true; add spawns: true to the driver`,
      );
    }
  }

  #queue(command: WireCommand): void {
    this.#queued.push(command);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // One frame per turn of the event loop, whatever queued the writes.
    setTimeout(() => this.flush(), 0);
  }

  set(entity: number, component: ComponentType, value: Record<string, unknown>): void {
    const type = this.#writable(component.name, "set");
    this.#queue(["add", entity >>> 0, component.name, wireValues(type, component.name, value)]);
  }

  spawn(components: Record<string, unknown>): number {
    this.#requireSpawns("spawn an entity");
    const values: Record<string, Record<string, FieldValue>> = {};
    for (const [name, value] of Object.entries(components)) {
      values[name] = wireValues(this.#writable(name, "attach"), name, value);
    }
    const id = this.#reserve.shift();
    if (id === undefined) {
      throw new RangeError(
        `Driver "${this.name}" has no entity ids left to spawn with until the next change feed`,
      );
    }
    this.#queue(["spawn", id, values]);
    return id;
  }

  despawn(entity: number): void {
    this.#requireSpawns("despawn an entity");
    this.#queue(["despawn", entity >>> 0]);
  }

  log(...args: unknown[]): void {
    console.log(...args);
  }

  edit(entity: number, component: string, value: Record<string, unknown>): void {
    if (typeof component !== "string" || typeof value !== "object" || value === null) {
      throw new TypeError("edit(entity, component name, { field: value })");
    }
    // Unchecked here: the runtime validates an edit against the component's schema.
    this.#queue(["add", entity >>> 0, component, value as Record<string, FieldValue>]);
  }

  send(port: string, bytes: Uint8Array): void {
    if (!Object.hasOwn(this.#driver.outputs ?? {}, port)) {
      throw new GrantViolationError(
        `Cannot send on port "${port}" from driver "${this.name}": it is not in the driver's ` +
          `outputs; add it to outputs`,
      );
    }
    if (!(bytes instanceof Uint8Array)) throw new TypeError("send(port, bytes) needs a Uint8Array");
    this.#channel.send({ t: "send", port, bytes });
  }

  onPort(port: string, handler: (bytes: Uint8Array, from: string) => void): void {
    if (!Object.hasOwn(this.#driver.inputs ?? {}, port)) {
      throw new GrantViolationError(
        `Cannot receive on port "${port}" in driver "${this.name}": it is not in the driver's ` +
          `inputs; add it to inputs`,
      );
    }
    const list = this.ports.get(port) ?? [];
    list.push(handler);
    this.ports.set(port, list);
  }

  unavailable(reason: string): void {
    this.#channel.send({ t: "unavailable", reason: String(reason).slice(0, 1000) });
  }

  /** Sends what was queued, if anything. */
  flush(): void {
    this.#flushScheduled = false;
    if (this.#queued.length === 0) return;
    const commands = this.#queued;
    this.#queued = [];
    this.#channel.send({ t: "write", commands });
  }
}

/**
 * Serves a driver until shutdown or end of input. `die` ends the child with
 * its last words on stderr (a start that throws: a string; a broken channel:
 * the error).
 */
export async function serveDriver(
  driver: DriverDefinition,
  name: string,
  channel: DriverChannel,
  exit: (code: number) => never,
  die: (why: unknown) => never,
): Promise<never> {
  try {
    return await serve(driver, name, channel, exit, die);
  } catch (error) {
    return die(error);
  }
}

async function serve(
  ...[driver, name, channel, exit, die]: Parameters<typeof serveDriver>
): Promise<never> {
  channel.send({
    t: "hello",
    v: PROTOCOL_VERSION,
    role: "driver",
    manifest: describeDriverManifest(driver),
  });
  const first = await channel.next() as Record<string, unknown> | null;
  if (first === null || first.t === "shutdown") return exit(0);
  if (first.t !== "start") return die(`The runtime sent "${String(first.t)}" before "start"`);
  const ctx = new DriverHostContext(
    driver,
    name,
    isRecord(first.config) ? first.config : {},
    channel,
  );
  ctx.addReserve(u32(first.reserve));
  try {
    await driver.start(ctx);
  } catch (error) {
    return die(`start() failed: ${error instanceof Error ? error.stack : String(error)}`);
  }
  ctx.flush();
  /** The world's replicated components, for a driver that reads them (from the feed's schemas). */
  let replicated: ComponentType[] = [];
  while (true) {
    const message = await channel.next() as Record<string, unknown> | null;
    if (message === null || message.t === "shutdown") {
      ctx.flush();
      return exit(0);
    }
    if (message.t === "port") {
      const handlers = ctx.ports.get(String(message.port)) ?? [];
      // A copy: the frame's buffer is reused for the next frame.
      const bytes = message.bytes instanceof Uint8Array ? message.bytes.slice() : new Uint8Array(0);
      for (const handler of handlers) {
        try {
          handler(bytes, String(message.from));
        } catch (error) {
          console.error(error);
        }
      }
      ctx.flush();
      continue;
    }
    if (message.t !== "changes") continue;
    ctx.addReserve(u32(message.reserve));
    if (driver.readsReplicated && isRecord(message.schemas)) {
      replicated = componentsOf(message.schemas, driver.reads ?? []);
    }
    const changes = new ReceivedChanges(message, [...(driver.reads ?? []), ...replicated], name);
    for (const handler of ctx.handlers) {
      try {
        await handler(changes);
      } catch (error) {
        // A handler's error is the driver's to fix, not a reason to stop its feed.
        console.error(error);
      }
    }
    ctx.flush();
    channel.send({ t: "ack", tick: changes.tick });
  }
}

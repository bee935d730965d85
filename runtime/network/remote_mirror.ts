/**
 * A joined world in this world's ECS (DESIGN §11, `deno task world --join`):
 * what the server sends — its replicated components' schemas, the entities
 * in this client's interest, their changes and transforms — held as a
 * mirror and handed to the coordinator as the writes of an in-process
 * driver. The coordinator validates them like any driver's (its components,
 * the ids it was given, only its own entities), so local scripts read the
 * remote entities like their own, and a server that sends nonsense changes
 * nothing it may not. Remote ids become local ones (entity fields too).
 *
 * @module
 */
import type { DriverRunner, RunningDriver } from "../coordinator/mod.ts";
import type { DriverManifest } from "../roles/mod.ts";
import type { ChangesMessage, WireCommand, WireSchema } from "../protocol/mod.ts";
import type { FieldValue } from "../../std/mod.ts";

/** A component's value as the server sends it. */
export type RemoteValue = Record<string, FieldValue>;

/** The part of the mirror the coordinator has not heard yet. */
interface Owed {
  /** Remote entity → the components set since the last tick boundary. */
  set: Map<number, Set<string>>;
  gone: Set<number>;
  removed: [number, string][];
}

/** The joined world, as a driver the coordinator drives in-process. */
export class RemoteMirror implements DriverRunner {
  readonly name = "network";
  readonly file: string;
  readonly editor = false;
  active: RunningDriver | null = null;
  readonly feedReady = true;
  /** What this client holds of the server's world: remote id → component → value. */
  readonly entities = new Map<number, Map<string, RemoteValue>>();
  /** Remote ids whose local entity exists (or is spawned at the next boundary), and back. */
  readonly #local = new Map<number, number>();
  #pending: RunningDriver | null;
  readonly #schemas: Record<string, WireSchema>;
  readonly #entityFields = new Map<string, string[]>();
  #ids: number[] = [];
  #owed: Owed = { set: new Map(), gone: new Set(), removed: [] };
  readonly #warn: (message: string) => void;

  /** `file` owns the mirrored entities (a name beside the scripts, like "@network"). */
  constructor(file: string, schemas: Record<string, WireSchema>, warn: (message: string) => void) {
    this.file = file;
    this.#schemas = schemas;
    this.#warn = warn;
    for (const [name, schema] of Object.entries(schemas)) {
      const fields = Object.entries(schema).filter(([, f]) => f.type === "entity").map(([n]) => n);
      if (fields.length > 0) this.#entityFields.set(name, fields);
    }
    const names = Object.keys(schemas);
    const manifest: DriverManifest = {
      name: "network",
      reads: [],
      writes: names,
      spawns: true,
      inputs: {},
      outputs: {},
      components: schemas,
      modules: Object.fromEntries(names.map((n) => [n, null])),
      replicated: names,
      capabilities: { serve: [], net: [], read: [], write: [], ffi: [], gpu: false },
    };
    this.#pending = { manifest, killReason: null };
  }

  /** The server's components, by name. */
  get schemas(): Readonly<Record<string, WireSchema>> {
    return this.#schemas;
  }

  /** The server set `component` of `id` (a whole value, or some fields of a transform). */
  set(id: number, component: string, value: RemoteValue): void {
    if (!Object.hasOwn(this.#schemas, component)) return;
    let entity = this.entities.get(id);
    if (!entity) this.entities.set(id, entity = new Map());
    entity.set(component, { ...entity.get(component), ...value });
    this.#owed.gone.delete(id);
    let owed = this.#owed.set.get(id);
    if (!owed) this.#owed.set.set(id, owed = new Set());
    owed.add(component);
  }

  /** The server removed `component` from `id`. */
  remove(id: number, component: string): void {
    if (!this.entities.get(id)?.delete(component)) return;
    this.#owed.set.get(id)?.delete(component);
    this.#owed.removed.push([id, component]);
  }

  /** `id` left this client's world (despawned, or out of its interest). */
  drop(id: number): void {
    if (!this.entities.delete(id)) return;
    this.#owed.set.delete(id);
    this.#owed.gone.add(id);
  }

  /** Everything goes (the server starts this client over from a new state). */
  clear(): void {
    for (const id of [...this.entities.keys()]) this.drop(id);
  }

  // ---- DriverRunner: the coordinator's side ----

  beginTick(): void {}

  commitPending(): RunningDriver | null {
    const pending = this.#pending;
    this.#pending = null;
    if (pending) this.active = pending;
    return pending;
  }

  begin(_driver: RunningDriver, reserve: Uint32Array): void {
    this.#ids.push(...reserve);
  }

  sendFeed(message: ChangesMessage): void {
    if (message.reserve) {
      const r = message.reserve;
      this.#ids.push(...new Uint32Array(r.buffer, r.byteOffset, r.byteLength / 4));
    }
  }

  takeWrites(): unknown[] {
    const commands: WireCommand[] = [];
    const owed = this.#owed;
    for (const id of owed.gone) {
      const local = this.#local.get(id);
      if (local === undefined) continue;
      this.#local.delete(id);
      commands.push(["despawn", local]);
    }
    owed.gone.clear();
    for (const [id, component] of owed.removed) {
      const local = this.#local.get(id);
      if (local !== undefined) commands.push(["remove", local, component]);
    }
    owed.removed = [];
    const later = new Map<number, Set<string>>();
    for (const [id, components] of owed.set) {
      const entity = this.entities.get(id);
      if (!entity) continue;
      let local = this.#local.get(id);
      if (local === undefined) {
        // Spawned with everything it has, once this mirror holds an id for it.
        const fresh = this.#ids.shift();
        if (fresh === undefined) {
          later.set(id, components);
          continue;
        }
        local = fresh;
        this.#local.set(id, local);
        const all: Record<string, RemoteValue> = {};
        for (const [name, value] of entity) all[name] = this.#localValue(name, value, id, later);
        commands.push(["spawn", local, all]);
        continue;
      }
      for (const name of components) {
        const value = entity.get(name);
        if (value) commands.push(["add", local, name, this.#localValue(name, value, id, later)]);
      }
    }
    owed.set = later;
    return commands;
  }

  /** A value with its entity fields made local (one not mirrored yet is 0, and sent again). */
  #localValue(
    component: string,
    value: RemoteValue,
    id: number,
    later: Map<number, Set<string>>,
  ): RemoteValue {
    const fields = this.#entityFields.get(component);
    if (!fields) return value;
    const out = { ...value };
    for (const f of fields) {
      const remote = value[f];
      if (typeof remote !== "number" || remote === 0) continue;
      const local = this.#local.get(remote);
      out[f] = local ?? 0;
      if (local === undefined) {
        let again = later.get(id);
        if (!again) later.set(id, again = new Set());
        again.add(component);
      }
    }
    return out;
  }

  recordViolation(_tick: number, message: string): void {
    this.#warn(`the joined world sent what this world refused: ${message}`);
  }

  kill(): void {}
}

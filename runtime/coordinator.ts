/**
 * The coordinator: owns the world and runs the tick of DESIGN §5 —
 * structural commands from the previous tick first, then the stages of the
 * conflict graph (systems within a stage at once, each in its own process),
 * shipping only granted columns and merging only validated, changed,
 * written columns.
 *
 * @module
 */
import type { Manifest } from "../sandbox/manifest.ts";
import { ManifestError } from "../sandbox/errors.ts";
import { buildSchedule } from "./schedule.ts";
import type { LiveChild } from "./live_child.ts";
import type { ScriptSlot } from "./script_slot.ts";
import { validateResult, type ValidCommand } from "./result_validation.ts";
import { TickStats } from "./tick_stats.ts";
import type { RowSet, World } from "./world.ts";

/** Coordinator settings. */
export interface CoordinatorOptions {
  /** Tick rate; 0 runs ticks back to back. @default 60 */
  hz: number;
  /** How long a system may take to answer a tick. @default 250 */
  deadlineMs: number;
  /** Ids a spawning system may hand out per tick. @default 256 */
  maxSpawnsPerTick: number;
  /** Ids a system's `init` may hand out. @default 10000 */
  maxInitSpawns: number;
  /** Structural commands accepted from one system per tick. @default 10000 */
  maxCommandsPerTick: number;
  /** Live entities one script may have spawned (this run). @default 100000 */
  maxEntitiesPerScript: number;
  /** How long `init` may take. @default 10000 */
  initTimeoutMs: number;
}

/** Defaults for {@linkcode CoordinatorOptions}. */
export const DEFAULT_COORDINATOR_OPTIONS: Readonly<CoordinatorOptions> = Object.freeze({
  hz: 60,
  deadlineMs: 250,
  maxSpawnsPerTick: 256,
  maxInitSpawns: 10_000,
  maxCommandsPerTick: 10_000,
  maxEntitiesPerScript: 100_000,
  initTimeoutMs: 10_000,
});

const EMPTY_ROWS: RowSet = Object.freeze({ archetypes: [], count: 0 });

/** Owns the world state and advances it tick by tick. */
export class Coordinator {
  world: World;
  tick: number;
  readonly stats = new TickStats();
  readonly #options: Readonly<CoordinatorOptions>;
  readonly #slots: () => readonly ScriptSlot[];
  #queued = new Map<ScriptSlot, ValidCommand[]>();
  #lastSlots: readonly ScriptSlot[] | null = null;
  /** Who spawned each live entity (this run), and how many each script owns. */
  readonly #owner = new Map<number, string>();
  readonly #owned = new Map<string, number>();

  constructor(
    world: World,
    startTick: number,
    slots: () => readonly ScriptSlot[],
    options: Readonly<CoordinatorOptions>,
  ) {
    this.world = world;
    this.tick = startTick;
    this.#slots = slots;
    this.#options = options;
  }

  /** Seconds per tick, fixed so that runs are deterministic. */
  get dt(): number {
    return 1 / (this.#options.hz > 0 ? this.#options.hz : 60);
  }

  /**
   * Checks a new script's manifest against the world: component definitions
   * must agree with other scripts', and names must be unique. Throws
   * ManifestError naming both scripts.
   */
  checkManifest(manifest: Manifest, file: string): void {
    const other = this.#slots().find((s) =>
      s.file !== file && s.name === manifest.name && s.active
    );
    if (other) {
      throw new ManifestError(
        `Script "${file}" declares system name "${manifest.name}", already used by "${other.file}": rename one`,
      );
    }
    this.world.registry.check(file, manifest.components);
  }

  /** Swaps in started, restarted and reloaded scripts; a tick boundary. */
  commitPending(): void {
    const slots = this.#slots();
    if (slots !== this.#lastSlots) {
      // A script file was added or deleted: a deleted one no longer owns its components.
      this.#lastSlots = slots;
      this.world.registry.retain(new Set(slots.map((s) => s.file)));
    }
    for (const slot of slots) {
      const child = slot.commitPending();
      if (!child) continue;
      const registry = this.world.registry;
      let changed: string[] = [];
      try {
        changed = registry.check(slot.file, child.manifest.components);
      } catch (error) {
        slot.reject(error);
        registry.release(slot.file);
        continue;
      }
      registry.release(slot.file);
      registry.declare(slot.file, child.manifest.components);
      for (const c of changed) this.world.migrate(c);
    }
  }

  /** Runs every `init` hook in declaration order (fresh worlds only), applying commands at once. */
  async init(): Promise<void> {
    this.commitPending();
    for (const slot of this.#slots()) {
      const child = slot.active;
      if (!child?.manifest.hasInit) continue;
      const reserved = child.manifest.spawns
        ? this.world.allocator.reserve(this.#options.maxInitSpawns)
        : null;
      const outcome = await slot.request(
        { t: "init", reserve: reserved ? u8(reserved) : new Uint8Array(0) },
        this.#options.initTimeoutMs,
        (result) => this.#accept(slot, child, 0, EMPTY_ROWS, reserved, result),
      );
      if (outcome.kind === "timeout") slot.recordMiss(0);
      const used = outcome.kind === "result" ? outcome.value : null;
      this.#release(reserved, used);
      this.#applyCommands();
    }
  }

  /** Runs one tick; returns its duration in ms. */
  async step(): Promise<number> {
    const started = performance.now();
    this.tick++;
    this.commitPending();
    this.#applyCommands();
    for (const slot of this.#slots()) slot.logsThisTick = 0;
    const systems = this.#slots()
      .filter((s) => s.active?.manifest.hasRun)
      .map((slot) => ({
        slot,
        child: slot.active!,
        name: slot.name,
        reads: slot.active!.manifest.reads,
        writes: slot.active!.manifest.writes,
      }));
    const { stages } = buildSchedule(systems);
    for (const stage of stages) {
      await Promise.all(stage.map(({ slot, child }) => this.#runSystem(slot, child)));
    }
    const ms = performance.now() - started;
    this.stats.record(ms, started);
    return ms;
  }

  async #runSystem(slot: ScriptSlot, child: LiveChild): Promise<void> {
    const m = child.manifest;
    const query = [...new Set([...m.reads, ...m.writes])];
    const rows = query.length > 0 ? this.world.query(query) : EMPTY_ROWS;
    const columns: Record<string, Record<string, Uint8Array>> = {};
    for (const name of query) {
      const fields: Record<string, Uint8Array> = {};
      for (const f of this.world.registry.get(name)!.fields) {
        fields[f.name] = rows.count > 0
          ? this.world.gatherColumn(rows, name, f.name)
          : new Uint8Array(0);
      }
      columns[name] = fields;
    }
    const reserved = m.spawns ? this.world.allocator.reserve(this.#options.maxSpawnsPerTick) : null;
    const tick = this.tick;
    const outcome = await slot.request(
      {
        t: "tick",
        tick,
        dt: this.dt,
        count: rows.count,
        entities: rows.count > 0 ? this.world.gatherEntities(rows) : new Uint8Array(0),
        columns,
        ...(reserved ? { reserve: u8(reserved) } : {}),
      },
      this.#options.deadlineMs,
      (result) => this.#accept(slot, child, tick, rows, reserved, result),
    );
    let used: Set<number> | null = null;
    if (outcome.kind === "result") used = outcome.value;
    else if (outcome.kind === "timeout" || outcome.kind === "busy") slot.recordMiss(tick);
    this.#release(reserved, used);
  }

  /** Validates and merges a result; returns the reserved ids its spawns used. */
  #accept(
    slot: ScriptSlot,
    child: LiveChild,
    tick: number,
    rows: RowSet,
    reserved: Uint32Array | null,
    raw: unknown,
  ): Set<number> | null {
    const validation = validateResult(raw, {
      script: slot.name,
      manifest: child.manifest,
      tick,
      rows,
      reserved,
      component: (name) => this.world.registry.get(name),
      maxCommands: this.#options.maxCommandsPerTick,
    });
    if (!validation.ok) {
      for (const v of validation.violations) slot.recordViolation(tick, v);
      slot.recordViolatingTick();
      return null;
    }
    const { result } = validation;
    slot.recordOnTime();
    if (result.error) {
      slot.recordError(result.error);
      return null;
    }
    for (const c of result.changed) this.world.scatterColumn(rows, c.component, c.field, c.bytes);
    if (result.commands.length > 0) {
      const queue = this.#queued.get(slot) ?? [];
      queue.push(...result.commands);
      this.#queued.set(slot, queue);
    }
    return result.usedIds;
  }

  #release(reserved: Uint32Array | null, used: Set<number> | null): void {
    if (!reserved) return;
    this.world.allocator.release(used ? reserved.filter((id) => !used.has(id)) : reserved);
  }

  /** Applies queued structural commands in declaration order, then command order. */
  #applyCommands(): void {
    if (this.#queued.size === 0) return;
    const queued = this.#queued;
    this.#queued = new Map();
    const order = [...queued.keys()].sort((a, b) => (a.file < b.file ? -1 : 1));
    const unspawned: number[] = [];
    const overCap = new Map<ScriptSlot, number>();
    for (const slot of order) {
      for (const c of queued.get(slot)!) {
        switch (c.op) {
          case "spawn": {
            const owned = this.#owned.get(slot.file) ?? 0;
            if (owned >= this.#options.maxEntitiesPerScript) {
              unspawned.push(c.id);
              overCap.set(slot, (overCap.get(slot) ?? 0) + 1);
            } else if (this.world.spawn(c.id, c.components)) {
              this.#owner.set(c.id, slot.file);
              this.#owned.set(slot.file, owned + 1);
            } else unspawned.push(c.id);
            break;
          }
          case "despawn":
            if (this.world.despawn(c.id)) this.#disown(c.id);
            break;
          case "add":
            this.world.add(c.id, c.component, c.values);
            break;
          case "remove":
            this.world.remove(c.id, c.component);
            break;
        }
      }
    }
    this.world.allocator.release(unspawned);
    for (const [slot, refused] of overCap) {
      slot.recordViolation(
        this.tick,
        `Cannot spawn ${refused} more entities from script "${slot.name}": it owns ${
          this.#owned.get(slot.file)
        } entities, the limit is ${this.#options.maxEntitiesPerScript}`,
      );
    }
  }

  #disown(id: number): void {
    const file = this.#owner.get(id);
    if (file === undefined) return;
    this.#owner.delete(id);
    this.#owned.set(file, (this.#owned.get(file) ?? 1) - 1);
  }

  /** Structural commands not yet applied (they are applied before saving). */
  flushCommands(): void {
    this.#applyCommands();
  }
}

function u8(ids: Uint32Array): Uint8Array {
  return new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength);
}

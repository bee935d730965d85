/**
 * The coordinator: owns the world and runs the tick of DESIGN §5 —
 * structural commands from the previous tick first, then the stages of the
 * conflict graph (systems within a stage at once, each in its own process),
 * shipping only granted columns and merging only validated, changed,
 * written columns.
 *
 * It also keeps what a script costs the trusted side within budgets: the
 * entities, component bytes and archetypes its commands create. A command
 * over a budget is discarded with the rest of that script's commands for the
 * tick, and the script is killed for "budget"; the world never pays for it.
 *
 * @module
 */
import type { Manifest } from "../roles/mod.ts";
import { ManifestError } from "../protocol/mod.ts";
import { buildSchedule, type QueuedEvent } from "../ecs/mod.ts";
import type { RunningSystem, SystemRunner } from "./system_runner.ts";
import { validateCommandList, validateResult, type ValidCommand } from "./result_validation.ts";
import type { DriverRunner, RunningDriver } from "./driver_runner.ts";
import { buildFeed, DriverFeed } from "./driver_feed.ts";
import { TickStats } from "./tick_stats.ts";
import {
  type ComponentInfo,
  idsOf,
  type RowSet,
  scatterColumn,
  scatterText,
  type World,
} from "../ecs/mod.ts";
import {
  type ComponentWarning,
  reconcileComponents,
  resolveComponents,
} from "./component_reconcile.ts";
import {
  NOTHING_SHIPPED,
  planQueries,
  type QueryPlan,
  type Shipment,
  shipQueries,
} from "./query_shipping.ts";
import { type FieldInfo, resolveSchema } from "../../std/mod.ts";
import type { WireValue } from "../protocol/mod.ts";

/** The std event of a value a driver set (std/remote_change.ts). */
const REMOTE_CHANGE = "RemoteChange";

/** Coordinator settings. */
export interface CoordinatorOptions {
  /** Tick rate; 0 runs ticks back to back. @default 60 */
  hz: number;
  /**
   * How long a tick may stay outstanding before its system is killed; the
   * world itself waits at most one tick period. @default 250
   */
  deadlineMs: number;
  /** Ids a spawning system may hand out per tick. @default 256 */
  maxSpawnsPerTick: number;
  /** Ids a system's `init` may hand out. @default 10000 */
  maxInitSpawns: number;
  /** Structural commands accepted from one system per tick. @default 10000 */
  maxCommandsPerTick: number;
  /** Live entities one script may have spawned. @default 100000 */
  maxEntitiesPerScript: number;
  /**
   * Component bytes one script may make the world hold: its entities'
   * components, components it attached elsewhere, and the overhead of the
   * archetypes its commands created. @default 64 MiB
   */
  maxComponentBytesPerScript: number;
  /** Live archetypes (distinct component sets) one script's commands may have created. @default 256 */
  maxArchetypesPerScript: number;
  /** The init budget: how long `init` may take before the script is killed for "deadline". @default 3000 */
  initBudgetMs: number;
}

/** Defaults for {@linkcode CoordinatorOptions}. */
export const DEFAULT_COORDINATOR_OPTIONS: Readonly<CoordinatorOptions> = Object.freeze({
  hz: 60,
  deadlineMs: 250,
  maxSpawnsPerTick: 256,
  maxInitSpawns: 10_000,
  maxCommandsPerTick: 10_000,
  maxEntitiesPerScript: 100_000,
  maxComponentBytesPerScript: 64 * 1024 * 1024,
  maxArchetypesPerScript: 256,
  initBudgetMs: 3000,
});

/** One script's budgets in the tick, where the world owner set its own (else the options'). */
export interface ScriptBudgets {
  deadlineMs: number;
  spawnsPerTick: number;
  initSpawns: number;
  entities: number;
}

/** What the world owner allows beyond the grants: who may write which component, and how much. */
export interface WorldPolicy {
  /** Null when script `file` may write `component`; otherwise why not (names the rule). */
  writeRefusal(file: string, component: ComponentInfo): string | null;
  /** Budgets of script `file` that differ from the coordinator's options. */
  budgets?(file: string): Partial<ScriptBudgets>;
}

/** A world with no rules of its own: the grants decide. */
export const OPEN_POLICY: WorldPolicy = Object.freeze({ writeRefusal: () => null });

/** Events one system may emit in one tick. */
const MAX_EVENTS_PER_TICK = 1024;

/** A running version of a system as the world sees it: its names resolved to the world's. */
interface SystemView {
  /** The world's component for each name its manifest names (names are its view). */
  readonly components: ReadonlyMap<string, ComponentInfo>;
  readonly plans: readonly QueryPlan[];
  /** Its event types' fields, as it declared them. */
  readonly events: ReadonlyMap<string, readonly FieldInfo[]>;
  /** Schedule keys: components by key, resources as "resource NAME". */
  readonly reads: readonly string[];
  readonly writes: readonly string[];
}

const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/** Owns the world state and advances it tick by tick. */
export class Coordinator {
  world: World;
  tick: number;
  readonly stats = new TickStats();
  readonly #options: Readonly<CoordinatorOptions>;
  readonly #policy: WorldPolicy;
  readonly #slots: () => readonly SystemRunner[];
  #queued = new Map<SystemRunner, ValidCommand[]>();
  #lastSlots: readonly SystemRunner[] | null = null;
  readonly #warned = new Set<string>();
  /** Versions of files whose init was tried: a failed init waits for the file's next version. */
  readonly #initTried = new Set<string>();
  readonly #views = new WeakMap<RunningSystem, SystemView>();
  /** Per running version: the change clock of the stage its last merged result was shipped in. */
  readonly #seen = new WeakMap<RunningSystem, number>();

  readonly #drivers: () => readonly DriverRunner[];
  /** Per running driver version: what its next feed must say (driver_feed.ts). */
  readonly #feeds = new Map<DriverRunner, { child: RunningDriver; feed: DriverFeed }>();

  constructor(
    world: World,
    startTick: number,
    slots: () => readonly SystemRunner[],
    options: Readonly<CoordinatorOptions>,
    policy: WorldPolicy = OPEN_POLICY,
    drivers: () => readonly DriverRunner[] = () => [],
  ) {
    this.world = world;
    this.tick = startTick;
    this.#slots = slots;
    this.#options = options;
    this.#policy = policy;
    this.#drivers = drivers;
  }

  /** The budgets of script `file`: the options', then the owner's. */
  #budgets(file: string): ScriptBudgets {
    const o = this.#options;
    return {
      deadlineMs: o.deadlineMs,
      spawnsPerTick: o.maxSpawnsPerTick,
      initSpawns: o.maxInitSpawns,
      entities: o.maxEntitiesPerScript,
      ...this.#policy.budgets?.(file),
    };
  }

  /** Seconds per tick, fixed so that runs are deterministic. */
  get dt(): number {
    return 1 / (this.#options.hz > 0 ? this.#options.hz : 60);
  }

  /**
   * Checks a new script's manifest against the world owner's rules: every
   * component it writes must be one the owner lets it write. Throws
   * ManifestError naming the rule. (Other scripts never make a manifest
   * fail: a name or component another script uses is not a conflict.)
   */
  checkManifest(manifest: Manifest, file: string): void {
    for (const name of manifest.writes) {
      const info = this.world.registry.resolve({
        name,
        schema: manifest.components[name]!,
        module: manifest.modules[name] ?? null,
      });
      const refusal = this.#policy.writeRefusal(file, info);
      if (refusal) throw new ManifestError(`Script "${file}" may not write "${name}": ${refusal}`);
    }
  }

  /**
   * Installs started and restarted drivers: each new version is given its
   * first ids to spawn with and starts from a snapshot.
   */
  #commitDrivers(): void {
    for (const driver of this.#drivers()) {
      const child = driver.commitPending();
      if (!child) continue;
      const old = this.#feeds.get(driver);
      if (old) this.world.allocator.release(old.feed.unusedIds());
      // A driver's entities live as long as its process (a page's player, say): a new version
      // starts without those of the last one, or of the world's last run.
      for (const id of this.world.owners.ownedBy(driver.file)) {
        if (!this.world.despawn(id)) continue;
        for (const { feed } of this.#feeds.values()) feed.despawned(id);
      }
      const feed = new DriverFeed(
        this.world,
        driver.file,
        child.manifest,
        this.#options.maxSpawnsPerTick,
      );
      this.#feeds.set(driver, { child, feed });
      driver.begin(child, feed.topUpReserve());
    }
  }

  /** Swaps in started, restarted and reloaded scripts; a tick boundary. */
  commitPending(): void {
    this.#commitDrivers();
    const slots = this.#slots();
    let changed = false;
    if (slots !== this.#lastSlots) {
      // A script file was added or deleted: a deleted one no longer declares its components.
      this.#lastSlots = slots;
      const declaring = [...slots, ...this.#drivers()].map((s) => s.file);
      changed = this.world.registry.retain(new Set(declaring));
    }
    const warnings: ComponentWarning[] = [];
    for (const slot of slots) {
      const child = slot.commitPending();
      if (!child) continue;
      this.#views.set(child, this.#viewOf(slot.file, child.manifest, warnings));
      changed = true;
    }
    if (!changed) return;
    for (const warning of [...warnings, ...reconcileComponents(this.world)]) {
      if (this.#warned.has(warning.id)) continue;
      this.#warned.add(warning.id);
      const slot = slots.find((s) => s.file === warning.file) ?? slots[0];
      slot?.recordWarning(warning.message);
    }
  }

  /** Resolves a new version's names to the world's: components, resources (declared here), events. */
  #viewOf(file: string, m: Manifest, warnings: ComponentWarning[]): SystemView {
    const components = resolveComponents(this.world, file, m, warnings);
    for (const [name, schema] of Object.entries(m.resourceSchemas)) {
      const change = this.world.resources.declare(name, resolveSchema(name, schema, "resource"));
      if (change) warnings.push({ id: `resource ${file} ${change}`, file, message: change });
    }
    const events = new Map(
      Object.entries(m.eventSchemas).map(([n, s]) => [n, resolveSchema(n, s, "event")] as const),
    );
    const key = (n: string) => components.get(n)!.key;
    const resource = (n: string) => `resource ${n}`;
    return {
      components,
      plans: planQueries(m, components),
      events,
      reads: [...m.reads.map(key), ...m.resources.reads.map(resource)],
      writes: [...m.writes.map(key), ...m.resources.writes.map(resource)],
    };
  }

  /** The resources a system reads or writes, as plain objects. */
  #resourcesFor(m: Manifest): Record<string, WireValue> | undefined {
    const names = [...new Set([...m.resources.reads, ...m.resources.writes])];
    if (names.length === 0) return undefined;
    return Object.fromEntries(names.map((n) => [n, this.world.resources.plain(n) ?? {}]));
  }

  /** The events a system receives this tick, by type. */
  #eventsFor(m: Manifest): Record<string, WireValue[]> | undefined {
    if (m.events.receives.length === 0) return undefined;
    return Object.fromEntries(
      m.events.receives.map((n) => [n, [...this.world.events.delivered(n)]]),
    );
  }

  /**
   * Runs the `init` of every running script whose file has not run it in
   * this world yet, at the same time, each within the init budget, then
   * applies what they queued in declaration order. An init that succeeds is
   * never run again in this world (the saved state keeps which ran); one that
   * fails applies nothing and is tried again with the file's next version.
   */
  async init(): Promise<void> {
    this.commitPending();
    await this.#runInits();
    this.#applyCommands();
  }

  /** Whether a running version's init is due: its file's never ran, and this version has not tried. */
  #initDue(slot: SystemRunner): boolean {
    const child = slot.active;
    return child !== null && child.manifest.hasInit && child.killReason === null &&
      !this.#initTried.has(initAttempt(slot.file, child)) &&
      !this.world.initsRun.has(scriptKey(slot.file));
  }

  /**
   * Starts the inits that are due and returns when they have all answered
   * (or run out of their budget). Their commands are queued like a tick's.
   */
  #runInits(): Promise<void> {
    const due = this.#slots().filter((s) => this.#initDue(s));
    const runs = due.map((slot) => {
      const child = slot.active!;
      this.#initTried.add(initAttempt(slot.file, child));
      const reserved = child.manifest.spawns
        ? this.world.allocator.reserve(this.#budgets(slot.file).initSpawns)
        : null;
      const budget = this.#options.initBudgetMs;
      const resources = this.#resourcesFor(child.manifest);
      return slot.request(
        {
          t: "init",
          reserve: reserved ? u8(reserved) : new Uint8Array(0),
          seed: systemSeed(this.world.seed, scriptKey(slot.file), 0),
          ...(resources ? { resources } : {}),
        },
        // The init budget is the world's: it kills here, not the role's tick deadline.
        { waitMs: budget, deadlineMs: null },
        (result) => this.#accept(slot, child, 0, NOTHING_SHIPPED, reserved, result, null),
      ).then((outcome) => {
        if (outcome.kind === "late") {
          slot.kill("deadline", `spent more than ${budget} ms in init (its init budget)`);
        }
        const used = outcome.kind === "result" ? outcome.value : null;
        if (used !== null) this.world.initsRun.add(scriptKey(slot.file));
        return { reserved, used };
      });
    });
    return Promise.all(runs).then((done) => {
      // Unused ids go back in declaration order, whatever order the inits finished in.
      for (const { reserved, used } of done) this.#release(reserved, used);
    });
  }

  #viewFor(child: RunningSystem): SystemView {
    let view = this.#views.get(child);
    if (!view) {
      // Installed outside commitPending (a test's runner): resolved on first use.
      view = this.#viewOf("", child.manifest, []);
      this.#views.set(child, view);
    }
    return view;
  }

  /** Runs one tick; returns its duration in ms. */
  async step(): Promise<number> {
    const started = performance.now();
    this.tick++;
    this.commitPending();
    // A script added to a live world (or fixed after its init failed) runs its init; the world
    // does not wait for it: the script is busy (skipped) until it answers, and what the init
    // queued is applied at the next tick boundary.
    void this.#runInits();
    // Last tick's events are this tick's.
    this.world.events.deliver();
    this.#applyCommands();
    this.#applyDriverWrites();
    for (const slot of this.#slots()) slot.beginTick();
    for (const driver of this.#drivers()) driver.beginTick();
    const systems = this.#slots()
      // A child being killed gets no more ticks: whatever it would send is excess.
      .filter((s) => s.active?.manifest.hasRun && s.active.killReason === null)
      .map((slot) => {
        const child = slot.active!;
        const view = this.#viewFor(child);
        return { slot, child, name: slot.name, reads: view.reads, writes: view.writes };
      });
    const { stages } = buildSchedule(systems);
    for (const stage of stages) {
      // A stage's merges share a stamp: its systems cannot touch what another of them reads.
      const stamp = this.world.advanceClock();
      const outcomes = await Promise.all(
        stage.map(({ slot, child }) => this.#runSystem(slot, child, stamp)),
      );
      // Whatever changes after the stage (commands, a restore, a driver) is newer than its merges.
      this.world.advanceClock();
      // In declaration order, so that the next reservations do not depend on who answered first.
      for (const o of outcomes) this.#release(o.reserved, o.used);
    }
    this.#feedDrivers();
    const ms = performance.now() - started;
    this.stats.record(ms, started);
    return ms;
  }

  /** DESIGN §5 step 6: each driver that has handled its last feed gets what changed since. */
  #feedDrivers(): void {
    let fed = false;
    for (const driver of this.#drivers()) {
      const entry = this.#feeds.get(driver);
      if (!entry || driver.active !== entry.child || !driver.feedReady) continue;
      driver.sendFeed(buildFeed(this.world, entry.feed, this.tick));
      fed = true;
    }
    // What changes from now on is newer than anything a feed just covered.
    if (fed) this.world.advanceClock();
  }

  /**
   * Applies what drivers sent since the last boundary, in driver name order,
   * validated like a system's commands: components in its writes, entities it
   * spawned, ids it was given.
   */
  #applyDriverWrites(): void {
    const drivers = [...this.#drivers()].sort((a, b) => (a.name < b.name ? -1 : 1));
    const unspawned: number[] = [];
    // The values drivers set become RemoteChange events, if a running system receives them.
    const told = this.#slots().some((s) =>
      s.active?.manifest.events.receives.includes(REMOTE_CHANGE) === true
    );
    for (const driver of drivers) {
      const raw = driver.takeWrites();
      const entry = this.#feeds.get(driver);
      if (raw.length === 0 || !entry || driver.active !== entry.child) continue;
      const m = entry.child.manifest;
      // Editor authority (an inspector's edits with --editable): any component, any entity.
      const editor = driver.editor;
      const named = (name: string) => this.world.registry.named(name)[0];
      const validation = validateCommandList(raw, {
        who: `driver "${driver.name}"`,
        spawns: m.spawns,
        writes: editor ? new Set(this.world.registry.all().map((c) => c.name)) : new Set(m.writes),
        reserved: entry.feed.reserved(),
        component: (name) => entry.feed.component(name) ?? (editor ? named(name) : undefined),
        mayTouch: (id) =>
          this.world.owners.ownerOf(id) === driver.file || (editor && this.world.isAlive(id)),
        notTouchable: "the driver did not spawn it (a driver changes only its own entities)",
        maxCommands: this.#options.maxCommandsPerTick,
      });
      if (!validation.ok) {
        for (const v of validation.violations) driver.recordViolation(this.tick, v);
        continue;
      }
      entry.feed.used(validation.usedIds);
      this.#applyQueue(driver, validation.commands, unspawned);
      if (told) this.#tellRemoteChanges(driver, validation.commands);
    }
    this.world.allocator.release(unspawned);
  }

  /** A driver's sets, as events for the systems with an onRemoteChange hook (std RemoteChange). */
  #tellRemoteChanges(driver: DriverRunner, commands: readonly ValidCommand[]): void {
    const events: QueuedEvent[] = [];
    for (const c of commands) {
      if (c.op !== "add" || !this.world.isAlive(c.id)) continue;
      const name = this.world.registry.get(c.component)?.name;
      if (name) {
        events.push([REMOTE_CHANGE, { entity: c.id, component: name, driver: driver.name }]);
      }
    }
    this.world.events.emit(driver.file, events);
  }

  async #runSystem(
    slot: SystemRunner,
    child: RunningSystem,
    stamp: number,
  ): Promise<{ reserved: Uint32Array | null; used: Set<number> | null }> {
    const m = child.manifest;
    const shipment = shipQueries(
      this.world,
      this.#viewFor(child).plans,
      this.#seen.get(child) ?? -1,
    );
    const resources = this.#resourcesFor(m);
    const events = this.#eventsFor(m);
    const budgets = this.#budgets(slot.file);
    const reserved = m.spawns ? this.world.allocator.reserve(budgets.spawnsPerTick) : null;
    const tick = this.tick;
    // DESIGN §5 step 5: the world waits at most a tick period (the deadline with --hz 0); a
    // late system is skipped while busy, and only the role kills it, past its deadline.
    const period = this.#options.hz > 0 ? 1000 / this.#options.hz : Infinity;
    const waitMs = Math.min(period, budgets.deadlineMs);
    const outcome = await slot.request(
      {
        t: "tick",
        tick,
        dt: this.dt,
        queries: shipment.queries,
        ...(resources ? { resources } : {}),
        ...(events ? { events } : {}),
        ...(reserved ? { reserve: u8(reserved) } : {}),
        seed: systemSeed(this.world.seed, scriptKey(slot.file), tick),
      },
      { waitMs, deadlineMs: budgets.deadlineMs },
      (result) => this.#accept(slot, child, tick, shipment, reserved, result, stamp),
    );
    let used: Set<number> | null = null;
    if (outcome.kind === "result") used = outcome.value;
    else if (outcome.kind === "late") slot.recordLate(tick, waitMs);
    else if (outcome.kind === "busy") slot.recordSkipped(tick);
    return { reserved, used };
  }

  /**
   * Validates and merges a result; returns the reserved ids its spawns used.
   * `stamp` is the change clock its columns are merged under (null: an init,
   * which is shipped no rows).
   */
  #accept(
    slot: SystemRunner,
    child: RunningSystem,
    tick: number,
    shipment: Shipment,
    reserved: Uint32Array | null,
    raw: unknown,
    stamp: number | null,
  ): Set<number> | null {
    let shipped: Set<number> | null = null;
    const view = this.#viewFor(child);
    const validation = validateResult(raw, {
      script: slot.name,
      manifest: child.manifest,
      tick,
      rows: shipment.rows,
      reserved,
      component: (name) => view.components.get(name),
      resourceFields: (name) => this.world.resources.fieldsOf(name),
      eventFields: (name) => view.events.get(name),
      maxEvents: MAX_EVENTS_PER_TICK,
      mayTouch: (id) => {
        if (this.world.owners.ownerOf(id) === slot.file) return true;
        shipped ??= shippedIds(shipment.rows);
        return shipped.has(id);
      },
      // A script allowed more spawns than commands per tick may use them all.
      maxCommands: Math.max(this.#options.maxCommandsPerTick, reserved?.length ?? 0),
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
    for (const c of result.changed) {
      const rows = shipment.rows[c.query]!;
      if (c.text) scatterText(rows, c.component, c.field, c.text, stamp ?? 0);
      else scatterColumn(rows, c.component, c.field, c.bytes, stamp ?? 0);
    }
    if (stamp !== null) this.#seen.set(child, stamp);
    for (const r of result.resources) this.world.resources.set(r.name, r.field, r.scalars);
    this.world.events.emit(slot.file, result.events);
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

  /**
   * Applies queued structural commands in declaration order, then command
   * order, within each script's budgets.
   */
  #applyCommands(): void {
    if (this.#queued.size === 0) return;
    const queued = this.#queued;
    this.#queued = new Map();
    const order = [...queued.keys()].sort((a, b) => (a.file < b.file ? -1 : 1));
    const unspawned: number[] = [];
    for (const slot of order) this.#applyQueue(slot, queued.get(slot)!, unspawned);
    this.world.allocator.release(unspawned);
  }

  /** One sender's commands in order, within its budgets: the first over one ends its queue. */
  #applyQueue(sender: CommandSender, commands: readonly ValidCommand[], unspawned: number[]) {
    const kind = this.#drivers().includes(sender as DriverRunner) ? "driver" : "script";
    for (let i = 0; i < commands.length; i++) {
      const c = commands[i]!;
      const over = this.#overBudget(sender.file, c);
      if (over !== null) {
        // The excess is discarded: this command and the rest of the queue.
        for (const rest of commands.slice(i)) if (rest.op === "spawn") unspawned.push(rest.id);
        sender.recordViolation(
          this.tick,
          `Cannot apply the commands of ${kind} "${sender.name}": ${over}`,
        );
        sender.kill("budget", over);
        break;
      }
      this.#apply(sender, c, unspawned);
    }
  }

  #apply(sender: CommandSender, c: ValidCommand, unspawned: number[]): void {
    const file = sender.file;
    switch (c.op) {
      case "spawn":
        if (!this.world.spawn(c.id, c.components, file)) unspawned.push(c.id);
        return;
      case "despawn": {
        const refusal = this.#despawnRefusal(file, c.id);
        if (refusal) {
          sender.recordViolation(this.tick, `Cannot despawn entity ${c.id}: ${refusal}`);
        } else if (this.world.despawn(c.id)) {
          for (const { feed } of this.#feeds.values()) feed.despawned(c.id);
        }
        return;
      }
      case "add":
        this.world.add(c.id, c.component, c.values, file);
        return;
      case "remove":
        if (this.world.remove(c.id, c.component, file)) {
          for (const { feed } of this.#feeds.values()) feed.removed(c.id, c.component);
        }
        return;
    }
  }

  /** Why `file` may not despawn `id`: it holds a component the owner lets only others write. */
  #despawnRefusal(file: string, id: number): string | null {
    for (const key of this.world.componentsOf(id) ?? []) {
      const info = this.world.registry.get(key);
      const refusal = info && this.#policy.writeRefusal(file, info);
      if (refusal) return `it holds "${info.name}", and ${refusal}`;
    }
    return null;
  }

  /** Why a command would take its script over a budget, or null. */
  #overBudget(file: string, c: ValidCommand): string | null {
    const o = this.#options;
    const usage = this.world.usage(file);
    let cost = 0;
    let createsArchetype = false;
    if (c.op === "spawn") {
      const { entities } = this.#budgets(file);
      if (usage.entities >= entities) {
        return `it owns ${usage.entities} entities, the limit is ${entities}`;
      }
      const keys = Object.keys(c.components);
      cost = this.world.spawnCost(keys);
      createsArchetype = this.world.createsArchetype(keys);
    } else if (c.op === "add") {
      cost = this.world.addCost(c.id, c.component);
      const current = this.world.componentsOf(c.id);
      createsArchetype = cost > 0 && current !== null &&
        this.world.createsArchetype([...current, c.component]);
    } else if (c.op === "remove") {
      createsArchetype = this.world.removeCreatesArchetype(c.id, c.component);
    }
    if (createsArchetype && usage.archetypes >= o.maxArchetypesPerScript) {
      return `its commands created ${usage.archetypes} distinct component sets (archetypes), ` +
        `the limit is ${o.maxArchetypesPerScript}`;
    }
    if (usage.bytes + cost > o.maxComponentBytesPerScript) {
      return `it would make the world hold ${mib(usage.bytes + cost)} of its component data, ` +
        `the limit is ${mib(o.maxComponentBytesPerScript)}`;
    }
    return null;
  }

  /** Structural commands not yet applied (they are applied before saving). */
  flushCommands(): void {
    this.#applyCommands();
  }
}

/** Whoever sent commands: a system or a driver. */
type CommandSender = Pick<SystemRunner, "file" | "name" | "recordViolation" | "kill">;

/** Every entity any query shipped. */
function shippedIds(rows: Readonly<Record<string, RowSet>>): Set<number> {
  const sets = Object.values(rows);
  if (sets.length === 1) return idsOf(sets[0]!);
  const ids = new Set<number>();
  for (const set of sets) for (const id of idsOf(set)) ids.add(id);
  return ids;
}

function u8(ids: Uint32Array): Uint8Array {
  return new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength);
}

/** A script's name in its folder (scripts sit flat there): how the world's state and seeds name it. */
function scriptKey(file: string): string {
  return file.split("/").pop()!;
}

/** The seed of one system's `ctx.random()` in one tick: the world's seed, its file and the tick, mixed. */
function systemSeed(worldSeed: number, file: string, tick: number): number {
  // FNV-1a over the file name, then a murmur-style finish with the seed and the tick.
  let h = 0x811c9dc5 ^ worldSeed;
  for (let i = 0; i < file.length; i++) h = Math.imul(h ^ file.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ tick, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** One version of a file's init, so that a restart of the same version does not try again. */
function initAttempt(file: string, child: RunningSystem): string {
  return `${file}\n${child.version}`;
}

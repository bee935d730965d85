/**
 * The coordinator's side of remote system hosts (DESIGN §7). A host
 * registers on `engine.system.register.<system>`: the server lets only that
 * system's user publish there, so the subject, never the payload, says which
 * system it is. Its manifest is validated as in local mode and must match
 * what the world already runs under that name. From then on the system is a
 * {@linkcode ShardedSystem}: each tick its rows are cut into shards across
 * its instances (the local script too, if the world has one), each shard
 * goes to `engine.system.schedule.<system>.<instance>`, and the results come
 * back on `engine.component.set.<system>`. A shard that does not come back
 * in time is reissued to an instance that answered; the tick is merged only
 * once every shard is in, so it is never half-applied.
 *
 * Heartbeats (`engine.system.heartbeat.<system>`, with the host's load)
 * keep an instance in the pool: one silent for {@linkcode SILENT_AFTER_MS}
 * gets no more shards until it is heard again.
 *
 * @module
 */
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import {
  copyDecoded,
  decodeMessagePack,
  quoteUntrusted,
  type ResultMessage,
  type RuntimeMessage,
  type TickMessage,
  truncate,
} from "../protocol/mod.ts";
import type {
  RequestTiming,
  RunningSystem,
  SystemRunner,
  TickOutcome,
  WorldKillReason,
} from "../coordinator/mod.ts";
import { type Manifest, type SystemRole, validateManifest } from "../roles/mod.ts";
import type { EventStream } from "../supervision/mod.ts";
import { bundleVersion } from "../../sandbox/bundle/mod.ts";
import type { FrameLimits } from "../protocol/mod.ts";
import type { WireError } from "../protocol/mod.ts";
import { encodeBody, header, PartAssembler, publishBody } from "./message_parts.ts";
import { SUBJECTS } from "./subjects.ts";
import type { ConnectionState } from "./connection_state.ts";
import { mergeShards, shardCount, splitTick } from "./shards.ts";

/** An instance silent (no heartbeat, no result) this long gets no shards. */
export const SILENT_AFTER_MS = 1000;

/** What a host says when it registers. */
export interface Registration {
  /** Its instance id: letters, digits, `_` and `-`. */
  instance: string;
  /** The manifest its script sent, as the script sent it. */
  manifest: unknown;
  /** The modules of its bundle, relative to its scripts folder. */
  modules: string[];
  /** Its script file's name (no folder). */
  file: string;
  /** Its bundle's version (content hash). */
  version: string;
}

/** What a heartbeat carries: the host's load. */
export interface Heartbeat {
  instance: string;
  /** Shards it has answered, and the ms its script spent on them. */
  shards: number;
  busyMs: number;
  /** Shards waiting on it. */
  queued: number;
  /** CPU ms its host process and its script child have used, where known. */
  cpuMs?: number;
  /** It is leaving: give its shards to the others now. */
  bye?: boolean;
}

/** One remote instance as the coordinator knows it. */
export interface RemoteInstance {
  readonly id: string;
  lastHeard: number;
  /** Shards it answered for this coordinator, and the ms it took from send to result. */
  shards: number;
  shardMs: number;
  /** Shards it did not answer in time (reissued to others). */
  missed: number;
  load: Heartbeat | null;
  /** Until when it gets no shards (it missed one and has not been heard since). */
  suspectUntil: number;
  /** It has not been heard for SILENT_AFTER_MS (said once). */
  silent: boolean;
  /** The manifest it registered with: it gets shards only while the world runs the same. */
  manifest: Manifest;
  /** The last comparison of `manifest` with the world's (a tick asks; a reload changes it). */
  compared?: { running: Manifest; manifest: Manifest; same: boolean };
}

/** What the pool needs of the world. */
export interface PoolWorld {
  /** The world's own systems, by the name they run as. */
  local(): readonly SystemRole[];
  /** The world owner's rules for a system's writes (throws ManifestError). */
  checkManifest(manifest: Manifest, file: string): void;
  /** The file a system that runs only on hosts is known by (its key in syncra.json). */
  remoteFile(system: string): string;
  /** What one result of a system may hold (its spawn budgets raise the defaults). */
  resultLimits(file: string): Readonly<FrameLimits>;
  readonly events: EventStream;
  /** A line of the world's own. */
  note(line: string): void;
}

const INSTANCE_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** A shard for whichever instance of the queue group takes it. */
const ANY = "*";
/** The world's own script, as a member of the pool. */
const LOCAL = "local";

/** Every remote system of a world, and the runners the coordinator drives. */
export class RemoteSystems {
  readonly #nc: NatsConnection;
  readonly #world: PoolWorld;
  readonly #systems = new Map<string, ShardedSystem>();
  /** The local roles each ShardedSystem wraps, so that its identity stays. */
  readonly #wrapped = new WeakMap<SystemRole, ShardedSystem>();
  #lastLocal: readonly SystemRole[] | null = null;
  #lastRunners: readonly SystemRunner[] = [];
  #changed = true;
  readonly #parts = new PartAssembler();

  readonly #link: ConnectionState;

  constructor(nc: NatsConnection, link: ConnectionState, world: PoolWorld) {
    this.#nc = nc;
    this.#link = link;
    this.#world = world;
    nc.subscribe(`${SUBJECTS.register("*")}`, {
      callback: (e, m) => void (e || this.#register(m)),
    });
    nc.subscribe(`${SUBJECTS.heartbeat("*")}`, {
      callback: (e, m) => void (e || this.#heartbeat(m)),
    });
    nc.subscribe(`${SUBJECTS.componentSet("*")}`, {
      callback: (e, m) => void (e || this.#result(m)),
    });
  }

  /** Subscribed (flushed) before any host is told the world is there. */
  ready(): Promise<void> {
    return this.#nc.flush();
  }

  /** The systems the coordinator drives: each local one (wrapped) and the remote-only ones. */
  runners(): readonly SystemRunner[] {
    const local = this.#world.local();
    if (local === this.#lastLocal && !this.#changed) return this.#lastRunners;
    this.#lastLocal = local;
    this.#changed = false;
    const wrapped = local.map((role) => {
      let sharded = this.#wrapped.get(role);
      if (!sharded) {
        sharded = new ShardedSystem(role.name, role, this.#nc, this.#link, this.#world);
        this.#wrapped.set(role, sharded);
      }
      return sharded;
    });
    const remoteOnly = [...this.#systems.values()].filter((s) => s.local === null);
    this.#lastRunners = [...wrapped, ...remoteOnly].sort((a, b) => (a.file < b.file ? -1 : 1));
    return this.#lastRunners;
  }

  /** The sharded system of `name`: the local script's wrapper, else a remote-only one. */
  #system(name: string, create: boolean): ShardedSystem | null {
    this.runners();
    for (const s of this.#lastRunners) if (s.name === name) return s as ShardedSystem;
    if (!create) return null;
    const sharded = new ShardedSystem(name, null, this.#nc, this.#link, this.#world);
    this.#systems.set(name, sharded);
    this.#changed = true;
    return sharded;
  }

  #register(message: Msg): void {
    const system = message.subject.slice(SUBJECTS.register("").length);
    const reply = (answer: Record<string, unknown>) => {
      if (message.reply) message.respond(encodeBody(answer));
    };
    let registration: Registration;
    try {
      registration = decodeMessagePack(message.data) as Registration;
      if (!INSTANCE_ID.test(String(registration?.instance))) {
        throw new Error("no valid instance id");
      }
      if (!Array.isArray(registration.modules)) throw new Error("no module list");
    } catch (error) {
      this.#world.note(
        `⚠ a host of ${system} sent a registration that is not one: ${(error as Error).message}`,
      );
      return reply({ error: `not a registration: ${(error as Error).message}` });
    }
    const sharded = this.#system(system, true)!;
    const refusal = sharded.admit(registration);
    // The version the world runs, for a host that follows the world's bundle (bundle_shelf.ts).
    const bundle = sharded.bundleVersion();
    if (refusal) {
      this.#world.note(`⚠ ${system}: host ${registration.instance} refused: ${refusal}`);
      return reply({ error: refusal, bundle });
    }
    reply({ ok: true, bundle });
  }

  #heartbeat(message: Msg): void {
    const system = message.subject.slice(SUBJECTS.heartbeat("").length);
    let beat: Heartbeat;
    try {
      beat = decodeMessagePack(message.data) as Heartbeat;
    } catch {
      return;
    }
    this.#system(system, false)?.heard(beat);
  }

  #result(message: Msg): void {
    const system = message.subject.slice(SUBJECTS.componentSet("").length);
    const sharded = this.#system(system, false);
    if (!sharded) return;
    let body: Uint8Array | null;
    try {
      body = this.#parts.take(message);
    } catch (error) {
      return sharded.recordWarning(`A host sent ${(error as Error).message}; dropped`);
    }
    if (body === null) return;
    sharded.answered(
      header(message.headers, "syncra-instance"),
      Number(header(message.headers, "syncra-tick")),
      Number(header(message.headers, "syncra-shard")),
      body,
    );
  }

  /** For the status line: the systems with hosts, and how many serve each now. */
  summary(): string | null {
    const now = performance.now();
    const parts = this.runners().flatMap((s) => {
      const sharded = s as ShardedSystem;
      const serving = sharded.instances().filter((i) => now - i.lastHeard <= SILENT_AFTER_MS);
      return sharded.instances().length > 0 ? [`${s.name} ${serving.length} hosts`] : [];
    });
    return parts.length > 0 ? parts.join(", ") : null;
  }

  /** Every system's instances, for the report and the status. */
  instances(): Record<string, RemoteInstance[]> {
    const out: Record<string, RemoteInstance[]> = {};
    for (const s of this.runners()) {
      const list = (s as ShardedSystem).instances();
      if (list.length > 0) out[s.name] = list;
    }
    return out;
  }
}

/** A shard sent and not yet answered. */
interface OpenShard {
  readonly tick: number;
  readonly index: number;
  readonly message: RuntimeMessage;
  readonly sentAt: number;
  /** Instances it went to (a reissue adds one). */
  readonly to: Set<string>;
  /** Instances that have answered a shard of its tick (shared by the tick's shards). */
  readonly answeredBy: Set<string>;
  resolve(result: unknown, by: string): void;
}

/**
 * One system whose ticks may be sharded across instances: the world's own
 * script (if any) plus remote hosts. With no remote instance it is exactly
 * its local role.
 */
export class ShardedSystem implements SystemRunner {
  readonly local: SystemRole | null;
  readonly #name: string;
  readonly #nc: NatsConnection;
  readonly #world: PoolWorld;
  readonly #instances = new Map<string, RemoteInstance>();
  /** A remote-only system's running version; the local role's otherwise. */
  #remote: RunningSystem | null = null;
  #pending: RunningSystem | null = null;
  /** Shards in flight, by `tick/shard`. */
  readonly #open = new Map<string, OpenShard>();
  /** Recent shard round trips (ms), for when to reissue. */
  readonly #recent: number[] = [];
  violations = 0;
  lateTicks = 0;
  /** A remote-only system with no host serving it (said once). */
  #unserved = false;

  readonly #link: ConnectionState;

  constructor(
    name: string,
    local: SystemRole | null,
    nc: NatsConnection,
    link: ConnectionState,
    world: PoolWorld,
  ) {
    this.#name = name;
    this.#link = link;
    this.local = local;
    this.#nc = nc;
    this.#world = world;
  }

  get file(): string {
    return this.local?.file ?? this.#world.remoteFile(this.#name);
  }

  get name(): string {
    return this.local?.name ?? this.#name;
  }

  get active(): RunningSystem | null {
    return this.local ? this.local.active : this.#remote;
  }

  /** Its remote instances. */
  instances(): RemoteInstance[] {
    return [...this.#instances.values()];
  }

  /** Checks a host's registration; null when it joins, else why not. */
  admit(r: Registration): string | null {
    const file = this.local?.file ?? String(r.file).split("/").pop() ?? "";
    let manifest: Manifest;
    try {
      manifest = validateManifest(r.manifest, file, new Set(r.modules.map(String)));
      if (manifest.name !== this.#name && manifest.declaredName !== null) {
        throw new Error(`its script is named "${manifest.name}", not "${this.#name}"`);
      }
      const running = this.active?.manifest ?? this.#pending?.manifest;
      if (running) {
        const difference = manifestDifference(running, manifest);
        if (difference) {
          throw new Error(`its script differs from the one the world runs: ${difference}`);
        }
      } else {
        this.#world.checkManifest(manifest, this.file);
        this.#pending = { manifest, version: String(r.version), killReason: null };
      }
    } catch (error) {
      return (error as Error).message;
    }
    const known = this.#instances.get(r.instance);
    if (known) {
      // Registered again (every few seconds): heard, and perhaps running a new version now.
      known.lastHeard = performance.now();
      known.manifest = manifest;
      return null;
    }
    this.#instances.set(r.instance, {
      id: r.instance,
      lastHeard: performance.now(),
      shards: 0,
      shardMs: 0,
      missed: 0,
      load: null,
      suspectUntil: 0,
      silent: false,
      manifest,
    });
    this.#world.note(
      `✔ ${this.name}: host ${r.instance} joined (${this.#instances.size} remote instance${
        this.#instances.size === 1 ? "" : "s"
      }${this.local ? " and the local script" : ""})`,
    );
    return null;
  }

  /** The bundle version of the world's own script (its content hash), or null. */
  bundleVersion(): string | null {
    const child = this.local?.active;
    return child ? bundleVersion(child.bundle) : null;
  }

  /** A heartbeat from one of its hosts. */
  heard(beat: Heartbeat): void {
    const instance = this.#instances.get(String(beat?.instance));
    if (!instance) return;
    if (beat.bye) {
      this.#instances.delete(instance.id);
      this.#world.note(`• ${this.name}: host ${instance.id} left; its shards go to the others`);
      // What it still had goes elsewhere now, not when the wait runs out.
      for (const open of this.#open.values()) if (open.to.has(instance.id)) this.#reissue(open);
      return;
    }
    instance.lastHeard = performance.now();
    instance.load = beat;
  }

  /** A result body from one of its hosts. */
  answered(instanceId: string, tick: number, shard: number, body: Uint8Array): void {
    let result: unknown;
    try {
      result = decodeMessagePack(body, this.#world.resultLimits(this.file));
    } catch (error) {
      return this.recordWarning(
        `A host (said to be ${quoteUntrusted(instanceId)}) sent a result that is not ` +
          `MessagePack (${(error as Error).message}); dropped`,
      );
    }
    const open = this.#open.get(`${tick}/${shard}`);
    const instance = this.#instances.get(instanceId);
    if (instance) instance.lastHeard = performance.now();
    // A reissued shard's first answer wins; a later one (or one never asked for) is dropped.
    if (!open || !(open.to.has(instanceId) || open.to.has(ANY))) return;
    if (instance) {
      const ms = performance.now() - open.sentAt;
      instance.shards++;
      instance.shardMs += ms;
      this.#recent.push(ms);
      if (this.#recent.length > 32) this.#recent.shift();
    }
    open.resolve(result, instanceId);
  }

  commitPending(): RunningSystem | null {
    if (this.local) return this.local.commitPending();
    if (!this.#pending) return null;
    this.#remote = this.#pending;
    this.#pending = null;
    return this.#remote;
  }

  beginTick(): void {
    this.local?.beginTick();
  }

  /** Instances that get shards now: the local script if free, then the remote ones heard lately. */
  #members(now: number): (string | SystemRole)[] {
    const members: (string | SystemRole)[] = [];
    const running = this.active?.manifest;
    const child = this.local?.active;
    if (this.local && child && !child.busy && child.killReason === null) members.push(this.local);
    for (const i of this.#instances.values()) {
      // Silence while NATS itself was away is not the host's.
      if (now - Math.max(i.lastHeard, this.#link.upSince) > SILENT_AFTER_MS) {
        if (!i.silent) {
          i.silent = true;
          this.#world.note(
            `⚠ ${this.name}: host ${i.id} is silent (no heartbeat for ${SILENT_AFTER_MS} ms); ` +
              `its shards go to the others`,
          );
        }
        continue;
      }
      i.silent = false;
      // A host still on the version before a reload gets nothing until it registers the new one.
      if (running && !runsCurrent(i, running)) continue;
      if (i.suspectUntil > now && i.lastHeard < i.suspectUntil - SILENT_AFTER_MS) continue;
      members.push(i.id);
    }
    return members;
  }

  request<T>(
    message: RuntimeMessage,
    timing: RequestTiming,
    accept: (result: ResultMessage) => T,
  ): Promise<TickOutcome<T>> {
    const now = performance.now();
    const members = this.#members(now);
    const remote = members.filter((m): m is string => typeof m === "string");
    if (remote.length === 0) {
      if (this.local) return this.local.request(message, timing, accept);
      if (!this.#unserved) {
        // Said once, until a host serves it again: the world goes on without it meanwhile.
        this.#unserved = true;
        this.#world.note(`⚠ ${this.name}: no host serves it; it does not run until one does`);
      }
      return Promise.resolve({ kind: "gone" });
    }
    this.#unserved = false;
    if (message.t !== "tick") {
      // An init (or anything but a tick) goes to one instance: the local script, else a host.
      if (this.local) return this.local.request(message, timing, accept);
      return this.#sharded(message, [ANY], timing, accept, null);
    }
    return this.#sharded(message, members, timing, accept, message);
  }

  async #sharded<T>(
    message: RuntimeMessage,
    members: (string | SystemRole)[],
    timing: RequestTiming,
    accept: (result: ResultMessage) => T,
    tick: TickMessage | null,
  ): Promise<TickOutcome<T>> {
    const count = tick ? shardCount(tick, members.length) : 1;
    const split = tick ? splitTick(tick, count) : null;
    const shards = split ? split.shards : [message];
    const id = tick?.tick ?? 0;
    const results: unknown[] = new Array(count);
    const answeredBy = new Set<string>();
    const waits = shards.map((shard, index) =>
      new Promise<void>((resolve) => {
        const member = members[index]!;
        const done = (result: unknown, by: string) => {
          answeredBy.add(by);
          if (results[index] !== undefined) return;
          results[index] = result;
          this.#open.delete(`${id}/${index}`);
          resolve();
        };
        const open: OpenShard = {
          tick: id,
          index,
          message: shard,
          sentAt: performance.now(),
          to: new Set(),
          answeredBy,
          resolve: done,
        };
        this.#open.set(`${id}/${index}`, open);
        if (member === ANY) this.#send(null, shard, id, index, open);
        else if (typeof member === "string") this.#send(member, shard, id, index, open);
        else {
          open.to.add(LOCAL);
          void member.request(shard, timing, copyDecoded).then((o) => {
            if (o.kind === "result") done(o.value, LOCAL);
            else this.#reissue(open);
          });
        }
      })
    );
    const all = Promise.all(waits);
    // A shard not back in a few round trips goes to another instance as well.
    // (Until a few round trips are known, a quarter of the wait: a slow system is not reissued at once.)
    const typical = this.#recent.length >= 3 ? median(this.#recent) : timing.waitMs / 16;
    const reissueAfter = Math.min(timing.waitMs / 2, Math.max(10, 4 * typical));
    const reissue = setInterval(() => {
      for (const open of this.#open.values()) if (open.tick === id) this.#reissue(open);
    }, reissueAfter);
    const outcome = await this.#wait(all, timing.waitMs, id);
    clearInterval(reissue);
    for (let i = 0; i < count; i++) this.#open.delete(`${id}/${i}`);
    if (outcome === "late") return { kind: "late" };
    const merged = split
      ? mergeShards(tick!, split, results)
      : { ok: true as const, result: results[0] as ResultMessage };
    if (!merged.ok) {
      this.recordViolation(id, `Its sharded result was dropped: ${merged.problem}`);
      this.recordViolatingTick();
      return { kind: "gone" };
    }
    return { kind: "result", value: accept(merged.result) };
  }

  /**
   * Waits `waitMs` for every shard. Where NATS went away meanwhile, the
   * wait is not the shards' fault: the tick waits for the connection, then
   * its open shards may go to any instance again, and it waits anew.
   */
  async #wait(all: Promise<unknown>, waitMs: number, tick: number): Promise<"done" | "late"> {
    for (;;) {
      const disconnects = this.#link.disconnects;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), waitMs)));
      const outcome = await Promise.race([all.then(() => "done" as const), late]);
      clearTimeout(timer);
      if (outcome === "done") return outcome;
      if (this.#link.connected && this.#link.disconnects === disconnects) return "late";
      await this.#link.reconnected();
      for (const open of this.#open.values()) if (open.tick === tick) open.to.clear();
    }
  }

  /** Sends a shard to one instance, or (null) to whichever of the queue group takes it. */
  #send(
    instance: string | null,
    shard: RuntimeMessage,
    tick: number,
    index: number,
    open: OpenShard,
  ): void {
    open.to.add(instance ?? ANY);
    const subject = instance === null
      ? SUBJECTS.schedule(this.#name)
      : `${SUBJECTS.schedule(this.#name)}.${instance}`;
    try {
      publishBody(this.#nc, subject, encodeBody(shard), {
        "syncra-type": shard.t,
        "syncra-tick": String(tick),
        "syncra-shard": String(index),
      });
    } catch (error) {
      this.recordWarning(`Cannot send a shard to host ${instance}: ${(error as Error).message}`);
    }
  }

  /** Sends an open shard to one more instance: one that is answering, not one it went to. */
  /**
   * Sends an open shard to one more instance, preferring those that have
   * answered in this tick. Where another instance has answered, the ones it
   * went to are suspect: they get no shards until heard from again.
   */
  #reissue(open: OpenShard): void {
    const now = performance.now();
    const answeredBy = open.answeredBy;
    if (answeredBy.size > 0) {
      for (const id of open.to) {
        const instance = this.#instances.get(id);
        if (instance && instance.suspectUntil < now) {
          instance.missed++;
          instance.suspectUntil = now + SILENT_AFTER_MS;
        }
      }
    }
    const others = this.#members(now).filter((m): m is string =>
      typeof m === "string" && !open.to.has(m)
    );
    const free = others.filter((m) => answeredBy.has(m));
    const candidates = free.length > 0 ? free : others;
    if (candidates.length === 0) return;
    // The least loaded by its last heartbeat: fewest shards waiting on it.
    const queued = (id: string) => this.#instances.get(id)?.load?.queued ?? 0;
    const to = candidates.reduce((best, id) => (queued(id) < queued(best) ? id : best));
    this.#send(to, open.message, open.tick, open.index, open);
  }

  recordLate(tick: number, waitedMs: number): void {
    this.lateTicks++;
    if (this.local) return this.local.recordLate(tick, waitedMs);
    this.#world.events.emit({ type: "late", ...this.#who, tick, waitedMs });
  }

  recordSkipped(tick: number): void {
    this.local?.recordSkipped(tick);
  }

  recordOnTime(): void {
    this.local?.recordOnTime();
  }

  recordViolation(tick: number, message: string): void {
    this.violations++;
    if (this.local) return this.local.recordViolation(tick, message);
    this.#world.events.emit({
      type: "violation",
      ...this.#who,
      tick,
      message: truncate(message, 8192),
    });
  }

  recordViolatingTick(): void {
    this.local?.recordViolatingTick();
  }

  recordError(error: WireError): void {
    if (this.local) return this.local.recordError(error);
    this.#world.events.emit({
      type: "log",
      ...this.#who,
      level: "error",
      text: truncate(`Uncaught ${error.name}: ${error.message}`, 8192),
    });
  }

  recordWarning(message: string): void {
    if (this.local) return this.local.recordWarning(message);
    this.#world.events.emit({ type: "warning", ...this.#who, message });
  }

  kill(reason: WorldKillReason, detail: string): void {
    if (this.local) return this.local.kill(reason, detail);
    // A remote-only system over a world budget loses its hosts; they may register again.
    this.#world.note(`✖ ${this.name}: ${detail} (${reason}); its hosts are dropped`);
    this.#instances.clear();
  }

  get #who(): { script: string; file: string } {
    return { script: this.name, file: this.file };
  }
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/** Whether an instance runs the manifest the world runs, compared once per pair. */
function runsCurrent(i: RemoteInstance, running: Manifest): boolean {
  const c = i.compared;
  if (c?.running === running && c.manifest === i.manifest) return c.same;
  const same = i.manifest === running || manifestDifference(running, i.manifest) === null;
  i.compared = { running, manifest: i.manifest, same };
  return same;
}

/** Where two manifests differ, in a few words, or null. */
function manifestDifference(a: Manifest, b: Manifest): string | null {
  for (const key of ["queries", "components", "resources", "events", "spawns", "hasRun"] as const) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return `its ${key} are not the same`;
  }
  return null;
}

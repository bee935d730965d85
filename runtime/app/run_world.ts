/**
 * `deno task world`: creates the world, runs the tick loop at a fixed rate
 * until its ticks are done or the caller's signal aborts, saves periodically,
 * and at exit saves state and writes the report and dump.
 *
 * @module
 */
import { basename, dirname } from "node:path";
import { bundledModules, bundleVersion } from "../../sandbox/bundle/mod.ts";
import { setImmediate } from "node:timers";
import { escapeControls } from "../protocol/mod.ts";
import { safeJson } from "./audit_log.ts";
import { createWorld, type LiveWorld, type WorldParts } from "./create_world.ts";
import { DEFAULT_WORLD_OPTIONS, type WorldOptions, worldPaths } from "./world_options.ts";
import {
  entities,
  peakResidentMb,
  type RemoteInstanceReport,
  type WorldReport,
} from "./world_report.ts";
import { writeDump } from "./world_dump.ts";
import {
  openWorldBus,
  type RemoteInstance,
  type RemoteSystems,
  type SnapshotAnswer,
  type WorldBus,
} from "../nats/mod.ts";
import { listScripts, SystemNames, type SystemRole } from "../roles/mod.ts";
import { loadWorldConfig } from "../policy/mod.ts";
import { joinWorld } from "../network/mod.ts";
import type { WorldStore } from "../store/mod.ts";
import { join, resolve } from "node:path";

/** A client instance's store: the mirror of a joined world is never saved as this world's state. */
const NO_STATE: WorldStore = {
  describe: "nowhere (a client keeps no state: the joined world is the server's)",
  load: () => Promise.resolve(null),
  save: () => Promise.resolve(),
};

/**
 * How often a world in local mode saves its state (distributed mode has its
 * snapshots and the change log between them instead).
 */
const SAVE_EVERY_MS = 10_000;

/**
 * In distributed mode the world's snapshot goes to JetStream every this many
 * ticks (10 s at 60 Hz), and sooner when the changes logged since add up to
 * more than it (jetstream_store.ts).
 */
export const SNAPSHOT_EVERY_TICKS = 600;

/**
 * In distributed mode what changed goes to JetStream's change log every this
 * many milliseconds (6 ticks at 60 Hz), at a tick boundary: a coordinator
 * killed with SIGKILL loses at most the last of these, and the entries
 * JetStream had not yet stored. By time, not ticks: a world ticking back to
 * back would otherwise write its changed rows hundreds of times a second.
 */
export const CHANGES_EVERY_MS = 100;

/** Runs a world until its ticks are done or `options.signal` aborts; returns the report. */
export async function runWorld(
  partial: Partial<WorldOptions>,
  parts: WorldParts = {},
): Promise<WorldReport> {
  // Distributed mode: NATS first, for the world's state lives in its JetStream. Its config, read
  // once, names the remote drivers that need identities, and is the world's own.
  if (partial.nats && !partial.config) {
    const scriptsDir = partial.scriptsDir ?? DEFAULT_WORLD_OPTIONS.scriptsDir;
    const root = worldPaths({ scriptsDir, workDir: null, statePath: null }).root;
    partial = { ...partial, config: await loadWorldConfig(root) };
  }
  // A client instance (DESIGN §11): join first, so a refused token stops it before anything runs.
  if (partial.join) {
    const quiet = partial.quiet ?? false;
    const scriptsDir = partial.scriptsDir ?? DEFAULT_WORLD_OPTIONS.scriptsDir;
    await using client = await joinWorld({
      ...partial.join,
      file: join(resolve(scriptsDir), "@network"),
      note: (line) => quiet || console.error(`[network] ${escapeControls(line)}`),
    });
    if (!quiet) {
      console.error(
        `✔ joined ${escapeControls(partial.join.url)} as "${escapeControls(client.name)}" ` +
          `(its entity ${client.player}), mirroring ${Object.keys(client.mirror.schemas).length} ` +
          `replicated components`,
      );
    }
    return await runWorldOn(
      { ...partial, fresh: true, join: null },
      { ...parts, store: NO_STATE, inProcessDrivers: [client.mirror] },
      null,
      () => null,
    );
  }
  const bus = partial.nats ? await openBus(partial) : null;
  let remote: RemoteSystems | null = null;
  const distributed: WorldParts = bus
    ? {
      ...parts,
      store: bus.store,
      // Its systems may also run on hosts elsewhere (deno task system).
      systems: (world) => {
        const pool = remote = bus.remoteSystems(world);
        return () => pool.runners();
      },
      hosts: () => remote?.summary() ?? null,
      // Its drivers marked "remote" run on hosts (deno task driver).
      remoteDriver: (name, real) => bus.remoteDriver(name, real),
    }
    : parts;
  try {
    return await runWorldOn(partial, distributed, bus, () => remote);
  } finally {
    await bus?.close();
  }
}

/** The world's NATS: its server (auto) or the one it joins, and the hosts' identities. */
async function openBus(partial: Partial<WorldOptions>): Promise<WorldBus> {
  const scriptsDir = partial.scriptsDir ?? DEFAULT_WORLD_OPTIONS.scriptsDir;
  // Each script gets a NATS identity (for its remote hosts) under the name it runs as.
  const files = await listScripts(scriptsDir).catch(() => []);
  const names = new SystemNames();
  names.setFiles(files);
  return await openWorldBus({
    root: worldPaths({ scriptsDir, workDir: null, statePath: null }).root,
    drivers: (partial.config?.drivers ?? []).filter((d) => d.remote).map((d) => d.name),
    nats: partial.nats!,
    credsPath: partial.natsCreds ?? null,
    systems: [...new Set([...files.map((f) => names.of(f)), ...(partial.remoteSystems ?? [])])],
  });
}

async function runWorldOn(
  partial: Partial<WorldOptions>,
  parts: WorldParts,
  bus: WorldBus | null,
  remote: () => RemoteSystems | null,
): Promise<WorldReport> {
  await using live = await createWorld(partial, parts);
  const { options, coordinator } = live;
  const started = performance.now();
  let stopping = options.signal?.aborted ?? false;
  const stop = () => (stopping = true);
  options.signal?.addEventListener("abort", stop);
  let ticksRun = 0;
  let report: WorldReport;
  const snapshotsAsked: ((answer: SnapshotAnswer) => void)[] = [];
  try {
    await live.start();
    if (bus) {
      bus.attach(() => ({ world: coordinator.world, tick: coordinator.tick }));
      bus.say((line) => live.note(line));
      // A snapshot on demand (deno task query --snapshot), taken at the next tick boundary.
      bus.onSnapshot(() => new Promise((resolve) => snapshotsAsked.push(resolve)));
      // The world's own server is watched and restarted; one that cannot start again is said.
      void bus.server?.died.then((why) => why && live.note(`✖ ${why}`));
      // Hosts are heard from, and find the scripts' bundles, before anyone is told where the world is.
      await remote()?.ready();
      await shelveBundles(live, bus);
      // One line on stdout, like the viewer's: where the world's NATS is, once it answers there.
      console.log(`nats: ${bus.url}`);
      live.note(
        `✔ on NATS at ${bus.url}${
          bus.server ? ` (its own nats-server, pid ${bus.server.pid})` : ""
        }; changes logged every ${CHANGES_EVERY_MS} ms and snapshots every ${SNAPSHOT_EVERY_TICKS} ticks to ${bus.store.describe}`,
      );
    }
    options.onStarted?.();
    const period = options.hz > 0 ? 1000 / options.hz : 0;
    let next = performance.now();
    let lastSave = performance.now();
    let snapshot: Promise<void> | null = null;
    let changesFailing = false;
    let lastLogged = performance.now();
    while (!stopping && (options.ticks === null || ticksRun < options.ticks)) {
      if (bus && !bus.link.connected) {
        await pauseForNats(bus, options.signal);
        next = performance.now();
        continue;
      }
      const tickMs = await live.step();
      ticksRun++;
      bus?.ticked(coordinator.tick, tickMs);
      if (bus && snapshotsAsked.length > 0) {
        const asked = snapshotsAsked.splice(0);
        const at = coordinator.tick, count = coordinator.world.entityCount;
        const store = bus.store.describe;
        // Encoded now, at the tick boundary; answered once JetStream has it, the world ticking on.
        void live.save().then(
          (): SnapshotAnswer => ({ tick: at, entities: count, store }),
          (error): SnapshotAnswer => ({ tick: at, entities: 0, store, error: error.message }),
        ).then((answer) => {
          live.note(
            answer.error
              ? `⚠ the snapshot of tick ${at} asked for failed: ${answer.error}`
              : `✔ snapshot of tick ${at} on demand, to ${store}`,
          );
          for (const resolve of asked) resolve(answer);
        });
      }
      if (bus && performance.now() - lastLogged >= CHANGES_EVERY_MS) {
        lastLogged = performance.now();
        // Sent now, stored while the world ticks on; entries land in the order they are sent.
        void live.logChanges().then(
          () => (changesFailing = false),
          (error) => {
            if (!changesFailing) live.note(`⚠ ${error.message}; the next snapshot holds them`);
            changesFailing = true;
          },
        );
      }
      if (bus && coordinator.tick % SNAPSHOT_EVERY_TICKS === 0 && !snapshot) {
        // Encoded now, uploaded while the world ticks on (the JetStream store copies first);
        // one still uploading makes this one wait for the next.
        const at = coordinator.tick;
        snapshot = live.save().catch((error) =>
          live.note(`⚠ the snapshot of tick ${at} failed: ${error.message}`)
        ).finally(() => (snapshot = null));
      }
      // Awaited: the file store writes from the world's own tables.
      if (!bus && performance.now() - lastSave > SAVE_EVERY_MS) {
        lastSave = performance.now();
        await live.save();
      }
      if (period > 0) {
        next += period;
        const wait = next - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        else if (wait < -period) next = performance.now(); // too far behind: do not try to catch up
      } else {
        // Back to back, yet I/O (NATS, the viewer, children's frames) gets its turn between ticks.
        await new Promise((r) => setImmediate(r));
      }
    }
    await snapshot;
    // The last commands are applied before the count, so that the report matches the dump.
    coordinator.flushCommands();
    // A script the last commands pushed over a budget is being killed: its exit belongs in the report.
    await live.settleKills();
    report = live.report(ticksRun, performance.now() - started);
    const hosts = remote()?.instances();
    if (hosts && Object.keys(hosts).length > 0) report.remote = reportHosts(hosts);
  } finally {
    options.signal?.removeEventListener("abort", stop);
    await live.stop();
  }
  // How the drivers took the stop is known only once it is over.
  for (const d of report.drivers) {
    d.stoppedCleanly = live.drivers.find((x) => x.name === d.name)?.stoppedCleanly ?? null;
  }
  await live.save();
  if (live.store !== NO_STATE) {
    live.note(
      `✔ saved ${entities(coordinator.world.entityCount)} to ${
        escapeControls(live.store.describe)
      } at tick ${coordinator.tick}`,
    );
  }
  if (options.dumpPath) await writeDump(options.dumpPath, coordinator.world, coordinator.tick);
  // Last, so that the peak covers saving and dumping too.
  report.runtimePeakRssMb = peakResidentMb();
  if (options.reportPath) await writeJson(options.reportPath, report);
  return report;
}

/** While NATS is away no tick runs (what the systems send could not arrive); the bus says so. */
async function pauseForNats(bus: WorldBus, signal: AbortSignal | undefined): Promise<void> {
  const aborted = new Promise<void>((resolve) => {
    if (signal?.aborted) resolve();
    signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  await Promise.race([bus.link.reconnected(), aborted]);
}

/**
 * Puts each script's bundle on its shelf in the Object Store, now and after
 * every (re)start, for hosts that run the world's copy (`deno task system NAME`).
 */
async function shelveBundles(live: LiveWorld, bus: WorldBus): Promise<void> {
  const shelved = new Map<string, string>();
  const shelve = async (slot: SystemRole) => {
    const child = slot.pending ?? slot.active;
    if (!child || shelved.get(slot.file) === child.bundle.path) return;
    shelved.set(slot.file, child.bundle.path);
    try {
      await bus.shelve(slot.name, {
        file: basename(slot.file),
        modules: [...bundledModules(child.bundle, slot.file)],
        hash: bundleVersion(child.bundle),
        code: await Deno.readFile(child.bundle.path),
      });
    } catch (error) {
      live.note(
        `⚠ cannot shelve the bundle of ${slot.name} for its hosts: ${(error as Error).message}`,
      );
    }
  };
  await Promise.all(live.supervisor.slots().map(shelve));
  live.events.on((e) => {
    if (e.type !== "ready") return;
    const slot = live.supervisor.slots().find((s) => s.file === e.file);
    if (slot) void shelve(slot);
  });
}

function reportHosts(
  hosts: Record<string, RemoteInstance[]>,
): Record<string, RemoteInstanceReport[]> {
  return Object.fromEntries(
    Object.entries(hosts).map(([system, list]) => [
      system,
      list.map((i) => ({
        instance: i.id,
        shards: i.shards,
        meanShardMs: i.shards > 0 ? Math.round((i.shardMs / i.shards) * 100) / 100 : null,
        missed: i.missed,
        silent: i.silent,
        load: i.load && {
          shards: i.load.shards,
          busyMs: Math.round(i.load.busyMs),
          queued: i.load.queued,
          ...(i.load.cpuMs !== undefined && { cpuMs: Math.round(i.load.cpuMs) }),
        },
      })),
    ]),
  );
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  // The report quotes scripts' errors: escaped, so that printing it cannot drive a terminal.
  await Deno.writeTextFile(path, safeJson(value, 2) + "\n");
}

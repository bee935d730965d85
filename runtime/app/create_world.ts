/**
 * The one world factory: `createWorld(options)` wires a world from its parts
 * — jail, cgroups, bundler, launcher, supervisor, coordinator, store, output —
 * for `deno task world`, `explain`, the tests and the bench alike. It holds no
 * process-global state: output goes where the options say, stopping is the
 * caller's (an AbortSignal in `runWorld`), and the shared bundler is leased.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { type BundlerLease, openBundler } from "../../sandbox/bundle/mod.ts";
import { type CgroupManager, detectCgroups } from "../../sandbox/cgroup/mod.ts";
import type { Jail } from "../../sandbox/jail/mod.ts";
import {
  Coordinator,
  DEFAULT_COORDINATOR_OPTIONS,
  type DriverRunner,
  type SystemRunner,
} from "../coordinator/mod.ts";
import { World } from "../ecs/mod.ts";
import {
  approveCapabilities,
  approveDriverCapabilities,
  limitsFor,
  type LimitsInForce,
  loadWorldConfig,
  replicateRule,
  type ScriptLimits,
  type WorldConfig,
  worldPolicy,
} from "../policy/mod.ts";
import { type ChannelChoice, chooseChannel } from "../link/mod.ts";
import { escapeControls } from "../protocol/mod.ts";
import { type ChildLauncher, EventStream, ResourceWatchdog } from "../supervision/mod.ts";
import {
  DEFAULT_SYSTEM_OPTIONS,
  DriverRole,
  PortRouter,
  type ScriptLauncher,
  Supervisor,
  type SystemOptions,
} from "../roles/mod.ts";
import { FileWorldStore, type WorldStore } from "../store/mod.ts";
import type { PoolWorld } from "../nats/mod.ts";
import { AuditLog } from "./audit_log.ts";
import { chooseJail, makeLauncher, resultFrameLimits } from "./launcher.ts";
import { ScriptOutput } from "./script_output.ts";
import { formatStatus, StatusLine } from "./status_line.ts";
import {
  baseScriptLimits,
  DEFAULT_WORLD_OPTIONS,
  type WorldOptions,
  type WorldPaths,
  worldPaths,
} from "./world_options.ts";
import {
  buildReport,
  entities,
  reportDriver,
  reportScript,
  type WorldReport,
} from "./world_report.ts";
import { prepareViewer, writeViewerGraph } from "./viewer_page.ts";
import { networkEntry } from "./network_entry.ts";
import {
  audioEntry,
  nativeDriverLibraries,
  openxrEntry,
  rendererEntry,
  RUNTIME_SOURCE,
} from "./native_drivers.ts";

/** What a caller may swap when creating a world (tests, the bench). */
export interface WorldParts {
  /** Starts from this world instead of the saved or a new one (the bench populates one in-process). */
  world?: World;
  /**
   * Every system the coordinator drives, given the world's own (distributed
   * mode adds remote hosts: runtime/nats/remote_systems.ts).
   */
  systems?: (world: PoolWorld) => () => readonly SystemRunner[];
  /** What the status line says of remote hosts (distributed mode), e.g. "tally 3 hosts". */
  hosts?: () => string | null;
  /** How a driver the config marks `"remote"` is launched (distributed mode: on its hosts). */
  remoteDriver?: (name: string, real: ChildLauncher) => ChildLauncher;
  /** Wraps the real launcher, e.g. to swap how children are spawned. */
  launcher?: (real: ScriptLauncher) => ScriptLauncher;
  /** Changes to the slots' timing (tests restart faster). */
  slotOptions?: Partial<SystemOptions>;
  /** Where state is saved; defaults to the file store at the state path. */
  store?: WorldStore;
  /** A world that only describes its children (explain, graph): the viewer's page is not built. */
  describing?: boolean;
  /** Drivers that run in this process (a joined world's mirror: runtime/network/remote_mirror.ts). */
  inProcessDrivers?: readonly DriverRunner[];
}

/** A wired world: start it, step it, stop it. */
export interface LiveWorld extends AsyncDisposable {
  readonly options: Readonly<WorldOptions>;
  readonly paths: Readonly<WorldPaths>;
  readonly config: WorldConfig;
  readonly jail: Jail;
  readonly cgroups: CgroupManager | null;
  /** The frame channel its children get (a socket on fds 0/1, or stdio where that cannot work). */
  readonly channel: ChannelChoice;
  readonly events: EventStream;
  readonly supervisor: Supervisor;
  /** The drivers the world's configuration enables. */
  readonly drivers: readonly DriverRole[];
  readonly coordinator: Coordinator;
  readonly store: WorldStore;
  /** What the world owner lets script `file` use, and which syncra.json entries say so. */
  limits(file: string): LimitsInForce;
  /** How this world starts scripts (bundle, jail, budget, spawn, admit). */
  readonly launcher: ScriptLauncher;
  readonly slotOptions: Readonly<SystemOptions>;
  /** This world's lease on the shared bundler. */
  readonly bundler: BundlerLease;
  /** Whether the world was restored from saved state (inits that ran in it do not run again). */
  readonly restored: boolean;
  /** Starts every script, runs the inits of a new world, starts watching and the watchdog. */
  start(): Promise<void>;
  /** Runs one tick; returns its duration in ms. */
  step(): Promise<number>;
  /** Resolves once every kill under way has ended, so that a report counts its exit. */
  settleKills(): Promise<void>;
  /** Applies what is still queued and saves the state. */
  save(): Promise<void>;
  /** Applies what is still queued and logs what changed since the last save (a store's change log). */
  logChanges(): Promise<void>;
  /** Writes a line of the world's own (not a script's) where its output goes; nothing when quiet. */
  note(line: string): void;
  /** The report of DESIGN §8 for `ticks` ticks run in `durationMs`. */
  report(ticks: number, durationMs: number): WorldReport;
  /** Stops the scripts, the watchdog, the status line and the bundler lease. Idempotent. */
  stop(): Promise<void>;
}

/** Wires a world; nothing runs until `start`. */
export async function createWorld(
  partial: Partial<WorldOptions>,
  parts: WorldParts = {},
): Promise<LiveWorld> {
  const options: WorldOptions = { ...DEFAULT_WORLD_OPTIONS, ...partial };
  const stat = await Deno.stat(options.scriptsDir).catch(() => null);
  if (!stat?.isDirectory) {
    throw new Error(
      `Cannot run the world: scripts folder "${options.scriptsDir}" does not exist. Create it or pass --scripts DIR`,
    );
  }
  const paths = worldPaths(options);
  const jail = await chooseJail(options.jail);
  const channel = await chooseChannel();
  const events = new EventStream();
  if (options.onEvent) events.on(options.onEvent);
  let status: StatusLine | null = null;
  const print = options.output ?? ((line: string) => console.error(line));
  const write = options.quiet ? null : (line: string) => {
    status?.clear();
    print(line);
  };
  if (jail.isolation !== "jail") write?.(`⚠ ${jail.description}`);

  const store: WorldStore = parts.store ?? new FileWorldStore(paths.statePath);
  const saved = parts.world || options.fresh ? null : await store.load();
  const world = parts.world ?? saved?.world ?? new World();
  if (!parts.world && !saved) world.seed = options.seed >>> 0;
  const config = options.config ?? await loadWorldConfig(paths.root);
  // Which components leave the server: the owner's rules first, then their definitions.
  world.registry.setReplicationRule((component) => replicateRule(config, component));
  const cgroups = options.cgroups ? await detectCgroups() : null;
  if (!cgroups && options.cgroups) {
    write?.("⚠ No cgroup can be created here: script memory is bounded by the V8 heap cap only");
  }
  // The bundler's esbuild is confined like the scripts: --jail on requires its jail too.
  const bundler = await openBundler({ jail: options.jail, cgroups: options.cgroups });
  // What each script may use: the flags, then syncra.json's "limits" (policy/script_limits.ts).
  const slotOptions = { ...DEFAULT_SYSTEM_OPTIONS, ...parts.slotOptions };
  const baseLimits: ScriptLimits = baseScriptLimits(options, slotOptions.maxLogsPerTick);
  // The config is read once, so a file's limits never change: asked per log line and per
  // command, they are worked out once per file.
  const limitsByFile = new Map<string, LimitsInForce>();
  const limitsInForce = (file: string) => {
    let inForce = limitsByFile.get(file);
    if (!inForce) {
      const configured = config.limits ?? { default: {}, files: {} };
      inForce = limitsFor(configured, file, options.scriptsDir, baseLimits);
      limitsByFile.set(file, inForce);
    }
    return inForce;
  };
  const limitsOf = (file: string) => limitsInForce(file).limits;
  const real = makeLauncher(
    { ...options, bundles: paths.bundles },
    jail,
    cgroups,
    (manifest, file) => {
      coordinator.checkManifest(manifest, file);
      const grants = approveCapabilities(config, manifest, file, options.scriptsDir, paths.storage);
      if (grants.storageDir) Deno.mkdirSync(grants.storageDir, { recursive: true });
      return grants;
    },
    channel.spawn,
    limitsOf,
  );
  const launcher = parts.launcher ? parts.launcher(real) : real;
  const supervisor = new Supervisor(options.scriptsDir, launcher, events, slotOptions);
  // The viewer (DESIGN §10), a built-in driver: its page is built here, by the trusted side.
  const viewer = options.viewer
    ? await prepareViewer(paths.root, options.port, options.editable, !parts.describing)
    : null;
  // The last lines of the world's log, for the viewer's inspector.
  const recentLog: string[] = [];
  events.on((e) => {
    const line = e.type === "log"
      ? `[${e.script}] ${e.text}`
      : e.type === "violation"
      ? `[${e.script}] violation: ${e.message}`
      : e.type === "exit"
      ? `[${e.script}] exited (${e.reason}): ${e.detail}`
      : e.type === "warning" || e.type === "refused"
      ? `[${e.script}] ${e.type === "warning" ? e.message : `refused: ${e.error}`}`
      : null;
    if (line === null) return;
    recentLog.push(line.slice(0, 500));
    if (recentLog.length > 100) recentLog.splice(0, recentLog.length - 100);
  });
  // Their ports, wired by name and type unless the owner drew the graph (syncra.json "dataflow").
  const router = new PortRouter(config.dataflow ?? null);
  // The native drivers the flags ask for: the runtime's own code, bundled with its npm libraries.
  const native = [
    ...(options.renderer ? [await rendererEntry(options.renderer, paths.root)] : []),
    ...(options.audio ? [await audioEntry(options.audio, paths.root, options.hz || 60)] : []),
    ...(options.openxr ? [await openxrEntry(options.openxr)] : []),
  ];
  // The network driver (DESIGN §11): TLS, the world's key and the address, chosen here.
  const network = options.network && !parts.describing
    ? await networkEntry(
      { ...options.network, settings: { ...options.network.settings, ...config.network } },
      paths.root,
      options.hz,
    )
    : null;
  if (network) native.push(network.entry);
  // The network line is printed once the driver listens (its "serving" log), not before.
  const networkListening = network
    ? new Promise<void>((resolve) => {
      // Given up after 15 s; the timer goes with the log line, so it never holds the process.
      const done = () => (off(), clearTimeout(timer), resolve());
      const off = events.on((e) => {
        if (e.type === "log" && e.script === "network" && e.text.startsWith("serving the world")) {
          done();
        }
      });
      const timer = setTimeout(done, 15_000);
    })
    : null;
  const libraries = native.length > 0 ? await nativeDriverLibraries() : null;
  // Drivers the owner enabled (DESIGN §9), each bundled within its own folder.
  const entries = [...(viewer ? [viewer.entry] : []), ...native, ...(config.drivers ?? [])];
  const drivers = entries.map((entry) => {
    const file = resolve(paths.root, entry.file);
    const isNative = native.includes(entry);
    const localLauncher = makeLauncher(
      {
        scriptsDir: isNative ? RUNTIME_SOURCE : dirname(file),
        bundles: paths.bundles,
        ...(isNative && libraries ? { libraries } : {}),
      },
      jail,
      cgroups,
      () => {
        throw new Error("A driver is admitted by its role, not as a script");
      },
      channel.spawn,
      limitsOf,
    );
    // Described (explain, graph), a remote driver is started here, only to say what it is.
    if (entry.remote && !parts.remoteDriver && !parts.describing) {
      throw new Error(
        `Driver "${entry.name}" is marked "remote" in syncra.json: it runs on its hosts, ` +
          `in distributed mode only (run the world with --nats)`,
      );
    }
    const driverLauncher = entry.remote && parts.remoteDriver
      ? parts.remoteDriver(entry.name, localLauncher)
      : localLauncher;
    const role = new DriverRole(
      entry.name,
      file,
      driverLauncher,
      events,
      slotOptions,
      entry.settings,
      (manifest) => approveDriverCapabilities(entry, manifest, paths.root, config.source),
      entry.editor === true,
      entry.builtin && entry.name === "viewer" ? () => worldStatus() : null,
    );
    role.connect(router);
    return role;
  });
  const allDrivers: readonly DriverRunner[] = [...drivers, ...(parts.inProcessDrivers ?? [])];
  const local = () => supervisor.slots();
  const systems = parts.systems?.({
    local,
    checkManifest: (manifest, file) => coordinator.checkManifest(manifest, file),
    // Keyed in syncra.json like a script of the folder: "NAME@nats".
    remoteFile: (system) => join(options.scriptsDir, `${system}@nats`),
    resultLimits: (file) => {
      const { initSpawns, spawnsPerTick } = limitsOf(file);
      return resultFrameLimits(Math.max(initSpawns, spawnsPerTick));
    },
    events,
    note: (line) => write?.(line),
  }) ?? local;
  const coordinator = new Coordinator(
    world,
    saved?.tick ?? 0,
    systems,
    {
      ...DEFAULT_COORDINATOR_OPTIONS,
      hz: options.hz,
      deadlineMs: options.deadlineMs,
      maxEntitiesPerScript: options.maxEntitiesPerScript,
      maxComponentBytesPerScript: options.maxComponentMb * 1024 * 1024,
      maxArchetypesPerScript: options.maxArchetypesPerScript,
    },
    { ...worldPolicy(config, options.scriptsDir, world.registry), budgets: limitsOf },
    () => allDrivers,
  );

  /** What the viewer's inspector shows of the world: scripts, drivers, tick times, the log. */
  const worldStatus = (): Record<string, unknown> => ({
    tick: coordinator.tick,
    ...coordinator.stats.recent(),
    entities: coordinator.world.entityCount,
    scripts: supervisor.slots().map((s) => {
      const r = reportScript(s);
      return {
        name: r.name,
        file: r.file,
        state: r.state,
        stale: r.stale,
        erroring: r.erroring,
        restarts: r.restarts,
        violations: r.violations,
        lateTicks: r.lateTicks,
        errors: r.errors,
        lastError: r.lastError,
      };
    }),
    drivers: drivers.map(reportDriver),
    log: recentLog.slice(-50),
  });

  // Everything written because of a script goes through its output budget (script_output.ts).
  const audit = new AuditLog(paths.audit, options.audit);
  const output = new ScriptOutput({
    write,
    audit,
    currentTick: () => coordinator.tick,
    scripts: () => supervisor.slots(),
    budget: options.outputBudget,
  });
  events.on((e) => output.handle(e));
  let watchdog: ResourceWatchdog | null = null;
  /** The redraw of the viewer's graph waiting for reloads to settle. */
  let graphTimer: ReturnType<typeof setTimeout> | null = null;
  let stopped: Promise<void> | null = null;

  const live: LiveWorld = {
    options,
    paths,
    config,
    jail,
    cgroups,
    channel,
    events,
    supervisor,
    drivers,
    coordinator,
    store,
    limits: limitsInForce,
    launcher,
    slotOptions,
    bundler,
    restored: saved !== null,
    async start() {
      if (saved) {
        write?.(
          `↺ restored ${entities(saved.world.entityCount)} from ${
            escapeControls(store.describe)
          } at tick ${saved.tick}${saved.detail ? ` (${saved.detail})` : ""}`,
        );
      }
      await Promise.all([supervisor.startAll(), ...drivers.map((d) => d.start())]);
      coordinator.commitPending();
      const bundlerNow = await bundler.status();
      if (bundlerNow.isolation !== "jail") write?.(`⚠ ${bundlerNow.description}`);
      for (const s of supervisor.slots()) {
        write?.(
          `• ${escapeControls(s.name)} (${escapeControls(s.file)}): ${s.state}, isolation ${
            s.isolation ?? "none"
          }`,
        );
      }
      // The inspector's picture of the world graph, from the manifests just learnt, and again
      // whenever a script is added, reloaded or removed (a new manifest may change it).
      if (viewer) {
        const pageDir = viewer.pageDir;
        const redraw = () => writeViewerGraph(pageDir, supervisor.slots(), drivers).catch(() => {});
        await redraw();
        events.on((e) => {
          if (e.type !== "ready" && e.type !== "added" && e.type !== "removed") return;
          if (graphTimer !== null) clearTimeout(graphTimer);
          graphTimer = setTimeout(() => {
            graphTimer = null;
            void redraw();
          }, 200);
        });
      }
      const viewerDriver = drivers.find((d) => d.name === "viewer");
      // DESIGN §8: exactly this line on stdout, for people and tools to open.
      if (viewer && viewerDriver?.state === "running") console.log(`viewer: ${viewer.url}`);
      // DESIGN §11: exactly this line, the address clients join.
      const networkDriver = drivers.find((d) => d.name === "network");
      if (network && networkDriver?.state === "running") {
        await networkListening;
        console.log(`network: ${network.url}`);
        if (network.caPath) {
          write?.(`  clients trust ${escapeControls(network.caPath)} (a development certificate)`);
        }
      }
      for (const d of drivers) {
        write?.(
          `• driver ${escapeControls(d.name)} (${escapeControls(d.file)}): ${d.state}, isolation ${
            d.isolation ?? "none"
          }${d.lastError && d.state === "refused" ? `: ${escapeControls(d.lastError)}` : ""}`,
        );
      }
      if (supervisor.slots().length === 0) {
        write?.(
          `⚠ ${escapeControls(options.scriptsDir)} holds no scripts yet: add a .ts file whose ` +
            `default export is defineSystem({...})` +
            (options.watch ? "; it starts when saved" : ""),
        );
      }
      // Inits whose files have not run them in this world: all of a new one's, a new script's.
      if (!parts.world) await coordinator.init();
      if (options.watch) supervisor.watch();
      watchdog = new ResourceWatchdog(() => supervisor.slots(), {
        intervalMs: 1000,
        maxIdleCpuShareOf: (file) => limitsOf(file).backgroundCpuPercent / 100,
        strikes: 2,
        memoryBytes: cgroups ? null : options.memoryMb * 1024 * 1024,
        memoryBytesOf: (file) => limitsOf(file).memoryMb * 1024 * 1024,
      });
      if (!options.quiet) {
        status = new StatusLine(() =>
          formatStatus(coordinator, supervisor.slots(), drivers, parts.hosts?.() ?? null)
        );
      }
    },
    step: () => coordinator.step(),
    async settleKills() {
      await Promise.all(supervisor.slots().map((s) => s.killSettled()));
    },
    note: (line) => write?.(line),
    async save() {
      coordinator.flushCommands();
      await store.save(coordinator.world, coordinator.tick);
    },
    async logChanges() {
      coordinator.flushCommands();
      await (store.logChanges ?? store.save).call(store, coordinator.world, coordinator.tick);
    },
    report: (ticks, durationMs) =>
      buildReport(
        coordinator,
        supervisor.slots(),
        ticks,
        options.hz,
        durationMs,
        channel.description,
        drivers,
      ),
    stop() {
      stopped ??= (async () => {
        status?.[Symbol.dispose]();
        watchdog?.[Symbol.dispose]();
        if (graphTimer !== null) clearTimeout(graphTimer);
        try {
          await Promise.all([supervisor.stopAll(), ...drivers.map((d) => d.stop("shutdown"))]);
        } finally {
          output[Symbol.dispose]();
          await audit[Symbol.asyncDispose]();
          await bundler.close();
        }
      })();
      return stopped;
    },
    [Symbol.asyncDispose]: () => live.stop(),
  };
  return live;
}

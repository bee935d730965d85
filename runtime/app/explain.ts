/**
 * `deno task explain <script>`: shows what a script is granted and exactly
 * how it is run — its manifest as the zero-permission child reports it, the
 * command line, the jail, the approved capabilities, the channel, and where
 * it runs in the world's schedule (which scripts it must wait for, and why).
 *
 * @module
 */
import { bundleBucket, type NatsPermissions, systemPermissions } from "../nats/mod.ts";
import { basename, dirname, resolve } from "node:path";
import { buildSchedule, describeConflict } from "../ecs/mod.ts";
import { formatLimits } from "../policy/mod.ts";
import { isScriptFile, type Manifest, type ManifestQuery, SystemRole } from "../roles/mod.ts";
import type { World } from "../ecs/mod.ts";
import { describingWorld } from "./describing_world.ts";
import type { WorldOptions } from "./world_options.ts";

/** What `explain` found out about a script. */
export interface Explanation {
  file: string;
  name: string;
  state: "ok" | "refused";
  error: string | null;
  /** The grants: every component any query reads or writes. */
  reads: string[];
  writes: string[];
  /** Each query, and how many entities of the saved world it matches (null: no saved world). */
  queries: { name: string; description: string; matches: number | null }[];
  resources: { reads: string[]; writes: string[] };
  events: { emits: string[]; receives: string[] };
  spawns: boolean;
  hasInit: boolean;
  capabilities: { net: string[]; storage: boolean };
  isolation: string | null;
  jail: string;
  /** What confines the bundler's esbuild. */
  bundler: string;
  /** The frame channel children get here, and why (socket, or stdio and the reason). */
  channel: string;
  budget: string | null;
  /** The world owner's limits in force for it, and where they come from. */
  limits: string;
  command: string[];
  wrapped: string[];
  /** Its stage in the world's schedule (0 runs first), or null when it does not run. */
  stage: number | null;
  /** The conflicts that order it after other scripts of the folder, as sentences. */
  conflicts: string[];
  /** What a host of it may publish and subscribe to on the world's NATS (distributed mode). */
  nats: NatsPermissions;
}

/** What `explain` says about a module of shared code (`_components.ts`): who imports it. */
export interface ModuleExplanation {
  file: string;
  state: "module";
  /** The scripts of its folder whose bundles include it, as "name (file)". */
  importedBy: string[];
}

/** Starts the script (and the others of its folder, for the schedule) just long enough to learn their manifests. */
export async function explainScript(
  file: string,
  options: ExplainOptions & { scriptsDir?: string },
): Promise<Explanation | ModuleExplanation> {
  const scriptsDir = options.scriptsDir ?? dirname(resolve(file));
  if (!isScriptFile(basename(file))) return await explainModule(file, scriptsDir, options);
  await using live = await quietWorld(scriptsDir, options);
  // The folder's scripts start together (for the schedule); the slots exist once they have.
  const ownFolder = resolve(dirname(file)) === resolve(scriptsDir);
  if (ownFolder) await live.supervisor.startAll();
  const inFolder = live.supervisor.slots().find((s) => resolve(s.file) === resolve(file));
  // A script outside the folder is explained on its own.
  const slot = inFolder ?? new SystemRole(file, live.launcher, live.events, live.slotOptions);
  try {
    if (!inFolder) await slot.start();
    // A refused script still described itself: show what it asked for.
    const manifest = slot.pending?.manifest ?? slot.describedManifest ?? undefined;
    const saved = await live.store.load().catch(() => null);
    const { stage, conflicts } = scheduleOf(
      slot.name,
      live.supervisor.slots(),
      inFolder !== undefined,
    );
    return {
      file,
      name: slot.name,
      state: slot.pending ? "ok" as const : "refused" as const,
      error: slot.lastError,
      reads: manifest?.reads ?? [],
      writes: manifest?.writes ?? [],
      queries: Object.entries(manifest?.queries ?? {}).map(([name, q]) => ({
        name,
        description: describeQuery(q),
        matches: saved && manifest ? countMatches(saved.world, manifest, q) : null,
      })),
      resources: manifest?.resources ?? { reads: [], writes: [] },
      events: manifest?.events ?? { emits: [], receives: [] },
      spawns: manifest?.spawns ?? false,
      hasInit: manifest?.hasInit ?? false,
      capabilities: { net: manifest?.net ?? [], storage: manifest?.storage ?? false },
      isolation: slot.isolation,
      jail: live.jail.description,
      bundler: (await live.bundler.status()).description,
      channel: live.channel.description,
      budget: slot.budget,
      limits: formatLimits(live.limits(file), live.config.source),
      command: slot.commandLine,
      wrapped: slot.wrappedCommandLine,
      stage,
      conflicts,
      nats: systemPermissions(slot.name),
    };
  } finally {
    if (!inFolder) await slot.stop("shutdown");
  }
}

type ExplainOptions = Partial<
  Pick<WorldOptions, "workDir" | "heapMb" | "memoryMb" | "maxThreads" | "jail">
>;

/** The folder's world as explain needs it: fresh, silent, not watching; nothing started. */
const quietWorld = describingWorld;

/** A module is not run: it is explained by the scripts that import it. */
async function explainModule(
  file: string,
  scriptsDir: string,
  options: ExplainOptions,
): Promise<ModuleExplanation> {
  await using live = await quietWorld(scriptsDir, options);
  await live.supervisor.startAll();
  const path = await Deno.realPath(file);
  const importedBy = live.supervisor.slots().filter((s) => s.inputs.includes(path))
    .map((s) => `${s.name} (${s.file})`);
  return { file, state: "module", importedBy };
}

/** A query's lists as a phrase: "reads A, B; writes C; without D". */
function describeQuery(q: ManifestQuery): string {
  const parts = (["reads", "writes", "with", "without", "optional", "changed"] as const)
    .filter((k) => q[k].length > 0).map((k) => `${k} ${q[k].join(", ")}`);
  return parts.join("; ");
}

/** How many entities of a saved world a query matches (every row: a first tick ships them all). */
function countMatches(world: World, m: Manifest, q: ManifestQuery): number {
  const key = (name: string) =>
    world.registry.resolve({ name, schema: m.components[name]!, module: m.modules[name] ?? null })
      .key;
  return world.query(q.required.map(key), q.without.map(key)).count;
}

/** Where `name` runs among the folder's started scripts, and the conflicts that put it there. */
function scheduleOf(
  name: string,
  slots: readonly SystemRole[],
  inFolder: boolean,
): { stage: number | null; conflicts: string[] } {
  if (!inFolder) return { stage: null, conflicts: [] };
  // Names as scripts declare components: the schedule of a fresh world of this folder.
  const systems = slots.flatMap((s) => {
    const m = s.pending?.manifest;
    const resource = (r: string) => `resource ${r}`;
    return m?.hasRun
      ? [{
        name: s.name,
        reads: [...m.reads, ...m.resources.reads.map(resource)],
        writes: [...m.writes, ...m.resources.writes.map(resource)],
      }]
      : [];
  });
  const schedule = buildSchedule(systems);
  const stage = schedule.stages.findIndex((st) => st.some((s) => s.name === name));
  return {
    stage: stage < 0 ? null : stage,
    conflicts: schedule.conflicts.filter((c) => c.second === name || c.first === name).map(
      describeConflict,
    ),
  };
}

/** A command-line argument as a shell would need it written. */
export const quote = (
  arg: string,
) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);

/** Formats an explanation for a terminal. */
export function formatExplanation(e: Explanation | ModuleExplanation): string {
  if (e.state === "module") {
    return [
      `module      ${e.file}`,
      `kind        shared code, not a system: a file whose name starts with "_" is imported by ` +
      `scripts and never runs on its own`,
      `imported by ${e.importedBy.length ? e.importedBy.join(", ") : "(no script of its folder)"}`,
    ].join("\n");
  }
  const list = (xs: string[]) => (xs.length ? xs.join(", ") : "(none)");
  const lines = [
    `script      ${e.file}`,
    `system      ${e.name}`,
    ...(e.error ? [`REFUSED     ${e.error}`] : []),
    `reads       ${list(e.reads)}`,
    `writes      ${list(e.writes)}`,
    ...e.queries.map((q) =>
      `query       ${q.name}: ${q.description}${
        q.matches === null ? "" : ` (matches ${q.matches} entities of the saved world)`
      }`
    ),
    `resources   reads ${list(e.resources.reads)}; writes ${list(e.resources.writes)}`,
    `events      emits ${list(e.events.emits)}; receives ${list(e.events.receives)}`,
    `spawns      ${
      e.spawns ? "yes (may create/destroy entities, attach components in writes)" : "no"
    }`,
    `init        ${e.hasInit ? "yes (runs once per world)" : "no"}`,
    `schedule    ${
      e.stage === null ? "does not run" : `stage ${e.stage}${e.stage === 0 ? " (runs first)" : ""}`
    }`,
    ...(e.conflicts.length ? e.conflicts.map((c) => `conflict    ${c}`) : [`conflict    (none)`]),
    `net         ${list(e.capabilities.net)}`,
    `storage     ${e.capabilities.storage ? "requested" : "no"}`,
    `isolation   ${e.isolation ?? "none"}`,
    `jail        ${e.jail}`,
    `bundler     ${e.bundler}`,
    `channel     ${e.channel}`,
    `budget      ${e.budget ?? "none"}`,
    `limits      ${e.limits}`,
    `nats        publish ${
      e.nats.publish.filter((p) => !p.startsWith("$JS.")).join(", ")
    }; subscribe ${e.nats.subscribe.join(", ")}; read its bundle's Object Store bucket ${
      bundleBucket(e.name)
    } (its host's user, in distributed mode; credentials .syncra/nats/${e.name}.creds)`,
    `command     ${e.command.map(quote).join(" ")}`,
    `exact argv  ${e.wrapped.map(quote).join(" ")}`,
  ];
  return lines.join("\n");
}

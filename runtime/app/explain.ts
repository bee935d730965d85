/**
 * `deno task explain <script>`: shows what a script is granted and exactly
 * how it is run — its manifest as the zero-permission child reports it, the
 * command line, the jail, and the approved capabilities.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { stopBundler } from "../../sandbox/bundle/mod.ts";
import { bundlerStatus, configureBundler } from "../../sandbox/bundle/mod.ts";
import { EventStream } from "../supervision/mod.ts";
import { DEFAULT_SLOT_OPTIONS, ScriptSlot } from "../supervision/mod.ts";
import { chooseJail, makeLauncher, type WorldOptions } from "./run_world.ts";
import { World } from "../ecs/mod.ts";
import { detectCgroups } from "../../sandbox/cgroup/mod.ts";
import { approveCapabilities, loadWorldConfig, worldPolicy } from "../policy/mod.ts";
import { Coordinator, DEFAULT_COORDINATOR_OPTIONS } from "../coordinator/mod.ts";

/** What `explain` found out about a script. */
export interface Explanation {
  file: string;
  name: string;
  state: string;
  error: string | null;
  reads: string[];
  writes: string[];
  spawns: boolean;
  hasInit: boolean;
  capabilities: { net: string[]; storage: boolean };
  isolation: string | null;
  jail: string;
  /** What confines the bundler's esbuild. */
  bundler: string;
  budget: string | null;
  command: string[];
  wrapped: string[];
}

/** Starts the script just long enough to learn its manifest. */
export async function explainScript(
  file: string,
  options: Pick<WorldOptions, "workDir" | "heapMb" | "memoryMb" | "maxThreads" | "jail"> & {
    scriptsDir?: string;
  },
): Promise<Explanation> {
  const jail = await chooseJail(options.jail);
  configureBundler({ jail: options.jail });
  const config = await loadWorldConfig();
  const scriptsDir = options.scriptsDir ?? dirname(resolve(file));
  const world = new World();
  const coordinator = new Coordinator(
    world,
    0,
    () => [],
    DEFAULT_COORDINATOR_OPTIONS,
    worldPolicy(config, scriptsDir, world.registry),
  );
  const launcher = makeLauncher(
    {
      scriptsDir,
      workDir: options.workDir,
      heapMb: options.heapMb,
      memoryMb: options.memoryMb,
      maxThreads: options.maxThreads,
    },
    jail,
    await detectCgroups(),
    (manifest, f) => {
      coordinator.checkManifest(manifest, f);
      return approveCapabilities(
        config,
        manifest,
        f,
        scriptsDir,
        resolve(options.workDir, "storage"),
      );
    },
  );
  const slot = new ScriptSlot(file, launcher, new EventStream(), DEFAULT_SLOT_OPTIONS);
  try {
    await slot.start();
    // A refused script still described itself: show what it asked for.
    const manifest = slot.pending?.manifest ?? slot.describedManifest ?? undefined;
    return {
      file,
      name: slot.name,
      state: slot.pending ? "ok" : "refused",
      error: slot.lastError,
      reads: manifest?.reads ?? [],
      writes: manifest?.writes ?? [],
      spawns: manifest?.spawns ?? false,
      hasInit: manifest?.hasInit ?? false,
      capabilities: { net: manifest?.net ?? [], storage: manifest?.storage ?? false },
      isolation: slot.isolation,
      jail: jail.description,
      bundler: (await bundlerStatus()).description,
      budget: slot.budget,
      command: slot.commandLine,
      wrapped: slot.wrappedCommandLine,
    };
  } finally {
    await slot.stop("shutdown");
    await stopBundler();
  }
}

const quote = (
  arg: string,
) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);

/** Formats an explanation for a terminal. */
export function formatExplanation(e: Explanation): string {
  const list = (xs: string[]) => (xs.length ? xs.join(", ") : "(none)");
  const lines = [
    `script      ${e.file}`,
    `system      ${e.name}`,
    ...(e.error ? [`REFUSED     ${e.error}`] : []),
    `reads       ${list(e.reads)}`,
    `writes      ${list(e.writes)}`,
    `spawns      ${
      e.spawns ? "yes (may create/destroy entities, attach components in writes)" : "no"
    }`,
    `init        ${e.hasInit ? "yes (runs once on a fresh world)" : "no"}`,
    `net         ${list(e.capabilities.net)}`,
    `storage     ${e.capabilities.storage ? "requested" : "no"}`,
    `isolation   ${e.isolation ?? "none"}`,
    `jail        ${e.jail}`,
    `bundler     ${e.bundler}`,
    `budget      ${e.budget ?? "none"}`,
    `command     ${e.command.map(quote).join(" ")}`,
    `exact argv  ${e.wrapped.map(quote).join(" ")}`,
  ];
  return lines.join("\n");
}

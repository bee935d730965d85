/**
 * How a world starts its scripts: the jail it picked, the confined bundler,
 * the command derived from the grants, the cgroup budget, and the channel.
 *
 * @module
 */
import { DEFAULT_FRAME_LIMITS, type FrameLimits, ManifestError } from "../protocol/mod.ts";
import { resolve } from "node:path";
import { bundleScript, type RuntimeLibraries } from "../../sandbox/bundle/mod.ts";
import { deriveChildCommand } from "../../sandbox/command/mod.ts";
import { detectJail, FlagsOnlyJail, type Jail } from "../../sandbox/jail/mod.ts";
import type { CgroupManager } from "../../sandbox/cgroup/mod.ts";
import type { SpawnChild } from "../link/mod.ts";
import type { ScriptLauncher } from "../roles/mod.ts";
import type { WorldOptions } from "./world_options.ts";

/** Picks the jail for a run: the OS jail where it works, unless told otherwise. */
export async function chooseJail(mode: WorldOptions["jail"]): Promise<Jail> {
  if (mode === "off") return new FlagsOnlyJail("turned off with --jail off");
  return await detectJail({ require: mode === "on" });
}

/**
 * What one result frame of a script may hold: the defaults, raised for a
 * script allowed many spawns in one result. A spawn of four components with
 * a vector each is about ten maps and arrays: 16 per spawn lets a scene of
 * 10 000 such entities (the default init budget) and one the owner allowed
 * 25 000 fit their frames; a spawn of many more components counts more.
 */
export function resultFrameLimits(spawns: number): Readonly<FrameLimits> {
  return {
    ...DEFAULT_FRAME_LIMITS,
    maxContainers: Math.max(DEFAULT_FRAME_LIMITS.maxContainers, spawns * 16),
    maxValues: Math.max(DEFAULT_FRAME_LIMITS.maxValues, spawns * 80),
  };
}

/** Builds the launcher that bundles, jails, budgets and spawns scripts. */
export function makeLauncher(
  options: Pick<WorldOptions, "scriptsDir"> & {
    bundles: string;
    /** The runtime's npm libraries, for its own built-in drivers only. */
    libraries?: RuntimeLibraries;
  },
  jail: Jail,
  cgroups: CgroupManager | null,
  admit: ScriptLauncher["admit"],
  spawn: SpawnChild,
  limits: ScriptLauncher["limits"],
): ScriptLauncher {
  const outDir = resolve(options.bundles);
  const denoPath = Deno.execPath();
  let groups = 0;
  return {
    bundle: (file) =>
      bundleScript(file, {
        scriptsDir: options.scriptsDir,
        outDir,
        ...(options.libraries ? { libraries: options.libraries } : {}),
      }),
    prepare: async (bundle, grants, name, file) => {
      if ((grants?.ffi?.length ?? 0) > 0 && jail.isolation !== "jail") {
        // A native library runs with the process's rights: Deno's flags cannot hold it.
        throw new ManifestError(
          `Cannot start "${name}" with ffi ${JSON.stringify(grants?.ffi)}: a native library ` +
            `runs with the process's rights, so ffi is given only inside the OS jail, and this ` +
            `world runs ${jail.isolation} (${
              jail.description.split(":")[0]
            }); install bubblewrap ` +
            `and run with --jail on or auto`,
        );
      }
      const { heapMb, memoryMb, threads, initSpawns, spawnsPerTick } = limits(file);
      const budget = { memoryBytes: memoryMb * 1024 * 1024, maxPids: threads };
      const command = deriveChildCommand({
        denoPath,
        bundlePath: bundle.path,
        heapMb,
        grants: grants ?? { net: [], storageDir: null },
      });
      const jailed = jail.wrap(command, {
        bundlePath: bundle.path,
        storageDir: grants?.storageDir ?? null,
        net: (grants?.net.length ?? 0) > 0,
        serve: (grants?.serve?.length ?? 0) > 0,
        readPaths: grants?.read ?? [],
        writePaths: grants?.write ?? [],
        ffi: grants?.ffi ?? [],
        gpu: grants?.gpu === true,
        mount: grants?.mount ?? [],
      });
      const group = cgroups ? await cgroups.create(`${name}-${++groups}`, budget) : null;
      return {
        command: group ? group.wrap(jailed) : jailed,
        display: [command.program, ...command.args],
        isolation: jail.isolation,
        budget: group
          ? `cgroup v${cgroups!.version}: ${memoryMb} MiB, ${threads} threads`
          : `V8 heap cap ${heapMb} MiB and RSS watchdog ${memoryMb} MiB (no cgroup)`,
        group,
        frameLimits: resultFrameLimits(Math.max(initSpawns, spawnsPerTick)),
      };
    },
    spawn,
    admit,
    limits,
  };
}

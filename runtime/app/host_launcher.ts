/**
 * The launcher of a remote host (`deno task system`, `deno task driver`):
 * the jail, cgroups and channel this machine offers, and what this
 * machine's `syncra.json` lets the child use. A child's limits are keyed by
 * its file's name in its own folder, whether that is a scripts folder here
 * or a world's copy under `.syncra/remote/`.
 *
 * @module
 */
import { dirname } from "node:path";
import { detectCgroups } from "../../sandbox/cgroup/mod.ts";
import { chooseChannel } from "../link/mod.ts";
import { limitsFor, loadWorldConfig, type ScriptLimits, type WorldConfig } from "../policy/mod.ts";
import type { ScriptLauncher } from "../roles/mod.ts";
import { chooseJail, makeLauncher } from "./launcher.ts";
import { baseScriptLimits, type WorldOptions, type WorldPaths } from "./world_options.ts";

/** A host's launcher for `file`, and the limits it runs under. */
export async function hostLauncher(options: {
  file: string;
  /** This machine's world folders: its `syncra.json`, bundles and storage. */
  paths: WorldPaths;
  jail: WorldOptions["jail"];
  /** What the child is granted, by this machine's owner (or the world's, for a driver). */
  admit: (config: WorldConfig) => ScriptLauncher["admit"];
}): Promise<{ launcher: ScriptLauncher; limits: ScriptLimits }> {
  const { file, paths } = options;
  const scriptsDir = dirname(file);
  const jail = await chooseJail(options.jail);
  const cgroups = await detectCgroups();
  const channel = await chooseChannel();
  const config = await loadWorldConfig(paths.root);
  const configured = config.limits ?? { default: {}, files: {} };
  const limits = limitsFor(configured, file, scriptsDir, baseScriptLimits()).limits;
  const launcher = makeLauncher(
    { scriptsDir, bundles: paths.bundles },
    jail,
    cgroups,
    options.admit(config),
    channel.spawn,
    () => limits,
  );
  return { launcher, limits };
}

/**
 * The world owner's configuration: which scripts are approved for which
 * capabilities beyond the ECS. Read from `syncra.json` in the world's root
 * (the scripts folder's parent), or from the `syncra` section of `deno.json`:
 *
 * ```json
 * { "capabilities": { "weather.ts": { "net": ["api.example.com:443"], "storage": true } } }
 * ```
 *
 * Keys are script file names relative to the scripts folder: approval
 * follows the file the owner reviewed, not a name any script could claim.
 *
 * The owner may also restrict who writes a component, by name (every
 * definition of that name) or by qualified name (`Counter@_counter.ts`, one
 * definition):
 *
 * ```json
 * { "components": { "Counter": { "writers": ["counter.ts"] } } }
 * ```
 *
 * And what each script may use (`"limits"`, script_limits.ts).
 *
 * @module
 */
import { join, resolve } from "node:path";
import { configKey } from "./config_key.ts";
import { type LimitsConfig, parseLimits } from "./script_limits.ts";
import { type NetworkSettings, parseNetworkSettings } from "./network_settings.ts";
import { type DriverEntry, parseDataflow, parseDrivers } from "./driver_config.ts";
import { validateNetGrant } from "../../sandbox/command/mod.ts";
import { ManifestError } from "../protocol/mod.ts";
import type { Manifest } from "../roles/mod.ts";
import type { AdmittedGrants } from "../supervision/mod.ts";
import type { ComponentRegistry } from "../ecs/mod.ts";
import type { WorldPolicy } from "../coordinator/mod.ts";

/** Capabilities approved for one script. */
export interface Approval {
  net: string[];
  storage: boolean;
}

/** Rules for one component. */
export interface ComponentRule {
  /** Script files (relative to the scripts folder) that may write it; no one else may. Absent: any granted script. */
  writers?: string[];
  /** Whether it may leave the server to the world's clients (DESIGN §11), whatever its definition says. */
  replicate?: boolean;
}

/** The world configuration. */
export interface WorldConfig {
  /** Approvals by script file (relative to the scripts folder). */
  capabilities: Record<string, Approval>;
  /** Rules by component name or qualified name (`Name@module`). */
  components?: Record<string, ComponentRule>;
  /** What each script may use (script_limits.ts). */
  limits?: LimitsConfig;
  /** The drivers it runs, with their approvals and settings (driver_config.ts). */
  drivers?: DriverEntry[];
  /** The owner's wiring of driver ports (`"driver.port"` → `"driver.port"`); null: by name and type. */
  dataflow?: { from: string; to: string }[] | null;
  /** How the network driver treats its clients (network_settings.ts). */
  network?: NetworkSettings;
  /** Where the config came from, for messages. */
  source: string;
}

/** Reads and validates the configuration; a missing file means nothing is approved. */
export async function loadWorldConfig(cwd = "."): Promise<WorldConfig> {
  for (
    const [file, pick] of [
      ["syncra.json", (j: Record<string, unknown>) => j],
      ["deno.json", (j: Record<string, unknown>) => j.syncra],
    ] as const
  ) {
    const path = join(cwd, file);
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch {
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new Error(`Cannot read "${path}": ${(error as Error).message}`);
    }
    const section = pick(json as Record<string, unknown>);
    if (section === undefined) continue;
    return parseWorldConfig(section, file === "deno.json" ? `${path} (section "syncra")` : path);
  }
  return {
    capabilities: {},
    components: {},
    limits: { default: {}, files: {} },
    source: "syncra.json",
  };
}

/** Approvals only a driver may get (`"drivers".<name>.approve`), never a script. */
const DRIVER_ONLY = ["ffi", "gpu", "serve", "read", "write", "env", "mount"];

/** Validates a configuration object. */
export function parseWorldConfig(raw: unknown, source: string): WorldConfig {
  const fail = (why: string): never => {
    throw new Error(`Invalid world configuration in ${source}: ${why}`);
  };
  if (typeof raw !== "object" || raw === null) fail("expected an object");
  const caps = (raw as { capabilities?: unknown }).capabilities ?? {};
  if (typeof caps !== "object" || caps === null) fail(`"capabilities" must be an object`);
  const capabilities: Record<string, Approval> = {};
  for (const [file, value] of Object.entries(caps as Record<string, unknown>)) {
    const v = (value ?? {}) as { net?: unknown; storage?: unknown };
    const driverOnly = DRIVER_ONLY.filter((k) => Object.hasOwn(v, k));
    if (driverOnly.length > 0) {
      fail(
        `"capabilities"."${file}" approves ${driverOnly.join(", ")}, which no script may be ` +
          `given: a script may be approved for net and storage; approve a driver's in ` +
          `"drivers".<name>.approve`,
      );
    }
    if (v.net !== undefined && !Array.isArray(v.net)) fail(`"${file}".net must be an array`);
    let net: string[] = [];
    try {
      net = ((v.net ?? []) as unknown[]).map(validateNetGrant);
    } catch (error) {
      fail(`"${file}": ${(error as Error).message}`);
    }
    capabilities[file] = { net, storage: v.storage === true };
  }
  const rules = (raw as { components?: unknown }).components ?? {};
  if (typeof rules !== "object" || rules === null || Array.isArray(rules)) {
    fail(`"components" must be an object`);
  }
  const components: Record<string, ComponentRule> = {};
  for (const [name, value] of Object.entries(rules as Record<string, unknown>)) {
    const { writers, replicate, ...other } = (value ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(other)[0];
    if (unknown !== undefined) {
      fail(`"components"."${name}" has "${unknown}": a rule has "writers" and "replicate"`);
    }
    if (
      writers !== undefined &&
      (!Array.isArray(writers) || !writers.every((w) => typeof w === "string"))
    ) {
      fail(`"components"."${name}".writers must be an array of script files`);
    }
    if (replicate !== undefined && typeof replicate !== "boolean") {
      fail(`"components"."${name}".replicate must be true or false`);
    }
    if (writers === undefined && replicate === undefined) {
      fail(`"components"."${name}" must have "writers" or "replicate"`);
    }
    components[name] = {
      ...(writers !== undefined && { writers: writers as string[] }),
      ...(replicate !== undefined && { replicate: replicate as boolean }),
    };
  }
  const limits = parseLimits((raw as { limits?: unknown }).limits, fail);
  const drivers = parseDrivers((raw as { drivers?: unknown }).drivers, fail);
  const dataflow = parseDataflow((raw as { dataflow?: unknown }).dataflow, fail);
  const network = parseNetworkSettings((raw as { network?: unknown }).network, fail);
  return { capabilities, components, limits, drivers, dataflow, network, source };
}

/**
 * The owner's write rule for a component as a refusal: null when `file` may
 * write it. A rule for the qualified name (`Name@module`, for any module
 * that defines it) takes precedence over one for the bare name.
 */
export function writeRefusal(
  config: WorldConfig,
  file: string,
  scriptsDir: string,
  component: { name: string; modules: readonly string[] },
): string | null {
  const ruleName = ruleFor(config, component, (rule) => rule.writers !== undefined);
  if (ruleName === null) return null;
  const writers = config.components![ruleName]!.writers!;
  if (writers.includes(configKey(file, scriptsDir))) return null;
  return `the world owner lets only ${
    writers.length ? writers.join(", ") : "no script"
  } write it (${config.source}: "components"."${ruleName}"."writers")`;
}

/**
 * The name of the rule of `component` that `has` holds for: the qualified
 * name's (`Name@module`, for any module that defines it) before the bare
 * name's; null when there is none.
 */
function ruleFor(
  config: WorldConfig,
  component: { name: string; modules: readonly string[] },
  has: (rule: ComponentRule) => boolean,
): string | null {
  const rules = config.components ?? {};
  const holds = (name: string) => Object.hasOwn(rules, name) && has(rules[name]!);
  const qualified = component.modules.map((m) => `${component.name}@${m}`).find(holds);
  return qualified ?? (holds(component.name) ? component.name : null);
}

/** Whether the owner's rules say `component` leaves the server (true or false), or null when silent. */
export function replicateRule(
  config: WorldConfig,
  component: { name: string; modules: readonly string[] },
): boolean | null {
  const ruleName = ruleFor(config, component, (rule) => rule.replicate !== undefined);
  return ruleName === null ? null : config.components![ruleName]!.replicate!;
}

/** The owner's rules as the coordinator applies them. */
export function worldPolicy(
  config: WorldConfig,
  scriptsDir: string,
  registry: ComponentRegistry,
): WorldPolicy {
  return {
    writeRefusal: (file, info) =>
      writeRefusal(config, file, scriptsDir, {
        name: info.name,
        modules: registry.modules(info.key),
      }),
  };
}

/**
 * Decides a script's grants: every capability it asks for must be approved
 * for its file, or the script is refused with the exact lines to add.
 */
export function approveCapabilities(
  config: WorldConfig,
  manifest: Manifest,
  file: string,
  scriptsDir: string,
  storageRoot: string,
): AdmittedGrants {
  const key = configKey(file, scriptsDir);
  const approval = config.capabilities[key] ?? { net: [], storage: false };
  const missingNet = manifest.net.filter((n) => !approval.net.includes(n));
  const missingStorage = manifest.storage && !approval.storage;
  if (missingNet.length > 0 || missingStorage) {
    const wanted: Record<string, unknown> = {};
    if (manifest.net.length > 0) wanted.net = manifest.net;
    if (manifest.storage) wanted.storage = true;
    const asks = [
      ...(missingNet.length ? [`net ${JSON.stringify(missingNet)}`] : []),
      ...(missingStorage ? ["storage"] : []),
    ].join(" and ");
    throw new ManifestError(
      `Script "${file}" asks for ${asks}, which the world owner has not approved: add ${
        JSON.stringify({ capabilities: { [key]: wanted } })
      } to ${config.source}`,
    );
  }
  // Keyed by the file, like the approval: a name is what a script says about itself.
  return {
    net: manifest.net,
    storageDir: manifest.storage ? resolve(storageRoot, key) : null,
  };
}

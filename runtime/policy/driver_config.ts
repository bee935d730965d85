/**
 * Which drivers a world runs, and what the owner approved for each
 * (DESIGN §9), from `syncra.json`:
 *
 * ```json
 * { "drivers": { "lamp": { "file": "my_drivers/lamp.ts", "approve": { "serve": ["127.0.0.1:9000"] },
 *                          "color": "warm" } } }
 * ```
 *
 * `file` is relative to the world's root; `approve` lists the capabilities
 * the owner allows (`serve`, `net`, `read`, `write`, `ffi` as lists, `gpu`
 * as `true`); every other key is the
 * driver's own setting, handed to it as `ctx.config`. A driver that asks
 * for more than was approved is refused with the exact lines to add.
 *
 * Two more approvals are the owner's alone, for the native libraries of a
 * driver approved for `ffi` or `gpu` (an OpenXR loader finding its runtime):
 * `env`, fixed values the owner writes (`{ "XR_RUNTIME_JSON": "/opt/xr/rt.json" }`,
 * never taken from the world's environment; names that steer Deno, the
 * dynamic loader or glibc are refused), and `mount`, absolute paths bound
 * read-only into its jail with no Deno flag. They grant no permission to the
 * driver's own code, which cannot read its environment (no `--allow-env`);
 * a driver with neither ffi nor gpu is given neither.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { isValidName } from "../../std/mod.ts";
import { type DriverCapabilityLists, ManifestError } from "../protocol/mod.ts";
import type { DriverManifest } from "../roles/mod.ts";
import type { AdmittedGrants } from "../supervision/mod.ts";
import { validateEnvName, validateEnvValue, validateNetGrant } from "../../sandbox/command/mod.ts";
import { didYouMean } from "./did_you_mean.ts";

/**
 * The capabilities a driver may be approved for (`read` and `write` relative
 * to the root), and the owner's `env` and `mount` for its native libraries.
 */
export interface DriverApproval extends DriverCapabilityLists {
  /** @default {} */
  env?: Record<string, string>;
  /** @default [] */
  mount?: string[];
}

/** One enabled driver. */
export interface DriverEntry {
  name: string;
  /** Its module, relative to the world's root (or absolute). */
  file: string;
  approve: DriverApproval;
  /** Its own settings (`ctx.config`). */
  settings: Record<string, unknown>;
  /**
   * A built-in driver the runtime enables itself (the viewer): it gets what
   * `approve` says — the runtime's choice, such as the port — whatever
   * addresses its manifest names.
   */
  builtin?: boolean;
  /** Its writes carry editor authority (the viewer of a world run with --editable). */
  editor?: boolean;
  /**
   * Its process runs on another machine, started by a host there
   * (`deno task driver NAME --nats URL`): distributed mode only.
   */
  remote?: boolean;
}

/** The capabilities approved as lists; `gpu` is approved with `true`. */
const APPROVALS = ["serve", "net", "read", "write", "ffi"] as const;
const APPROVAL_KEYS = [...APPROVALS, "gpu", "env", "mount"] as const;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Validates `"drivers"`; `fail` throws with the config's source named. */
export function parseDrivers(raw: unknown, fail: (why: string) => never): DriverEntry[] {
  if (raw === undefined) return [];
  if (!isRecord(raw)) fail(`"drivers" must be an object of drivers by name`);
  const entries: DriverEntry[] = [];
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!isValidName(name)) fail(`driver name "${name}" must be letters, digits and "_"`);
    if (!isRecord(value)) fail(`"drivers"."${name}" must be an object`);
    const { file, approve = {}, remote = false, ...settings } = value as Record<string, unknown>;
    if (typeof remote !== "boolean") fail(`"drivers"."${name}".remote must be true or false`);
    if (typeof file !== "string" || file === "") {
      fail(
        `"drivers"."${name}" needs a "file" (its module, relative to the world's root): this ` +
          `version has no built-in drivers`,
      );
    }
    if (!isRecord(approve)) fail(`"drivers"."${name}".approve must be an object`);
    const approval: Required<DriverApproval> = {
      serve: [],
      net: [],
      read: [],
      write: [],
      ffi: [],
      gpu: false,
      env: {},
      mount: [],
    };
    for (const [key, list] of Object.entries(approve as Record<string, unknown>)) {
      if (!(APPROVAL_KEYS as readonly string[]).includes(key)) {
        const guess = didYouMean(key, APPROVAL_KEYS);
        fail(
          `"drivers"."${name}".approve has no capability "${key}"${
            guess ? ` (did you mean "${guess}"?)` : ""
          }: it may approve ${APPROVAL_KEYS.join(", ")}`,
        );
      }
      if (key === "gpu") {
        if (typeof list !== "boolean") {
          fail(`"drivers"."${name}".approve.gpu must be true or false`);
        }
        approval.gpu = list as boolean;
        continue;
      }
      if (key === "env") {
        if (!isRecord(list)) {
          fail(`"drivers"."${name}".approve.env must be an object of names to values`);
        }
        try {
          for (const [variable, value] of Object.entries(list as Record<string, unknown>)) {
            approval.env[validateEnvName(variable)] = validateEnvValue(variable, value);
          }
        } catch (error) {
          fail(`"drivers"."${name}".approve.env: ${(error as Error).message}`);
        }
        continue;
      }
      if (!Array.isArray(list) || !list.every((v) => typeof v === "string")) {
        fail(`"drivers"."${name}".approve.${key} must be an array of strings`);
      }
      const values = list as string[];
      if (key === "serve" || key === "net") {
        try {
          values.forEach(validateNetGrant);
        } catch (error) {
          fail(`"drivers"."${name}".approve.${key}: ${(error as Error).message}`);
        }
      }
      if (key === "ffi" && values.some((v) => !isAbsolute(v))) {
        fail(`"drivers"."${name}".approve.ffi must list absolute paths of libraries`);
      }
      if (key === "mount" && values.some((v) => !isAbsolute(v) || resolve(v) !== v)) {
        fail(`"drivers"."${name}".approve.mount must list normalized absolute paths`);
      }
      approval[key as (typeof APPROVALS)[number] | "mount"] = values;
    }
    entries.push({
      name,
      file: file as string,
      approve: approval,
      settings,
      ...(remote === true && { remote: true }),
    });
  }
  return entries;
}

const PORT_END = /^[A-Za-z_][A-Za-z0-9_]{0,63}\.[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Validates `"dataflow"`: a list of `{ "from": "driver.port", "to":
 * "driver.port" }` wires that replace the default wiring by name and type.
 */
export function parseDataflow(
  raw: unknown,
  fail: (why: string) => never,
): { from: string; to: string }[] | null {
  if (raw === undefined || raw === null) return null;
  if (!Array.isArray(raw)) fail(`"dataflow" must be a list of { "from": ..., "to": ... } wires`);
  return (raw as unknown[]).map((wire, i) => {
    const { from, to } = (wire ?? {}) as { from?: unknown; to?: unknown };
    for (const [key, end] of [["from", from], ["to", to]] as const) {
      if (typeof end !== "string" || !PORT_END.test(end)) {
        fail(`"dataflow"[${i}].${key} must be "driver.port", got ${JSON.stringify(end)}`);
      }
    }
    return { from: from as string, to: to as string };
  });
}

/**
 * A driver's grants: every capability it declares must be approved for it,
 * or it is refused naming exactly what to add. Paths become absolute under
 * the world's root.
 */
export function approveDriverCapabilities(
  entry: DriverEntry,
  manifest: DriverManifest,
  root: string,
  source: string,
): AdmittedGrants {
  const absolute = (p: string) => (isAbsolute(p) ? p : resolve(root, p));
  if (entry.builtin) {
    return {
      net: entry.approve.net,
      storageDir: null,
      serve: entry.approve.serve,
      read: entry.approve.read.map(absolute),
      write: entry.approve.write.map(absolute),
      ffi: entry.approve.ffi,
      gpu: entry.approve.gpu,
      ...nativeSettings(entry, entry.approve.ffi.length > 0 || entry.approve.gpu),
    };
  }
  const missing: Record<string, string[] | boolean> = {};
  for (const key of APPROVALS) {
    const lacking = manifest.capabilities[key].filter((v) => !entry.approve[key].includes(v));
    if (lacking.length > 0) missing[key] = lacking;
  }
  if (manifest.capabilities.gpu && !entry.approve.gpu) missing.gpu = true;
  if (Object.keys(missing).length > 0) {
    const wanted: Record<string, string[] | boolean> = Object.fromEntries(
      APPROVALS.filter((k) => manifest.capabilities[k].length > 0).map((
        k,
      ) => [k, manifest.capabilities[k]]),
    );
    if (manifest.capabilities.gpu) wanted.gpu = true;
    throw new ManifestError(
      `Driver "${entry.name}" asks for ${
        Object.entries(missing).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(" and ")
      }, which the world owner has not approved: add ${
        JSON.stringify({ drivers: { [entry.name]: { approve: wanted } } })
      } to ${source}`,
    );
  }
  return {
    net: manifest.capabilities.net,
    storageDir: null,
    serve: manifest.capabilities.serve,
    read: manifest.capabilities.read.map(absolute),
    write: manifest.capabilities.write.map(absolute),
    ffi: manifest.capabilities.ffi,
    gpu: manifest.capabilities.gpu,
    ...nativeSettings(entry, manifest.capabilities.ffi.length > 0 || manifest.capabilities.gpu),
  };
}

/** The owner's `env` and `mount`, for a driver that loads native code (ffi or gpu) only. */
function nativeSettings(
  entry: DriverEntry,
  native: boolean,
): { env?: Record<string, string>; mount?: string[] } {
  const { env = {}, mount = [] } = entry.approve;
  if (!native) return {};
  return {
    ...(Object.keys(env).length > 0 && { env: { ...env } }),
    ...(mount.length > 0 && { mount: [...mount] }),
  };
}

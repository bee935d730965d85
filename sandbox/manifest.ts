/**
 * Validation of the manifest a child reports in its `hello`. The child is
 * untrusted, so everything is checked here before the runtime uses it.
 *
 * @module
 */
import { isValidName, resolveSchema } from "../std/component.ts";
import type { WireManifest, WireSchema } from "./protocol.ts";
import { validateNetGrant } from "./command_line.ts";
import { ManifestError } from "./errors.ts";

/** A validated manifest: names resolved, every listed component has a schema. */
export interface Manifest extends WireManifest {
  name: string;
}

const MAX_COMPONENTS = 64;

/** The default system name for a script file: its base name without extension. */
export function nameFromFile(file: string): string {
  const base = file.split("/").pop()!.replace(/\.[^.]+$/, "");
  const cleaned = base.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 64);
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`.slice(0, 64);
}

function nameList(raw: unknown, key: string, file: string): string[] {
  if (!Array.isArray(raw) || raw.length > MAX_COMPONENTS || !raw.every(isValidName)) {
    throw new ManifestError(
      `Invalid manifest in "${file}": "${key}" must list at most ${MAX_COMPONENTS} components`,
    );
  }
  return [...new Set(raw)];
}

/** Checks a raw `hello` manifest; throws ManifestError naming the file and the problem. */
export function validateManifest(raw: unknown, file: string): Manifest {
  if (typeof raw !== "object" || raw === null) {
    throw new ManifestError(`Invalid manifest in "${file}": not an object`);
  }
  const m = raw as Record<string, unknown>;
  let name = nameFromFile(file);
  if (m.name !== null && m.name !== undefined) {
    if (!isValidName(m.name)) {
      throw new ManifestError(
        `Invalid manifest in "${file}": name ${
          JSON.stringify(m.name)
        } must be letters, digits and "_" (up to 64), starting with a letter or "_"`,
      );
    }
    name = m.name;
  }
  const reads = nameList(m.reads, "reads", file);
  const writes = nameList(m.writes, "writes", file);
  const rawComponents = m.components;
  if (typeof rawComponents !== "object" || rawComponents === null) {
    throw new ManifestError(`Invalid manifest in "${file}": missing component schemas`);
  }
  const components: Record<string, WireSchema> = {};
  for (const c of new Set([...reads, ...writes])) {
    const schema = (rawComponents as Record<string, unknown>)[c];
    try {
      resolveSchema(c, schema);
    } catch (error) {
      throw new ManifestError(`Invalid manifest in "${file}": ${(error as Error).message}`);
    }
    components[c] = schema as WireSchema;
  }
  if (m.net !== undefined && !Array.isArray(m.net)) {
    throw new ManifestError(`Invalid manifest in "${file}": "net" must be an array of "host:port"`);
  }
  const net = ((m.net ?? []) as unknown[]).map((g) => {
    try {
      return validateNetGrant(g);
    } catch (error) {
      throw new ManifestError(`Invalid manifest in "${file}": ${(error as Error).message}`);
    }
  });
  return {
    name,
    reads,
    writes,
    spawns: m.spawns === true,
    hasInit: m.hasInit === true,
    hasRun: m.hasRun === true,
    components,
    net,
    storage: m.storage === true,
  };
}

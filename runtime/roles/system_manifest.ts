/**
 * Validation of the manifest a child reports in its `hello`. The child is
 * untrusted, so everything is checked here before the runtime uses it.
 *
 * @module
 */
import { type FieldInfo, isValidName, resolveSchema } from "../../std/mod.ts";
import { BUILTIN_COMPONENTS } from "../../std/mod.ts";
import type { WireManifest, WireSchema } from "../protocol/mod.ts";
import { validateNetGrant } from "../../sandbox/command/mod.ts";
import { ManifestError } from "../protocol/mod.ts";

/** A validated manifest: names resolved, every listed component has a schema. */
export interface Manifest extends WireManifest {
  /** The name it asks for, or its file's name. The name it runs under is decided by the runtime. */
  name: string;
  /** The name its manifest declared, null when it declared none. */
  declaredName: string | null;
}

const MAX_COMPONENTS = 64;

/** Whether `name` with `fields` is exactly a built-in component of std. */
function isBuiltin(name: string, fields: readonly FieldInfo[]): boolean {
  const builtin = BUILTIN_COMPONENTS.find((c) => c.name === name);
  return builtin !== undefined && builtin.fields.length === fields.length &&
    builtin.fields.every((f, i) =>
      f.name === fields[i]!.name && f.type === fields[i]!.type &&
      f.default.every((v, j) => Object.is(v, fields[i]!.default[j]))
    );
}

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

/**
 * Checks a raw `hello` manifest; throws ManifestError naming the file and
 * the problem. `bundled` lists the modules (relative to the scripts folder)
 * the trusted bundler put into the script's bundle: a component said to come
 * from any other module is taken as defined by the script's own file.
 */
export function validateManifest(
  raw: unknown,
  file: string,
  bundled: ReadonlySet<string> | null = null,
): Manifest {
  if (typeof raw !== "object" || raw === null) {
    throw new ManifestError(`Invalid manifest in "${file}": not an object`);
  }
  const m = raw as Record<string, unknown>;
  let name = nameFromFile(file);
  let declaredName: string | null = null;
  if (m.name !== null && m.name !== undefined) {
    if (!isValidName(m.name)) {
      throw new ManifestError(
        `Invalid manifest in "${file}": name ${
          JSON.stringify(m.name)
        } must be letters, digits and "_" (up to 64), starting with a letter or "_"`,
      );
    }
    name = m.name;
    declaredName = m.name;
  }
  const reads = nameList(m.reads, "reads", file);
  const writes = nameList(m.writes, "writes", file);
  const rawComponents = m.components;
  if (typeof rawComponents !== "object" || rawComponents === null) {
    throw new ManifestError(`Invalid manifest in "${file}": missing component schemas`);
  }
  const components: Record<string, WireSchema> = {};
  const modules: Record<string, string | null> = {};
  const claimed = typeof m.modules === "object" && m.modules !== null
    ? m.modules as Record<string, unknown>
    : {};
  const own = file.split("/").pop()!;
  for (const c of new Set([...reads, ...writes])) {
    let fields: FieldInfo[];
    try {
      fields = resolveSchema(c, (rawComponents as Record<string, unknown>)[c]);
    } catch (error) {
      throw new ManifestError(`Invalid manifest in "${file}": ${(error as Error).message}`);
    }
    // The normalized schema, not the child's object: nothing it added travels further.
    const schema: WireSchema = {};
    for (const f of fields) schema[f.name] = { type: f.type, default: [...f.default] };
    components[c] = schema;
    const module = claimed[c];
    modules[c] = module === null && isBuiltin(c, fields)
      ? null
      : typeof module === "string" && (bundled === null || bundled.has(module))
      ? module.slice(0, 256)
      : own;
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
    declaredName,
    reads,
    writes,
    spawns: m.spawns === true,
    hasInit: m.hasInit === true,
    hasRun: m.hasRun === true,
    components,
    modules,
    net,
    storage: m.storage === true,
  };
}

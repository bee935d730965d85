/**
 * Validation of the manifest a child reports in its `hello`. The child is
 * untrusted, so everything is checked here before the runtime uses it.
 *
 * @module
 */
import { type FieldInfo, isValidName, resolveSchema } from "../../std/mod.ts";
import { BUILTIN_COMPONENTS } from "../../std/mod.ts";
import type { WireManifest, WireQuery, WireSchema } from "../protocol/mod.ts";
import { validateNetGrant } from "../../sandbox/command/mod.ts";
import { ManifestError, quoteUntrusted } from "../protocol/mod.ts";
import { toWireSchema } from "../ecs/mod.ts";

/** A validated query: its lists, and the components an entity must have to match. */
export interface ManifestQuery extends WireQuery {
  /** reads, writes and with, less optional: what a matched entity has. */
  required: string[];
}

/** A validated manifest: names resolved, every listed component has a schema. */
export interface Manifest extends Omit<WireManifest, "reads" | "writes" | "queries"> {
  /** The name it asks for, or its file's name. The name it runs under is decided by the runtime. */
  name: string;
  /** The name its manifest declared, null when it declared none. */
  declaredName: string | null;
  /**
   * Every query in shipping and merge order: `default` (top-level reads and
   * writes, when they name anything) first, then the others as declared.
   */
  queries: Record<string, ManifestQuery>;
  /** The grants: every component any query reads (optional ones included) or writes. */
  reads: string[];
  /** Every component any query writes: the components it may change and attach. */
  writes: string[];
}

const MAX_COMPONENTS = 64;
const MAX_QUERIES = 16;
const QUERY_KEYS = ["reads", "writes", "with", "without", "optional", "changed"] as const;

/** Whether `name` with `fields` is exactly a built-in component of std. */
function isBuiltin(name: string, fields: readonly FieldInfo[]): boolean {
  const builtin = BUILTIN_COMPONENTS.find((c) => c.name === name);
  return builtin !== undefined && builtin.fields.length === fields.length &&
    builtin.fields.every((f, i) =>
      f.name === fields[i]!.name && f.type === fields[i]!.type && f.max === fields[i]!.max &&
      f.default.every((v, j) => Object.is(v, fields[i]!.default[j]))
    );
}

/** The default system name for a script file: its base name without extension. */
export function nameFromFile(file: string): string {
  const base = file.split("/").pop()!.replace(/\.[^.]+$/, "");
  const cleaned = base.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 64);
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`.slice(0, 64);
}

function nameList(raw: unknown, key: string, file: string, what = "components"): string[] {
  raw ??= [];
  if (!Array.isArray(raw) || raw.length > MAX_COMPONENTS || !raw.every(isValidName)) {
    throw new ManifestError(
      `Invalid manifest in "${file}": ${key} must list at most ${MAX_COMPONENTS} ${what}`,
    );
  }
  return [...new Set(raw)];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** One query's lists, checked for sense: each names components, and can match something. */
function validateQuery(raw: unknown, name: string, file: string): ManifestQuery {
  const where = name === "default" ? "" : `query "${name}".`;
  const bad = (why: string) => new ManifestError(`Invalid manifest in "${file}": ${why}`);
  if (!isRecord(raw)) throw bad(`query "${name}" must be an object`);
  const q = {} as WireQuery;
  for (const key of QUERY_KEYS) q[key] = nameList(raw[key], `"${where}${key}"`, file);
  const shipped = new Set([...q.reads, ...q.writes]);
  const optional = new Set(q.optional);
  const required = [...new Set([...q.reads, ...q.writes, ...q.with])].filter((c) =>
    !optional.has(c)
  );
  for (const c of q.without) {
    if (required.includes(c)) {
      throw bad(
        `${where || "the default query "}lists "${c}" as required and in "without": ` +
          `it can never match an entity`,
      );
    }
  }
  for (const c of q.changed) {
    if (!shipped.has(c) || optional.has(c)) {
      throw bad(
        `"${where}changed" lists "${c}", which the query does not read or write: ` +
          `add it to the query's reads (a change filter needs the component on every row)`,
      );
    }
  }
  if (required.length === 0 && q.optional.length > 0) {
    throw bad(
      `${where || "the default query "}has only optional components: ` +
        `it would match every entity; add one it requires to reads, writes or with`,
    );
  }
  return { ...q, optional: [...optional], required };
}

/** The default query (top-level reads and writes) and the named ones, in merge order. */
function validateQueries(m: Record<string, unknown>, file: string): Record<string, ManifestQuery> {
  const queries: Record<string, ManifestQuery> = {};
  const reads = nameList(m.reads, `"reads"`, file);
  const writes = nameList(m.writes, `"writes"`, file);
  if (reads.length + writes.length > 0) {
    queries.default = validateQuery({ reads, writes }, "default", file);
  }
  const named = m.queries ?? {};
  if (!isRecord(named)) {
    throw new ManifestError(`Invalid manifest in "${file}": "queries" must be an object`);
  }
  const entries = Object.entries(named);
  if (entries.length > MAX_QUERIES) {
    throw new ManifestError(
      `Invalid manifest in "${file}": ${entries.length} queries, the most is ${MAX_QUERIES}`,
    );
  }
  for (const [name, query] of entries) {
    if (!isValidName(name)) {
      throw new ManifestError(
        `Invalid manifest in "${file}": query name ${
          quoteUntrusted(name)
        } must be letters, digits and "_"`,
      );
    }
    if (name === "default") {
      throw new ManifestError(
        `Invalid manifest in "${file}": the query name "default" is taken by the top-level ` +
          `reads and writes; name this query something else`,
      );
    }
    const q = validateQuery(query, name, file);
    if (q.required.length === 0) {
      throw new ManifestError(
        `Invalid manifest in "${file}": query "${name}" names no component an entity must have`,
      );
    }
    queries[name] = q;
  }
  return queries;
}

/** Resource or event schemas of the names listed, normalized. */
function schemasOf(
  names: readonly string[],
  raw: unknown,
  what: string,
  file: string,
): Record<string, WireSchema> {
  const out: Record<string, WireSchema> = {};
  for (const name of names) {
    try {
      const fields = resolveSchema(name, isRecord(raw) ? raw[name] : undefined, what);
      out[name] = normalizedSchema(fields);
    } catch (error) {
      throw new ManifestError(`Invalid manifest in "${file}": ${(error as Error).message}`);
    }
  }
  return out;
}

/** A schema rebuilt from resolved fields: nothing the child added travels further. */
const normalizedSchema = toWireSchema;

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
  const queries = validateQueries(m, file);
  const all = Object.values(queries);
  const reads = [...new Set(all.flatMap((q) => [...q.reads, ...q.optional]))];
  const writes = [...new Set(all.flatMap((q) => q.writes))];
  const named = [...new Set(all.flatMap((q) => QUERY_KEYS.flatMap((k) => q[k])))];
  if (named.length > MAX_COMPONENTS) {
    throw new ManifestError(
      `Invalid manifest in "${file}": its queries name ${named.length} components, ` +
        `the most is ${MAX_COMPONENTS}`,
    );
  }
  const rawResources = isRecord(m.resources) ? m.resources : {};
  const rawEvents = isRecord(m.events) ? m.events : {};
  const resources = {
    reads: nameList(rawResources.reads, `"resources.reads"`, file, "resources"),
    writes: nameList(rawResources.writes, `"resources.writes"`, file, "resources"),
  };
  const events = {
    emits: nameList(rawEvents.emits, `"emits"`, file, "events"),
    receives: nameList(rawEvents.receives, `"receives"`, file, "events"),
  };
  const resourceSchemas = schemasOf(
    [...new Set([...resources.reads, ...resources.writes])],
    m.resourceSchemas,
    "resource",
    file,
  );
  const eventSchemas = schemasOf(
    [...new Set([...events.emits, ...events.receives])],
    m.eventSchemas,
    "event",
    file,
  );
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
  for (const c of named) {
    let fields: FieldInfo[];
    try {
      fields = resolveSchema(c, (rawComponents as Record<string, unknown>)[c]);
    } catch (error) {
      throw new ManifestError(`Invalid manifest in "${file}": ${(error as Error).message}`);
    }
    components[c] = normalizedSchema(fields);
    const module = claimed[c];
    modules[c] = module === null && isBuiltin(c, fields)
      ? null
      : typeof module === "string" && (bundled === null || bundled.has(module))
      ? module.slice(0, 256)
      : own;
  }
  if (Array.isArray(m.driverOnly) && m.driverOnly.length > 0) {
    const asked = m.driverOnly.slice(0, 8).map((k) => JSON.stringify(String(k).slice(0, 32)));
    throw new ManifestError(
      `Script "${file}" asks for ${asked.join(", ")}, which no script may have: ffi, gpu, ` +
        `serve, read and write are for drivers (defineDriver, enabled in syncra.json "drivers" ` +
        `and approved there); a script may ask for net and storage`,
    );
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
    queries,
    reads,
    writes,
    resources,
    events,
    resourceSchemas,
    eventSchemas,
    spawns: m.spawns === true,
    hasInit: m.hasInit === true,
    hasRun: m.hasRun === true,
    components,
    modules,
    replicated: replicatedOf(m.replicated, named, `manifest in "${file}"`),
    net,
    storage: m.storage === true,
  };
}

/**
 * The components a manifest says were defined with `replicate: true`:
 * names among those it declares, at most one each. Throws ManifestError
 * naming `where` for anything else.
 */
export function replicatedOf(raw: unknown, declared: Iterable<string>, where: string): string[] {
  if (raw === undefined) return [];
  const known = new Set(declared);
  if (!Array.isArray(raw) || raw.length > known.size) {
    throw new ManifestError(`Invalid ${where}: "replicated" must list components it declares`);
  }
  const names = new Set<string>();
  for (const name of raw) {
    if (typeof name !== "string" || !known.has(name)) {
      throw new ManifestError(
        `Invalid ${where}: "replicated" names ${quoteUntrusted(name)}, which it does not declare`,
      );
    }
    names.add(name);
  }
  return [...names].sort();
}

/**
 * The wire manifest (`hello`) of a system, built from its definition: what
 * it reads, writes and spawns, the schema and defining module of each
 * component, and the capabilities it asks for. The runtime checks every
 * claim in it (runtime/roles/system_manifest.ts); this only reports them.
 *
 * @module
 */
import type {
  ComponentType,
  DriverDefinition,
  EventType,
  FieldInfo,
  ResourceType,
  SystemDefinition,
} from "../../std/mod.ts";
import type { WireDriverManifest, WireManifest, WireSchema } from "../../runtime/protocol/mod.ts";
import { fieldSpecOf } from "../../std/internal.ts";

function wireSchema(type: { readonly fields: readonly FieldInfo[] }): WireSchema {
  const out: WireSchema = {};
  for (const f of type.fields) out[f.name] = fieldSpecOf(f);
  return out;
}

function isComponentType(value: unknown): value is ComponentType {
  return typeof value === "object" && value !== null &&
    typeof (value as ComponentType).name === "string" &&
    Array.isArray((value as ComponentType).fields);
}

const QUERY_KEYS = ["reads", "writes", "with", "without", "optional", "changed"] as const;

/** Manifest keys of drivers' capabilities that no system may declare. */
const DRIVER_ONLY = ["ffi", "gpu", "serve", "read", "write", "env", "mount", "capabilities"];

/** A list of types from a manifest, checked: each made by `defineComponent` (or its kin). */
function typeList<T extends { readonly name: string; readonly fields: readonly FieldInfo[] }>(
  value: unknown,
  where: string,
  what: string,
  who = "system",
): T[] {
  value ??= [];
  if (!Array.isArray(value) || !value.every(isComponentType)) {
    throw new TypeError(`The ${who}'s ${where} must be an array of ${what}`);
  }
  return value as unknown as T[];
}

/**
 * The components a manifest names, gathered with their schemas and
 * defining modules; two different components of one name are an error.
 */
class ComponentCollector {
  readonly components: WireManifest["components"] = {};
  readonly modules: WireManifest["modules"] = {};
  /** The components defined with `replicate: true`, by name. */
  readonly replicated = new Set<string>();
  readonly #seen = new Map<string, ComponentType>();
  readonly #who: string;

  constructor(who: string) {
    this.#who = who;
  }

  /** The names of the components listed at `where`, collected. */
  names(value: unknown, where: string): string[] {
    const listed = typeList<ComponentType>(
      value,
      where,
      "components from defineComponent",
      this.#who,
    );
    for (const c of listed) {
      const other = this.#seen.get(c.name);
      if (
        other && other !== c &&
        JSON.stringify(wireSchema(other)) !== JSON.stringify(wireSchema(c))
      ) {
        throw new TypeError(
          `The ${this.#who} uses two different components named "${c.name}" (defined in ${
            other.module ?? "@syncra/std"
          } and in ${c.module ?? "@syncra/std"}): rename one`,
        );
      }
      this.#seen.set(c.name, c);
      this.components[c.name] = wireSchema(c);
      this.modules[c.name] = typeof c.module === "string" ? c.module : null;
      if (c.replicate === true) this.replicated.add(c.name);
    }
    return listed.map((c) => c.name);
  }
}

/**
 * The manifest a driver declares, as it travels in `hello` (with `role:
 * "driver"`). Throws a TypeError naming the problem.
 */
export function describeDriverManifest(driver: DriverDefinition): WireDriverManifest {
  const collected = new ComponentCollector("driver");
  const reads = collected.names(driver.reads, `"reads"`);
  const writes = collected.names(driver.writes, `"writes"`);
  const caps = driver.capabilities ?? {};
  const strings = (value: unknown, key: string): string[] => {
    value ??= [];
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
      throw new TypeError(`The driver's capabilities.${key} must be an array of strings`);
    }
    return value as string[];
  };
  const ports = (value: unknown, key: string): Record<string, string> => {
    value ??= {};
    if (
      typeof value !== "object" || value === null || Array.isArray(value) ||
      !Object.values(value).every((t) => typeof t === "string")
    ) {
      throw new TypeError(`The driver's "${key}" must be an object of port names to types`);
    }
    return { ...value as Record<string, string> };
  };
  return {
    name: typeof driver.name === "string" ? driver.name : null,
    reads,
    writes,
    readsReplicated: driver.readsReplicated === true,
    spawns: driver.spawns === true,
    inputs: ports(driver.inputs, "inputs"),
    outputs: ports(driver.outputs, "outputs"),
    components: collected.components,
    modules: collected.modules,
    ...(collected.replicated.size > 0 ? { replicated: [...collected.replicated] } : {}),
    capabilities: {
      serve: strings(caps.serve, "serve"),
      net: strings(caps.net, "net"),
      read: strings(caps.read, "read"),
      write: strings(caps.write, "write"),
      ffi: strings(caps.ffi, "ffi"),
      gpu: caps.gpu === true,
    },
  };
}

/**
 * The manifest a system declares, as it travels in `hello`. Throws a
 * TypeError naming the problem when a list is not of components (or
 * resources, or events), or when two different components share a name.
 */
export function describeManifest(system: SystemDefinition): WireManifest {
  const list = typeList;
  const collected = new ComponentCollector("system");
  const components = collected.components;
  const modules = collected.modules;
  const names = (value: unknown, where: string) => collected.names(value, where);
  const reads = names(system.reads, `"reads"`);
  const writes = names(system.writes, `"writes"`);
  const queries: WireManifest["queries"] = {};
  const declared = system.queries ?? {};
  if (typeof declared !== "object" || declared === null || Array.isArray(declared)) {
    throw new TypeError(`The system's "queries" must be an object of queries by name`);
  }
  for (const [name, query] of Object.entries(declared)) {
    if (typeof query !== "object" || query === null) {
      throw new TypeError(`The system's query "${name}" must be an object`);
    }
    const q = {} as WireManifest["queries"][string];
    for (const key of QUERY_KEYS) {
      q[key] = names((query as Record<string, unknown>)[key], `query "${name}".${key}`);
    }
    queries[name] = q;
  }
  const schemas = (
    value: unknown,
    where: string,
    what: string,
    into: Record<string, WireSchema>,
  ): string[] => {
    const listed = list<ResourceType | EventType>(value, where, what);
    for (const r of listed) into[r.name] = wireSchema(r);
    return listed.map((r) => r.name);
  };
  const resourceSchemas: Record<string, WireSchema> = {};
  const eventSchemas: Record<string, WireSchema> = {};
  const resources = system.resources ?? {};
  const resource = "resources from defineResource";
  const event = "events from defineEvent";
  return {
    name: typeof system.name === "string" ? system.name : null,
    reads,
    writes,
    queries,
    resources: {
      reads: schemas(resources.reads, `"resources.reads"`, resource, resourceSchemas),
      writes: schemas(resources.writes, `"resources.writes"`, resource, resourceSchemas),
    },
    events: {
      emits: schemas(system.emits, `"emits"`, event, eventSchemas),
      receives: schemas(system.receives, `"receives"`, event, eventSchemas),
    },
    resourceSchemas,
    eventSchemas,
    spawns: system.spawns === true,
    hasInit: typeof system.init === "function",
    hasRun: typeof system.run === "function" || typeof system.onRemoteChange === "function",
    components,
    modules,
    ...(collected.replicated.size > 0 ? { replicated: [...collected.replicated] } : {}),
    net: Array.isArray(system.net) ? system.net.map(String) : [],
    storage: system.storage === true,
    // Said, not dropped: a script that asks for a driver's capability is refused with a reason.
    driverOnly: DRIVER_ONLY.filter((key) => {
      const value = (system as unknown as Record<string, unknown>)[key];
      return value !== undefined && value !== false;
    }),
  };
}

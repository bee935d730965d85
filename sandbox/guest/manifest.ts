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
  EventType,
  FieldInfo,
  ResourceType,
  SystemDefinition,
} from "../../std/mod.ts";
import type { WireManifest, WireSchema } from "../../runtime/protocol/mod.ts";
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

/**
 * The manifest a system declares, as it travels in `hello`. Throws a
 * TypeError naming the problem when a list is not of components (or
 * resources, or events), or when two different components share a name.
 */
export function describeManifest(system: SystemDefinition): WireManifest {
  const list = <T extends { readonly name: string; readonly fields: readonly FieldInfo[] }>(
    value: unknown,
    where: string,
    what: string,
  ): T[] => {
    value ??= [];
    if (!Array.isArray(value) || !value.every(isComponentType)) {
      throw new TypeError(`The system's ${where} must be an array of ${what}`);
    }
    return value as unknown as T[];
  };
  const components: WireManifest["components"] = {};
  const modules: WireManifest["modules"] = {};
  const seen = new Map<string, ComponentType>();
  const names = (value: unknown, where: string): string[] => {
    const listed = list<ComponentType>(value, where, "components from defineComponent");
    for (const c of listed) {
      const other = seen.get(c.name);
      if (
        other && other !== c &&
        JSON.stringify(wireSchema(other)) !== JSON.stringify(wireSchema(c))
      ) {
        throw new TypeError(
          `The system uses two different components named "${c.name}" (defined in ${
            other.module ?? "@syncra/std"
          } and in ${c.module ?? "@syncra/std"}): rename one`,
        );
      }
      seen.set(c.name, c);
      components[c.name] = wireSchema(c);
      modules[c.name] = typeof c.module === "string" ? c.module : null;
    }
    return listed.map((c) => c.name);
  };
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
    hasRun: typeof system.run === "function",
    components,
    modules,
    net: Array.isArray(system.net) ? system.net.map(String) : [],
    storage: system.storage === true,
  };
}

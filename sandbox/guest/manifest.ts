/**
 * The wire manifest (`hello`) of a system, built from its definition: what
 * it reads, writes and spawns, the schema and defining module of each
 * component, and the capabilities it asks for. The runtime checks every
 * claim in it (runtime/roles/system_manifest.ts); this only reports them.
 *
 * @module
 */
import type { ComponentType, SystemDefinition } from "../../std/mod.ts";
import type { WireManifest } from "../../runtime/protocol/mod.ts";

function wireSchema(component: ComponentType): WireManifest["components"][string] {
  const out: WireManifest["components"][string] = {};
  for (const f of component.fields) out[f.name] = { type: f.type, default: [...f.default] };
  return out;
}

function isComponentType(value: unknown): value is ComponentType {
  return typeof value === "object" && value !== null &&
    typeof (value as ComponentType).name === "string" &&
    Array.isArray((value as ComponentType).fields);
}

/**
 * The manifest a system declares, as it travels in `hello`. Throws a
 * TypeError naming the problem when `reads`/`writes` are not components, or
 * when two different components share a name.
 */
export function describeManifest(system: SystemDefinition): WireManifest {
  const list = (key: "reads" | "writes"): ComponentType[] => {
    const value = system[key] ?? [];
    if (!Array.isArray(value) || !value.every(isComponentType)) {
      throw new TypeError(
        `The system's "${key}" must be an array of components from defineComponent`,
      );
    }
    return value;
  };
  const reads = list("reads");
  const writes = list("writes");
  const components: WireManifest["components"] = {};
  const modules: WireManifest["modules"] = {};
  const seen = new Map<string, ComponentType>();
  for (const c of [...reads, ...writes]) {
    const other = seen.get(c.name);
    if (
      other && other !== c && JSON.stringify(wireSchema(other)) !== JSON.stringify(wireSchema(c))
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
  return {
    name: typeof system.name === "string" ? system.name : null,
    reads: reads.map((c) => c.name),
    writes: writes.map((c) => c.name),
    spawns: system.spawns === true,
    hasInit: typeof system.init === "function",
    hasRun: typeof system.run === "function",
    components,
    modules,
    net: Array.isArray(system.net) ? system.net.map(String) : [],
    storage: system.storage === true,
  };
}

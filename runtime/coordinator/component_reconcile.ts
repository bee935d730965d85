/**
 * Keeping the world's components in step with what its scripts declare, at
 * a tick boundary:
 *
 * - **Resolve**: a script's component names become the world's components
 *   (one per name and schema, see component_registry.ts), and the script
 *   file is recorded as declaring them.
 * - **Follow a schema change**: when a file stops declaring `A` and starts
 *   declaring `B` of the same name (an edit), entities holding `A` get `B`,
 *   fields copied by name; `A` stays where other scripts still declare it, so
 *   an edit never takes data from anyone, and no data is reinterpreted.
 * - **Adopt orphans**: data of a component no script declares any more (its
 *   files were deleted) moves to the one other definition of its name that
 *   is declared; with several, it stays put and the owner is warned.
 * - **Warn** where two definitions of one name are declared: they are two
 *   components, which is rarely what was meant.
 *
 * @module
 */
import type { Manifest } from "../roles/mod.ts";
import { type ComponentInfo, describeSchema, type FieldChange } from "../ecs/mod.ts";
import type { World } from "../ecs/mod.ts";

/** A warning for the world's owner, attributed to a script file. */
export interface ComponentWarning {
  /** Stable across ticks, so each situation is reported once. */
  readonly id: string;
  readonly file: string;
  readonly message: string;
}

/**
 * Resolves the components a newly installed system names (returned by
 * name), records its file's declarations and follows the schema changes of
 * that file.
 */
export function resolveComponents(
  world: World,
  file: string,
  m: Manifest,
  warnings: ComponentWarning[] = [],
): ReadonlyMap<string, ComponentInfo> {
  const registry = world.registry;
  const components = new Map<string, ComponentInfo>();
  // Every component its queries name: shipped ones, and those that only filter (with, without).
  for (const name of Object.keys(m.components)) {
    components.set(
      name,
      registry.resolve({ name, schema: m.components[name]!, module: m.modules[name] ?? null }),
    );
  }
  for (const name of m.replicated ?? []) {
    const info = components.get(name);
    if (info) registry.markReplicated(info.key);
  }
  const dropped = registry.declare(
    file,
    [...components].map(([name, c]) => [c.key, m.modules[name] ?? null] as const),
  );
  for (const old of dropped) {
    const from = registry.get(old);
    const to = from && components.get(from.name);
    if (!from || !to) continue;
    const changes: FieldChange[] = [];
    world.migrateComponent(from.key, to.key, registry.declarers(from.key).length > 0, changes);
    for (const c of changes) warnings.push(fieldChangeWarning(file, from.name, c));
  }
  return components;
}

/** What the owner is told about a stored field whose type changed. */
function fieldChangeWarning(file: string, component: string, c: FieldChange): ComponentWarning {
  const what = `"${component}.${c.field}" changed from ${c.from} to ${c.to}`;
  const message = !c.converted
    ? `${what}: ${c.values} stored values were reset to the field's default (a ${c.from} ` +
      `cannot become a ${c.to})`
    : c.lossy > 0
    ? `${what}: ${c.values} stored values converted, ${c.lossy} of them changed on the way ` +
      `(rounded or cut to the new type's range)`
    : `${what}: ${c.values} stored values converted exactly`;
  return {
    id: `field ${file} ${component} ${c.field} ${c.from} ${c.to} ${c.values}`,
    file,
    message,
  };
}

/**
 * Moves orphaned data, prunes components nothing uses, and returns the
 * warnings the current declarations call for.
 */
export function reconcileComponents(world: World): ComponentWarning[] {
  const registry = world.registry;
  const warnings: ComponentWarning[] = [];
  for (const info of registry.all()) {
    if (registry.declarers(info.key).length > 0 || !world.hasData(info.key)) continue;
    const heirs = registry.named(info.name).filter((c) =>
      c.key !== info.key && registry.declarers(c.key).length > 0
    );
    if (heirs.length === 1) {
      world.migrateComponent(info.key, heirs[0]!.key, false);
    } else if (heirs.length > 1) {
      const files = heirs.map((h) => registry.declarers(h.key)[0]!);
      warnings.push({
        id: `orphan ${info.key} ${heirs.map((h) => h.key).join(" ")}`,
        file: files[0]!,
        message:
          `The stored data of component "${info.name}" ${
            describeSchema(info.fields)
          } was not moved to a new definition: ${files.join(" and ")} define "${info.name}" ` +
          `differently, so it stays as it is until one definition remains`,
      });
    }
  }
  registry.prune((key) => world.hasData(key));
  const byName = new Map<string, ComponentInfo[]>();
  for (const info of registry.all()) {
    if (registry.declarers(info.key).length === 0) continue;
    byName.set(info.name, [...(byName.get(info.name) ?? []), info]);
  }
  for (const [name, rivals] of byName) {
    if (rivals.length < 2) continue;
    const parts = rivals.map((r) =>
      `"${registry.displayName(r.key)}" ${describeSchema(r.fields)}, declared by ${
        registry.declarers(r.key).join(", ")
      }`
    );
    const newest = rivals.map((r) => registry.declarers(r.key)).flat().sort().at(-1)!;
    warnings.push({
      id: `rivals ${rivals.map((r) => r.key).join(" ")}`,
      file: newest,
      message: `Component "${name}" is defined differently in two places, so these are separate ` +
        `components that share no data: ${parts.join("; ")}. To share one, import it from ` +
        `the module that defines it`,
    });
  }
  return warnings;
}

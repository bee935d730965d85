// The viewer's copy of what the page shows: per entity, the values of the components it reads,
// kept up to date from the change feed, so that a page that connects gets a snapshot at once.
import type { ComponentType, DriverChanges } from "@syncra/std";

/** A component's value as the page gets it: field → number, boolean, string or array. */
export type PlainComponent = Record<string, number | boolean | string | number[]>;

/** Entity id → component name → value. */
export type Mirror = Map<number, Record<string, PlainComponent>>;

/** What one feed changed besides transforms (those travel binary: transform_frames.ts). */
export interface MirrorDelta {
  /** Components set or added, by entity. */
  set: Record<number, Record<string, PlainComponent>>;
  /** Entities gone. */
  gone: number[];
  /** Components removed from entities. */
  removed: (readonly [number, string])[];
}

/** Applies a feed to the mirror and returns what the pages must hear apart from transforms. */
export function mirrorChanges(
  mirror: Mirror,
  changes: DriverChanges,
  reads: readonly ComponentType[],
): MirrorDelta {
  if (changes.snapshot) mirror.clear();
  const delta: MirrorDelta = {
    set: {},
    gone: [...changes.despawned],
    removed: [...changes.removed],
  };
  for (const id of changes.despawned) mirror.delete(id);
  for (const [id, name] of changes.removed) delete mirror.get(id)?.[name];
  for (const component of reads) {
    const { entities, columns } = changes.rows(component);
    const fields = component.fields;
    for (let i = 0; i < entities.length; i++) {
      const id = entities[i]!;
      const value: PlainComponent = {};
      for (const f of fields) {
        const column = (columns as Record<string, ArrayLike<number> | string[]>)[f.name]!;
        if (f.type === "text") value[f.name] = (column as string[])[i]!;
        else if (f.width > 1) {
          // A plain loop: Array.from with a callback was most of a busy feed's cost (measured).
          const numbers = column as ArrayLike<number>;
          const v = new Array<number>(f.width);
          for (let k = 0, at = i * f.width; k < f.width; k++) v[k] = numbers[at + k]!;
          value[f.name] = v;
        } else {
          const v = (column as ArrayLike<number>)[i]!;
          value[f.name] = f.type === "bool" ? v !== 0 : v;
        }
      }
      let entity = mirror.get(id);
      if (!entity) mirror.set(id, entity = {});
      entity[component.name] = value;
      // Transforms travel in their own binary frames; everything else as JSON.
      if (component.name !== "Transform") (delta.set[id] ??= {})[component.name] = value;
    }
  }
  return delta;
}

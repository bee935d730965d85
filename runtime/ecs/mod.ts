/**
 * The world's data: entity ids, archetype tables, the component registry,
 * ownership accounting and the conflict schedule. Knows nothing of processes.
 *
 * @module
 */
export { describeSchema, flattenComponentValue, toWireSchema } from "./component_registry.ts";
export type { ComponentInfo, ComponentRegistry, SavedComponent } from "./component_registry.ts";
export { EntityAllocator } from "./entity_allocator.ts";
export type { SavedOwners } from "./entity_owners.ts";
export { buildSchedule, describeConflict } from "./schedule.ts";
export { World } from "./world.ts";
export type { FieldChange, FlatValues, RowSet } from "./world.ts";

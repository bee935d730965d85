/**
 * The world's data: entity ids, archetype tables, the component registry,
 * resources, events, ownership accounting and the conflict schedule. Knows
 * nothing of processes.
 *
 * @module
 */
export { describeSchema, flattenComponentValue, toWireSchema } from "./component_registry.ts";
export type { ComponentInfo, ComponentRegistry, SavedComponent } from "./component_registry.ts";
export { EntityAllocator } from "./entity_allocator.ts";
export type { SavedOwners } from "./entity_owners.ts";
export { buildSchedule, describeConflict } from "./schedule.ts";
export { World } from "./world.ts";
export type { FieldChange, FlatValues } from "./world.ts";
export {
  changedSince,
  columnBytes,
  EMPTY_ROWS,
  gatherColumn,
  gatherEntities,
  gatherPresence,
  gatherText,
  idsOf,
  scatterColumn,
  scatterText,
  wholeArchetypes,
} from "./row_set.ts";
export type { RowRange, RowSet } from "./row_set.ts";
export { plainField, ResourceStore } from "./resource_store.ts";
export type { SavedResource } from "./resource_store.ts";
export type { QueuedEvent } from "./event_queue.ts";

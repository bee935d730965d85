/**
 * Role-agnostic child lifecycle: the slot (spawn, handshake, backoff, swap,
 * kill with a typed reason), the launcher, watchdogs, output budgets and events.
 *
 * @module
 */
export { EventStream } from "./events.ts";
export type { SupervisorEvent } from "./events.ts";
export type { LiveChild } from "./live_child.ts";
export { DEFAULT_OUTPUT_BUDGET, OutputBudget } from "./output_budget.ts";
export type { OutputBudgetOptions } from "./output_budget.ts";
export { ResourceWatchdog } from "./resource_watchdog.ts";
export { DEFAULT_SLOT_OPTIONS, ScriptSlot } from "./script_slot.ts";
export type { AdmittedGrants, ScriptLauncher, SlotOptions } from "./script_slot.ts";
export { Supervisor } from "./supervisor.ts";

/**
 * Role-agnostic child lifecycle: the slot (spawn, handshake, backoff, swap,
 * kill with a typed reason), the launcher, watchdogs, output budgets and events.
 * Roles (runtime/roles) extend the slot.
 *
 * @module
 */
export { ChildSlot, DEFAULT_SLOT_OPTIONS, MAX_EVENT_TEXT } from "./child_slot.ts";
export type { ChildState, RequestOutcome, SlotOptions } from "./child_slot.ts";
export { EventStream } from "./events.ts";
export type { ExitReason, SupervisorEvent } from "./events.ts";
export type { AdmittedGrants, ChildLauncher, PreparedChild } from "./launcher.ts";
export { hasGrants } from "./launcher.ts";
export { LiveChild } from "./live_child.ts";
export { DEFAULT_OUTPUT_BUDGET, OutputBudget } from "./output_budget.ts";
export type { OutputBudgetOptions } from "./output_budget.ts";
export { ResourceWatchdog } from "./resource_watchdog.ts";

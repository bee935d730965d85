/**
 * The trusted side of Syncra: the coordinator that owns the world, the
 * supervisor of script processes, the links to them, persistence, budgets
 * and the wiring of `deno task world`.
 *
 * @module
 */
export { Coordinator, DEFAULT_COORDINATOR_OPTIONS } from "./coordinator.ts";
export type { CoordinatorOptions } from "./coordinator.ts";
export { isScriptFile, listScripts, Supervisor } from "./supervisor.ts";
export { DEFAULT_SLOT_OPTIONS, ScriptSlot } from "./script_slot.ts";
export { LiveChild } from "./live_child.ts";
export type {
  AdmittedGrants,
  PreparedChild,
  ScriptLauncher,
  ScriptState,
  SlotOptions,
  TickOutcome,
} from "./script_slot.ts";
export { EventStream } from "./events.ts";
export type { ExitReason, SupervisorEvent } from "./events.ts";
export type { ChildExit, ChildLink, LinkHandlers } from "./child_link.ts";
export { spawnStdioLink, StdioLink } from "./stdio_link.ts";
export { World } from "./world.ts";
export type { DumpedEntity, RowSet } from "./world.ts";
export { decodeWorld, encodeWorld, loadWorld, saveWorld } from "./world_state.ts";
export { buildSchedule, describeConflict, findConflict } from "./schedule.ts";
export type { Conflict, Schedule, SystemAccess } from "./schedule.ts";
export { chooseJail, DEFAULT_WORLD_OPTIONS, makeLauncher, runWorld } from "./run_world.ts";
export type { WorldOptions } from "./run_world.ts";
export { explainScript, formatExplanation } from "./explain.ts";
export { approveCapabilities, loadWorldConfig, parseWorldConfig } from "./world_config.ts";
export type { Approval, WorldConfig } from "./world_config.ts";
export { auditLine, AuditLog, DEFAULT_AUDIT_LOG_OPTIONS } from "./audit_log.ts";
export type { AuditEntry, AuditLogOptions } from "./audit_log.ts";
export { DEFAULT_OUTPUT_BUDGET, OutputBudget } from "./output_budget.ts";
export type { OutputBudgetOptions } from "./output_budget.ts";
export { eventLines, ScriptOutput } from "./script_output.ts";
export type { OutputScript, ScriptOutputOptions } from "./script_output.ts";
export { readTreeUsage, ResourceWatchdog } from "./resource_watchdog.ts";
export type { ScriptReport, WorldReport } from "./world_report.ts";

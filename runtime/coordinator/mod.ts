/**
 * The tick of DESIGN §5: gather, ship, validate, merge, ownership and
 * budgets, against a runner interface so that it runs without processes.
 *
 * @module
 */
export { Coordinator, DEFAULT_COORDINATOR_OPTIONS } from "./coordinator.ts";
export type { ScriptBudgets, WorldPolicy } from "./coordinator.ts";
export { validateCommandList, validateResult } from "./result_validation.ts";
export type { CommandContext, ValidColumn } from "./result_validation.ts";
export type { DriverRunner, RunningDriver } from "./driver_runner.ts";
export type { TickPercentiles } from "./tick_stats.ts";
export type {
  RequestTiming,
  RunningSystem,
  SystemRunner,
  TickOutcome,
  WorldKillReason,
} from "./system_runner.ts";

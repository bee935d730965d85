/**
 * The application: `deno task world` and `explain` wired from the parts —
 * the world factory, the run loop, the report, the status line and the dump.
 *
 * @module
 */
export { explainScript, formatExplanation } from "./explain.ts";
export { chooseJail, DEFAULT_WORLD_OPTIONS, makeLauncher, runWorld } from "./run_world.ts";
export type { WorldOptions } from "./run_world.ts";
export { peakResidentBytes, reportScript } from "./world_report.ts";
export type { WorldReport } from "./world_report.ts";

/**
 * The world owner's rules from `syncra.json`: capability approvals and who
 * may write which component.
 *
 * @module
 */
export { approveCapabilities, loadWorldConfig, worldPolicy } from "./world_config.ts";
export type { WorldConfig } from "./world_config.ts";

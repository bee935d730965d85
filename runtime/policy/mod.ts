/**
 * The world owner's rules from `syncra.json`: capability approvals, who
 * may write which component, and what each script may use.
 *
 * @module
 */
export {
  approveCapabilities,
  loadWorldConfig,
  replicateRule,
  worldPolicy,
} from "./world_config.ts";
export type { WorldConfig } from "./world_config.ts";
export { configKey } from "./config_key.ts";
export { DEFAULT_SCRIPT_LIMITS, formatLimits, LIMIT_RANGES, limitsFor } from "./script_limits.ts";
export type { LimitsConfig, LimitsInForce, ScriptLimits } from "./script_limits.ts";
export { didYouMean } from "./did_you_mean.ts";
export { approveDriverCapabilities, parseDataflow, parseDrivers } from "./driver_config.ts";
export type { DriverApproval, DriverEntry } from "./driver_config.ts";
export { DEFAULT_NETWORK_SETTINGS, parseNetworkSettings } from "./network_settings.ts";
export type { ChannelSettings, NetworkSettings } from "./network_settings.ts";

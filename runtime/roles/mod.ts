/**
 * What a child is, on top of the role-agnostic slot of runtime/supervision:
 * the system role (a script) — its handshake, its manifest, its names, the
 * deadline and violation policy — and the supervisor that keeps one per
 * script file.
 *
 * @module
 */
export { validateManifest } from "./system_manifest.ts";
export type { Manifest, ManifestQuery } from "./system_manifest.ts";
export { SystemNames } from "./system_names.ts";
export { DEFAULT_SYSTEM_OPTIONS, SystemRole } from "./system_role.ts";
export type { ScriptLauncher, SystemOptions } from "./system_role.ts";
export { isScriptFile, listScripts, Supervisor } from "./supervisor.ts";
export { validateDriverManifest } from "./driver_manifest.ts";
export type { DriverManifest } from "./driver_manifest.ts";
export { DriverRole } from "./driver_role.ts";
export { DEFAULT_PORT_BUDGET, PortRouter } from "./port_router.ts";
export type { PortBudget, PortWire } from "./port_router.ts";

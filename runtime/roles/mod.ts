/**
 * What a child is: the system role (a script) — its manifest, its names,
 * its handshake and the strike and violation policy.
 *
 * @module
 */
export { validateManifest } from "./system_manifest.ts";
export type { Manifest } from "./system_manifest.ts";
export { SystemNames } from "./system_names.ts";

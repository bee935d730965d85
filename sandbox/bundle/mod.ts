/**
 * Bundling a script with esbuild, resolution confined to its folder and std,
 * esbuild itself jailed and budgeted.
 *
 * @module
 */
export { bundleScript, DEFAULT_BUNDLE_TIME_BUDGET_MS, stopBundler } from "./bundle.ts";
export type { Bundle, RuntimeLibraries } from "./bundle.ts";
export { bundledModules, bundleVersion } from "./bundle_identity.ts";
export { bundlerStatus, configureBundler } from "./bundler_service.ts";
export type { BundlerStatus } from "./bundler_service.ts";
export { openBundler } from "./bundler_lease.ts";
export { pruneBundles } from "./_write_bundle.ts";
export type { BundlerLease } from "./bundler_lease.ts";
export type { BundlerServiceOptions } from "./bundler_service.ts";
export { bundleTrusted } from "./trusted_build.ts";
export type { TrustedBuild } from "./trusted_build.ts";

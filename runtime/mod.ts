/**
 * The trusted side of Syncra. Each folder is one concern with its own
 * `mod.ts`; this module re-exports the application's entry points.
 *
 * @module
 */
export * from "./app/mod.ts";

/**
 * A child's `deno run` command line, derived from its grants.
 *
 * @module
 */
export { deriveChildCommand, validateNetGrant } from "./command_line.ts";
export { findExecutable, requireExecutable } from "./find_executable.ts";
export type { ChildCommand, ChildGrants } from "./command_line.ts";

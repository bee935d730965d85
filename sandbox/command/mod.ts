/**
 * A child's `deno run` command line, derived from its grants.
 *
 * @module
 */
export {
  deriveChildCommand,
  validateEnvName,
  validateEnvValue,
  validateNetGrant,
} from "./command_line.ts";
export { findExecutable, requireExecutable } from "./find_executable.ts";
export type { ChildCommand, ChildGrants } from "./command_line.ts";

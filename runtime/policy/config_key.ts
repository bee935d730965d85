/**
 * How `syncra.json` names a script: its path relative to the scripts folder,
 * the file the owner reviewed, not a name any script could claim.
 *
 * @module
 */
import { basename, relative, resolve } from "node:path";

/** A script file's key in the config: its path relative to the scripts folder. */
export function configKey(file: string, scriptsDir: string): string {
  return relative(resolve(scriptsDir), resolve(file)) || basename(file);
}

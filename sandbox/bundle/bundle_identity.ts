/**
 * What a written bundle says about itself: its version (the content hash
 * it is named by) and the modules it holds, relative to its script's
 * folder — what the script's manifest may name as a component's module.
 *
 * @module
 */
import { basename, dirname, relative } from "node:path";
import type { Bundle } from "./bundle.ts";

/** A bundle's version: the content hash its file is named by. */
export function bundleVersion(bundle: Pick<Bundle, "path">): string {
  return basename(bundle.path, ".js");
}

/** The modules of `bundle`, relative to the folder of `script`; none if that folder is gone. */
export function bundledModules(bundle: Pick<Bundle, "inputs">, script: string): Set<string> {
  let folder: string;
  try {
    folder = Deno.realPathSync(dirname(script));
  } catch {
    return new Set();
  }
  return new Set(bundle.inputs.map((p) => relative(folder, p).replaceAll("\\", "/")));
}

/**
 * Where the runtime's npm dependencies are on this machine, for the builds
 * of its own code: the viewer's page, and built-in drivers such as the
 * renderer (three.js).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/**
 * The file a bare specifier of the runtime's own code stands for: the
 * package (mapped in deno.json) and, for a subpath such as "three/webgpu",
 * its package.json `exports` entry (exact or "./dir/*").
 */
export async function packageFile(specifier: string): Promise<string> {
  const slash = specifier.indexOf("/");
  const name = slash < 0 ? specifier : specifier.slice(0, slash);
  const main = fileURLToPath(import.meta.resolve(name));
  if (slash < 0) return main;
  const marker = `/node_modules/${name}/`;
  const root = main.slice(0, main.lastIndexOf(marker) + marker.length);
  const exports: Record<string, unknown> =
    JSON.parse(await Deno.readTextFile(join(root, "package.json"))).exports ?? {};
  const subpath = `.${specifier.slice(slash)}`;
  const exact = exports[subpath];
  const target = typeof exact === "string"
    ? exact
    : Object.entries(exports).flatMap(([key, to]) =>
      key.endsWith("*") && typeof to === "string" && subpath.startsWith(key.slice(0, -1))
        ? [to.replace("*", subpath.slice(key.length - 1))]
        : []
    )[0];
  if (!target) throw new Error(`The runtime imports "${specifier}", which ${name} does not export`);
  return join(root, target);
}

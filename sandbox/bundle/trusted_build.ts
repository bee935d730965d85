/**
 * Bundling the runtime's own code for the browser (a built-in driver's
 * page, with its npm dependencies such as three): trusted code, but built on
 * the same confined esbuild service as scripts, which never reads a file
 * itself — every file is read here and handed to it. Scripts still cannot
 * import npm code: this path is not theirs.
 *
 * @module
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { runBuild } from "./bundler_service.ts";

/** What to build. */
export interface TrustedBuild {
  /** Absolute path of the entry module. */
  entry: string;
  /** Absolute path of the bundle to write. */
  outFile: string;
  /** Bare specifiers and the absolute files they stand for (e.g. "three" → its module). */
  aliases: Record<string, string>;
  /** @default 30000 */
  timeMs?: number;
}

/** Builds one browser bundle (ES module, minified); returns its size in bytes. */
export async function bundleTrusted(build: TrustedBuild): Promise<number> {
  const { entry, outFile, aliases } = build;
  const bytes = await runBuild({ file: entry, timeMs: build.timeMs ?? 30_000 }, async (api) => {
    const result = await api.build({
      entryPoints: [entry],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      minify: true,
      write: false,
      outfile: outFile,
      logLevel: "silent",
      plugins: [{
        name: "syncra-trusted-files",
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            const aliased = aliases[args.path];
            if (aliased) return { path: aliased, namespace: "trusted" };
            if (isAbsolute(args.path)) return { path: args.path, namespace: "trusted" };
            if (args.path.startsWith(".")) {
              return { path: resolve(args.resolveDir, args.path), namespace: "trusted" };
            }
            return { errors: [{ text: `"${args.path}" is not one of the page's dependencies` }] };
          });
          b.onLoad({ filter: /.*/, namespace: "trusted" }, async (args) => ({
            contents: await Deno.readTextFile(args.path),
            loader: args.path.endsWith(".ts") ? "ts" : "js",
            resolveDir: dirname(args.path),
          }));
        },
      }],
    });
    const out = result.outputFiles?.[0];
    if (!out) throw new Error(`Building "${entry}" produced no output`);
    await Deno.mkdir(dirname(outFile), { recursive: true });
    await Deno.writeFile(outFile, out.contents);
    return out.contents.length;
  });
  return bytes;
}

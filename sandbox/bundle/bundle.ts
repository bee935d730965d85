/**
 * Bundles one user script into a single ESM file that a zero-permission
 * `deno run` child executes. The bundle starts with the in-child host
 * (`sandbox/guest/child_host.ts`), which captures stdio before the script's own
 * module is evaluated lazily inside the host's error handling.
 *
 * Resolution is confined (DESIGN §4): a user file may import only relative
 * paths whose real path stays inside the real path of its scripts folder,
 * and exactly `"@syncra/std"`. Everything else — other folders, symlinks out,
 * absolute paths, URLs, `npm:`, `node:`, `jsr:`, bare names, computed
 * `import()`/`require()` (including esbuild's glob imports) and `text`/`bytes`
 * import attributes — is refused with a {@linkcode BundleError} naming the
 * import and its file:line:column. A check of esbuild's metafile after the
 * build backs up the resolver.
 *
 * esbuild reads nothing itself: the plugin hands it the contents of every
 * file, trusted ones included, and refuses a user file holding a source map
 * comment (which esbuild would follow to any path, `file:` or `data:` URL).
 * Underneath, the esbuild service runs in a jail holding only its binary and
 * in a memory budget (`sandbox/bundler_service.ts`), each build in a time
 * budget, and a bundle (and the user files read for it) in a size budget; a
 * build that breaks a budget or kills esbuild is refused alone and the
 * service is restarted for the others.
 *
 * `"@syncra/std"` imported from a user file resolves to a small module of its
 * own (namespace `syncra-std`, path: the importer relative to the scripts
 * folder) that re-exports std and overrides `defineComponent` with one bound
 * to that path (`defineComponentIn`), so every component knows the module
 * that defined it. Everything else of std stays one shared instance.
 *
 * @module
 */
import type * as esbuild from "esbuild";
import { basename, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BundleError } from "./bundle_error.ts";
import { findComputedImport } from "./_find_computed_import.ts";
import { findSourceMapComment } from "./_source_map_comment.ts";
import { quoteUntrusted } from "../../runtime/protocol/mod.ts";
import { formatBytes, type ReadBudget, readUserFile } from "./_read_user_file.ts";
import { writeBundle } from "./_write_bundle.ts";
import {
  buildsDone,
  bundlerGeneration,
  type EsbuildApi,
  runBuild,
  stopBundlerService,
} from "./bundler_service.ts";

/** Where a script is read from and its bundle written to. */
export interface BundleOptions {
  /** Folder holding the script; its imports may not leave it. Absolute or relative to the cwd. */
  scriptsDir: string;
  /** Folder the bundle is written to, created if missing. Absolute or relative to the cwd. */
  outDir: string;
  /**
   * Wall-clock budget of one build in milliseconds; past it esbuild is
   * stopped (and restarted for the next build) and the script refused.
   * @default 10000
   */
  timeBudgetMs?: number;
  /**
   * Largest bundle in bytes, and largest total of the user files read for
   * one build.
   * @default 16777216 (16 MiB)
   */
  maxBundleBytes?: number;
  /**
   * The runtime's own dependencies a built-in driver imports by name (three
   * for the renderer). Never given for a world's scripts or drivers: theirs
   * is the confined resolver alone.
   */
  libraries?: RuntimeLibraries;
}

/** Bare specifiers a built-in driver may import, and the folders their files live in. */
export interface RuntimeLibraries {
  /** Specifier → absolute path of the file it stands for (e.g. "three/webgpu" → its module). */
  aliases: Readonly<Record<string, string>>;
  /** Folders whose files are trusted like std's, and may import each other. */
  folders: readonly string[];
}

/** The default of {@linkcode BundleOptions.timeBudgetMs}. */
export const DEFAULT_BUNDLE_TIME_BUDGET_MS = 10_000;
/** The default of {@linkcode BundleOptions.maxBundleBytes}. */
export const DEFAULT_MAX_BUNDLE_BYTES = 16 * 1024 * 1024;

/** A bundle written to disk. */
export interface Bundle {
  /**
   * Absolute path of the written file, `<outDir>/<script path relative to the
   * scripts folder>/<hash>.js`: a folder per script file, so two scripts never
   * share a name (`door.ts`, `door.mts`) and removing a script's older
   * bundles never touches another's.
   */
  path: string;
  /** Size of the bundle in bytes. */
  bytes: number;
  /** Absolute real paths of the user files included, sorted. */
  inputs: string[];
}

const STD_SPECIFIER = "@syncra/std";
/** Namespace of the per-importer std modules. */
const STD_NAMESPACE = "syncra-std";
/** Virtual modules of the shared entry: the script being built, and its file name. */
const SCRIPT_MODULE = "syncra:script";
const NAME_MODULE = "syncra-file-name";
const CONFINED = `scripts may only import files in their own folder and "${STD_SPECIFIER}"`;
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HOST_PATH = join(REPO_ROOT, "sandbox", "guest", "child_host.ts");
/** The folders whose code the guest bundles beside the script (DESIGN §1). */
const TRUSTED_FOLDERS = [["std"], ["sandbox", "guest"], ["runtime", "protocol"]];
const LOADERS: Readonly<Record<string, esbuild.Loader>> = {
  ".ts": "ts",
  ".mts": "ts",
  ".js": "js",
  ".mjs": "js",
  ".json": "json",
};

interface TrustedPaths {
  /** The folders whose code runs inside every child: std, the guest, and the protocol codec. */
  folders: string[];
  stdMod: string;
  stdComponent: string;
  host: string;
}

let trustedPaths: Promise<TrustedPaths> | null = null;

function getTrustedPaths(): Promise<TrustedPaths> {
  trustedPaths ??= (async () => ({
    folders: await Promise.all(
      TRUSTED_FOLDERS.map((folder) => Deno.realPath(join(REPO_ROOT, ...folder))),
    ),
    stdMod: await Deno.realPath(join(REPO_ROOT, "std", "mod.ts")),
    stdComponent: await Deno.realPath(join(REPO_ROOT, "std", "component.ts")),
    host: await Deno.realPath(HOST_PATH),
  }))();
  return trustedPaths;
}

/** The std a user file sees: all of std, with `defineComponent` bound to the file's path. */
function stdModuleSource(module: string, trusted: TrustedPaths): string {
  return `export * from ${JSON.stringify(trusted.stdMod)};\n` +
    `import { defineComponentIn } from ${JSON.stringify(trusted.stdComponent)};\n` +
    `export function defineComponent(name, schema, options) {\n` +
    `  return defineComponentIn(${JSON.stringify(module)}, name, schema, options);\n}\n`;
}

function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}

function isInside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/** What a plugin error carries so the failure can be reworded with its location. */
type Refusal =
  | { kind: "import"; specifier: string }
  | { kind: "entry" }
  | { kind: "top-level-await" }
  | { kind: "source-map" }
  | { kind: "load"; file: string }
  | { kind: "unresolved" };

function refuse(text: string, detail: Refusal, location?: Partial<esbuild.Location>) {
  return { errors: [{ text, detail, ...(location ? { location } : {}) }] };
}

/**
 * One esbuild context per scripts folder, shared by its scripts: the entry
 * imports the virtual "syncra:script", which resolves to the script being
 * built, so every rebuild reuses esbuild's parse of the host and std (a new
 * script bundles in a few milliseconds instead of parsing them cold).
 */
interface Slot {
  cwd: string;
  /** The script of the build under way (builds run one at a time, see `runBuild`). */
  scriptPath: string;
  scriptRel: string;
  scriptsDir: string;
  scriptsReal: string;
  outDir: string;
  trusted: TrustedPaths;
  /** Real paths of the libraries' aliases (built-in drivers only; empty for scripts). */
  aliases: ReadonlyMap<string, string>;
  /** The trusted folders: std, the guest, the protocol, and the libraries' folders. */
  trustedFolders: readonly string[];
  /** Real paths (and virtual `namespace:path` keys) the resolver accepted during the current build. */
  approved: Set<string>;
  /** The size budget of the current build, and the bytes of user files read for it so far. */
  maxBundleBytes: number;
  read: ReadBudget;
  /** The esbuild API of the current build. */
  api: EsbuildApi | null;
  /** The context, made in `generation` of the esbuild service; a restart kills it. */
  context: esbuild.BuildContext<BuildOptions> | null;
  generation: number;
}

type BuildOptions = esbuild.BuildOptions & { write: false; metafile: true };

const MAX_SLOTS = 256;
const slots = new Map<string, Slot>();
/** esbuild sends a transform's input over 1 MiB through a temporary file, which the jail lacks. */
const TRANSFORM_INLINE_LIMIT = 1024 * 1024;

/**
 * Bundles `file` (inside `options.scriptsDir`) and writes
 * `<outDir>/<file relative to the scripts folder>/<hash>.js`, removing older
 * bundles of the same script. Every build re-runs the confinement checks, so
 * a file swapped for a symlink since the last build is caught. Builds run one
 * at a time.
 *
 * @throws {BundleError} on a syntax error, top-level await, a refused import
 * or source map comment, or a build past its time, memory or size budget.
 */
export async function bundleScript(file: string, options: BundleOptions): Promise<Bundle> {
  const cwd = Deno.cwd();
  const scriptPath = resolve(cwd, file);
  const scriptRel = relative(cwd, scriptPath);
  const outDir = resolve(cwd, options.outDir);
  const timeMs = options.timeBudgetMs ?? DEFAULT_BUNDLE_TIME_BUDGET_MS;
  const maxBundleBytes = options.maxBundleBytes ?? DEFAULT_MAX_BUNDLE_BYTES;
  if (!(timeMs > 0) || !Number.isSafeInteger(maxBundleBytes) || maxBundleBytes <= 0) {
    throw new RangeError(
      `Invalid bundle budget: ${timeMs} ms and ${maxBundleBytes} bytes (both must be positive)`,
    );
  }
  const trusted = await getTrustedPaths();
  let scriptsReal: string;
  try {
    scriptsReal = await Deno.realPath(resolve(cwd, options.scriptsDir));
  } catch (error) {
    throw new BundleError(
      `Cannot bundle "${scriptRel}": the scripts folder "${options.scriptsDir}" does not exist`,
      scriptRel,
      { cause: error },
    );
  }
  const aliases = new Map<string, string>();
  const libraryFolders: string[] = [];
  try {
    for (const [name, path] of Object.entries(options.libraries?.aliases ?? {})) {
      aliases.set(name, await Deno.realPath(path));
    }
    for (const folder of options.libraries?.folders ?? []) {
      libraryFolders.push(await Deno.realPath(folder));
    }
  } catch (error) {
    throw new BundleError(
      `Cannot bundle "${scriptRel}": a runtime library is missing (${(error as Error).message})`,
      scriptRel,
      { cause: error },
    );
  }
  return await runBuild({ file: scriptRel, timeMs }, (api) => {
    const key = JSON.stringify([cwd, scriptsReal, outDir, [...aliases], libraryFolders]);
    let slot = slots.get(key);
    if (slot === undefined) {
      slot = {
        cwd,
        scriptPath,
        scriptRel,
        scriptsDir: options.scriptsDir,
        scriptsReal,
        outDir,
        trusted,
        aliases,
        trustedFolders: [...trusted.folders, ...libraryFolders],
        approved: new Set(),
        maxBundleBytes,
        read: { maxBytes: maxBundleBytes, usedBytes: 0 },
        api: null,
        context: null,
        generation: -1,
      };
      slots.set(key, slot);
      if (slots.size > MAX_SLOTS) {
        const [oldestKey, oldest] = slots.entries().next().value!;
        slots.delete(oldestKey);
        closeSlot(oldest).catch(() => {});
      }
    }
    Object.assign(slot, { scriptPath, scriptRel, maxBundleBytes, api });
    return buildSlot(slot, api);
  });
}

/** Disposes every cached build and stops esbuild's service process; the next bundle starts it again. */
export async function stopBundler(): Promise<void> {
  await buildsDone();
  const open = [...slots.values()];
  slots.clear();
  await Promise.allSettled(open.map(closeSlot));
  await stopBundlerService();
}

async function closeSlot(slot: Slot): Promise<void> {
  const context = slot.context;
  slot.context = null;
  if (context !== null && slot.generation === bundlerGeneration()) await context.dispose();
}

function openSlot(slot: Slot, api: EsbuildApi): Promise<esbuild.BuildContext<BuildOptions>> {
  const entry = `import { runChildHost } from ${JSON.stringify(HOST_PATH)}; ` +
    `import fileName from ${JSON.stringify(NAME_MODULE)}; ` +
    `runChildHost(() => import(${JSON.stringify(SCRIPT_MODULE)}), fileName);`;
  return api.context({
    stdin: { contents: entry, loader: "ts", resolveDir: slot.scriptsReal },
    absWorkingDir: slot.cwd,
    // Sources in the inline map are relative to this (unwritten) file's folder, and the
    // root makes them absolute, wherever in it the script's own folder of bundles is.
    outfile: join(slot.outDir, "bundle.js"),
    sourceRoot: `${pathToFileURL(slot.outDir).href}/`,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "esnext",
    write: false,
    sourcemap: "inline",
    sourcesContent: false,
    logLevel: "silent",
    // esbuild reports a computed import() or require() only at debug level.
    logOverride: { "unsupported-dynamic-import": "error", "unsupported-require-call": "error" },
    metafile: true,
    charset: "utf8",
    minify: false,
    // Read no tsconfig.json from the scripts folder or above it.
    tsconfigRaw: {},
    plugins: [confine(slot)],
  });
}

async function buildSlot(slot: Slot, api: EsbuildApi): Promise<Bundle> {
  if (slot.context === null || slot.generation !== bundlerGeneration()) {
    // A restarted service has none of the old context; it needs no dispose.
    slot.context = null;
    slot.generation = bundlerGeneration();
    slot.context = await openSlot(slot, api);
  }
  slot.approved.clear();
  slot.read = { maxBytes: slot.maxBundleBytes, usedBytes: 0 };
  let result: esbuild.BuildResult<BuildOptions>;
  try {
    result = await slot.context.rebuild();
  } catch (error) {
    const failure = error as Partial<esbuild.BuildFailure>;
    const errors = Array.isArray(failure.errors) ? failure.errors : [];
    if (errors[0] === undefined) throw error;
    // A glob import fails on the files it drags in; name the glob instead.
    for (const e of errors) {
      const glob = GLOB_MODULE.exec(e.location?.file ?? "");
      if (glob) throw await globRefusal(slot, [resolve(slot.cwd, glob[2]!)], glob[1]);
      // In the jail esbuild finds no file for a glob at all.
      if (UNRESOLVED_GLOB.test(e.text) && e.location?.file) {
        throw await globRefusal(slot, [resolve(slot.cwd, e.location.file)]);
      }
    }
    if (errors.some((e) => (e.detail as Refusal | undefined)?.kind === "unresolved")) {
      const loaded = [...slot.approved].filter((p) => isInside(p, slot.scriptsReal));
      throw await globRefusal(slot, loaded.sort());
    }
    throw toBundleError(errors[0], slot.scriptRel, error);
  }
  const inputs = await checkInputs(result.metafile, slot);
  const output = result.outputFiles[0];
  if (output === undefined || result.outputFiles.length !== 1) {
    throw new BundleError(
      `Cannot bundle "${slot.scriptRel}": esbuild produced ${result.outputFiles.length} files`,
      slot.scriptRel,
    );
  }
  if (output.contents.length > slot.maxBundleBytes) {
    throw new BundleError(
      `Cannot bundle "${slot.scriptRel}": the bundle is ${formatBytes(output.contents.length)}, ` +
        `over the budget of ${formatBytes(slot.maxBundleBytes)}`,
      slot.scriptRel,
    );
  }
  const { path, bytes } = await writeBundle(output.contents, slot);
  return { path, bytes, inputs };
}

/**
 * The resolver. Synchronous file system calls on purpose: each awaited call
 * costs an event-loop turn while esbuild waits, and bundles have few files.
 */
function confine(slot: Slot): esbuild.Plugin {
  const { cwd, scriptsReal, trusted, approved, aliases, trustedFolders } = slot;
  const approve = (path: string) => {
    approved.add(path);
    return { path };
  };
  /** The resolved path, or why it is refused, or null when the file does not exist. */
  const resolveLocal = (specifier: string, resolveDir: string, roots: readonly string[]) => {
    const lexical = resolve(resolveDir, specifier);
    let real: string;
    try {
      real = Deno.realPathSync(lexical);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
    if (!roots.some((root) => isInside(real, root))) {
      return roots.some((root) => isInside(lexical, root))
        ? `it is a symlink to "${real}", outside the folder: ${CONFINED}`
        : CONFINED;
    }
    if (!Deno.statSync(real).isFile) return "it is not a file";
    if (!(extname(lexical) in LOADERS) || !(extname(real) in LOADERS)) {
      return `only ${Object.keys(LOADERS).join(", ")} files can be imported`;
    }
    return approve(real);
  };

  return {
    name: "syncra-confine",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        const specifier = args.path;
        const asImport = (text: string) => refuse(text, { kind: "import", specifier });
        const attributes = Object.entries(args.with);
        if (
          attributes.length > 0 &&
          !(attributes.length === 1 && args.with.type === "json" && specifier.endsWith(".json"))
        ) {
          const shown = attributes.map(([k, v]) => `${k}: "${v}"`).join(", ");
          return asImport(`import attributes { ${shown} } are not allowed, only { type: "json" }`);
        }

        if (args.importer === "<stdin>" && args.namespace === "") {
          if (specifier === HOST_PATH) return approve(trusted.host);
          if (specifier === NAME_MODULE) return { path: "file-name", namespace: NAME_MODULE };
          if (specifier !== SCRIPT_MODULE) {
            return asImport("the entry may load only the host and the script");
          }
          const resolved = resolveLocal(slot.scriptPath, cwd, [scriptsReal]);
          if (resolved === null) return refuse("the file does not exist", { kind: "entry" });
          if (typeof resolved !== "string") return resolved;
          const outside = `it is not inside the scripts folder "${slot.scriptsDir}"`;
          return refuse(resolved === CONFINED ? outside : resolved, { kind: "entry" });
        }

        if (args.namespace === STD_NAMESPACE) {
          if (specifier === trusted.stdMod) return approve(trusted.stdMod);
          if (specifier === trusted.stdComponent) return approve(trusted.stdComponent);
          return asImport("the std module may load only std");
        }
        const isRelative = specifier.startsWith("./") || specifier.startsWith("../");
        let resolved: ReturnType<typeof resolveLocal>;
        if (args.namespace === "file" && isInside(args.importer, scriptsReal)) {
          if (specifier === STD_SPECIFIER) {
            const module = toPosix(relative(scriptsReal, args.importer));
            approved.add(`${STD_NAMESPACE}:${module}`);
            return { path: module, namespace: STD_NAMESPACE };
          }
          const library = aliases.get(specifier);
          if (library !== undefined) return approve(library);
          resolved = isRelative
            ? resolveLocal(specifier, args.resolveDir, [scriptsReal])
            : CONFINED;
        } else if (
          args.namespace === "file" &&
          trustedFolders.some((folder) => isInside(args.importer, folder))
        ) {
          // A library's module imports its package by name (three's loaders import "three").
          const library = aliases.get(specifier);
          if (library !== undefined) return approve(library);
          resolved = isRelative
            ? resolveLocal(specifier, args.resolveDir, trustedFolders)
            : "trusted modules may import only each other";
        } else {
          resolved = `its importer "${args.importer}" is neither a script nor trusted`;
        }
        if (resolved === null) return asImport("the file does not exist");
        return typeof resolved === "string" ? asImport(resolved) : resolved;
      });

      build.onLoad({ filter: /.*/, namespace: NAME_MODULE }, () => ({
        contents: `export default ${JSON.stringify(basename(slot.scriptPath))};`,
        loader: "js",
      }));
      build.onLoad({ filter: /.*/, namespace: STD_NAMESPACE }, (args) => {
        if (!approved.has(`${STD_NAMESPACE}:${args.path}`)) {
          return refuse("it was not resolved by the confined resolver", { kind: "unresolved" });
        }
        return { contents: stdModuleSource(args.path, trusted), loader: "js" };
      });
      build.onLoad({ filter: /.*/ }, async (args) => {
        // Only a glob import makes esbuild load a file it did not resolve through us.
        if (args.namespace !== "file" || !approved.has(args.path)) {
          return refuse("it was not resolved by the confined resolver", { kind: "unresolved" });
        }
        const loader = LOADERS[extname(args.path)];
        const file = relative(cwd, args.path);
        if (loader === undefined) return refuse("it cannot be loaded", { kind: "load", file });
        // Trusted files too: esbuild reads nothing from the file system itself.
        if (!isInside(args.path, scriptsReal)) {
          return { contents: Deno.readTextFileSync(args.path), loader };
        }
        const read = readUserFile(args.path, (real) => isInside(real, scriptsReal), slot.read);
        if ("refusal" in read) return refuse(read.refusal, { kind: "load", file });
        const contents = read.text;
        // JSON has no comments, so esbuild follows no source map comment in it.
        const comment = loader === "json" ? null : findSourceMapComment(contents);
        if (comment !== null) {
          const why = `esbuild would load the map it names, ${quoteUntrusted(comment.url, 160)}, ` +
            `outside the confined resolver; remove the comment (bundles carry their own source map)`;
          const { line, column, lineText } = comment;
          return refuse(why, { kind: "source-map" }, { file, line, column, lineText });
        }
        if (loader !== "json" && /\bawait\b/.test(contents)) {
          const site = await findTopLevelAwait(slot.api!, contents, loader, file);
          if (site) {
            const why = "a script's module body must finish synchronously so that it describes " +
              "itself at once; move the await into init() or run()";
            return refuse(why, { kind: "top-level-await" }, site);
          }
        }
        return { contents, loader };
      });
    },
  };
}

function formatLocation(location: Partial<esbuild.Location> | null): string | null {
  if (!location?.file) return null;
  const line = location.line ?? 1;
  // esbuild counts columns in UTF-8 bytes; editors and Deno count UTF-16 units from 1.
  const bytes = new TextEncoder().encode(location.lineText ?? "");
  const column = new TextDecoder().decode(bytes.subarray(0, location.column ?? 0)).length + 1;
  return `${location.file}:${line}:${column}`;
}

function toBundleError(message: esbuild.Message, scriptRel: string, cause: unknown): BundleError {
  const detail = message.detail as Refusal | undefined;
  const location = formatLocation(message.location);
  const at = location ?? scriptRel;
  switch (detail?.kind) {
    case "import":
      return new BundleError(`Cannot import "${detail.specifier}" in ${at}: ${message.text}`, at, {
        cause,
      });
    case "entry":
      return new BundleError(`Cannot bundle "${scriptRel}": ${message.text}`, scriptRel, { cause });
    case "top-level-await":
      return new BundleError(`Cannot use top-level await in ${at}: ${message.text}`, at, { cause });
    case "source-map":
      return new BundleError(`Cannot use a source map comment in ${at}: ${message.text}`, at, {
        cause,
      });
    case "load":
      return new BundleError(`Cannot bundle "${detail.file}": ${message.text}`, detail.file, {
        cause,
      });
  }
  if (message.id === "unsupported-dynamic-import" || message.id === "unsupported-require-call") {
    const call = message.id === "unsupported-dynamic-import" ? "import()" : "require()";
    return new BundleError(
      `Cannot ${call} a computed path in ${at}: ${CONFINED}, named by a string literal`,
      at,
      { cause },
    );
  }
  return new BundleError(`Cannot bundle ${at}: ${message.text}`, at, { cause });
}

/**
 * Uses esbuild's CommonJS output, which rejects top-level await, to find one:
 * the transform API for small files, the build API (whose input travels in
 * the request) for those esbuild would pass through a temporary file.
 */
async function findTopLevelAwait(
  api: EsbuildApi,
  contents: string,
  loader: esbuild.Loader,
  file: string,
): Promise<Partial<esbuild.Location> | null> {
  try {
    if (contents.length > TRANSFORM_INLINE_LIMIT) {
      await api.build({
        stdin: { contents, loader },
        format: "cjs",
        write: false,
        logLevel: "silent",
        tsconfigRaw: {},
      });
    } else {
      await api.transform(contents, { loader, format: "cjs", logLevel: "silent" });
    }
    return null;
  } catch (error) {
    const errors = (error as Partial<esbuild.TransformFailure>).errors ?? [];
    // A dead service is the caller's to report, not a syntax error.
    if (errors.length === 0) throw error;
    const found = errors.find((e) => /top-level await/i.test(e.text))?.location;
    // Other errors are syntax errors the build reports itself.
    return found ? { ...found, file } : null;
  }
}

/**
 * Backs up the resolver: every input must be the entry, a file the resolver
 * approved inside the scripts folder, or a trusted file, and the bundle may
 * import nothing. esbuild expands `import("./" + x)` into a glob of files
 * without asking plugins; that shows up here as an external `*` pattern.
 * (Other external imports in the metafile are TypeScript imports that were
 * used only as types: esbuild drops them unresolved, and no code remains.)
 */
async function checkInputs(metafile: esbuild.Metafile, slot: Slot): Promise<string[]> {
  const { cwd, scriptsReal, trustedFolders, approved } = slot;
  const inputs = Object.entries(metafile.inputs);
  for (const [key, input] of inputs) {
    const glob = input.imports.find((imported) => imported.external && imported.path.includes("*"));
    if (glob) throw await globRefusal(slot, [resolve(cwd, key)], glob.path);
  }
  for (const output of Object.values(metafile.outputs)) {
    const left = output.imports[0];
    if (left === undefined) continue;
    throw new BundleError(
      `Cannot bundle "${slot.scriptRel}": the bundle would still import "${left.path}" at run time`,
      slot.scriptRel,
    );
  }
  const user: string[] = [];
  for (const [key, input] of inputs) {
    if (key === "<stdin>" || key.startsWith(`${NAME_MODULE}:`)) continue;
    if (key.startsWith(`${STD_NAMESPACE}:`) && approved.has(key)) continue;
    const path = resolve(cwd, key);
    const inScripts = isInside(path, scriptsReal);
    const inTrusted = trustedFolders.some((folder) => isInside(path, folder));
    const attributes = input.with === undefined ||
      (Object.keys(input.with).length === 1 && input.with.type === "json");
    if (!attributes || !approved.has(path) || !(inScripts || inTrusted)) {
      throw new BundleError(
        `Cannot bundle "${key}": it was not resolved by the confined resolver`,
        key,
      );
    }
    if (inScripts) user.push(path);
  }
  return user.sort();
}

// esbuild names the module it makes for a glob import like `import("./**/*") in scripts/x.ts`.
const GLOB_MODULE = /^(?:import|require)\("([^"]*\*[^"]*)"\) in (.+)$/;
// ... and, where it can list no folder (the jail), fails it as `Could not resolve import("./**/*")`.
const UNRESOLVED_GLOB = /^Could not resolve (?:import|require)\("[^"]*\*[^"]*"\)$/;

/** Refuses a glob import, pointing at the first computed import() or require() in `files`. */
async function globRefusal(slot: Slot, files: string[], pattern?: string): Promise<BundleError> {
  let at = slot.scriptRel;
  for (const file of files) {
    const source = await Deno.readTextFile(file).catch(() => "");
    const index = findComputedImport(source);
    if (index < 0) continue;
    const before = source.slice(0, index);
    const column = index - before.lastIndexOf("\n");
    at = `${relative(slot.cwd, file)}:${before.split("\n").length}:${column}`;
    break;
  }
  const matching = pattern ? `every file matching "${pattern}"` : "every file its pattern matches";
  return new BundleError(
    `Cannot import a computed path in ${at}: esbuild would bundle ${matching}, and ${CONFINED}, ` +
      `named by a string literal`,
    at,
  );
}

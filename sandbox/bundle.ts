/**
 * Bundles one user script into a single ESM file that a zero-permission
 * `deno run` child executes. The bundle starts with the in-child host
 * (`sandbox/child_host.ts`), which captures stdio before the script's own
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
 * @module
 */
import * as esbuild from "esbuild";
import { basename, dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { BundleError } from "./errors.ts";
import { findComputedImport } from "./_find_computed_import.ts";

/** Where a script is read from and its bundle written to. */
export interface BundleOptions {
  /** Folder holding the script; its imports may not leave it. Absolute or relative to the cwd. */
  scriptsDir: string;
  /** Folder the bundle is written to, created if missing. Absolute or relative to the cwd. */
  outDir: string;
}

/** A bundle written to disk. */
export interface Bundle {
  /** Absolute path of the written `.js` file. */
  path: string;
  /** Hex SHA-256 of the bundle's bytes, first 16 characters. */
  hash: string;
  /** Size of the bundle in bytes. */
  bytes: number;
  /** Absolute real paths of the user files included, sorted. */
  inputs: string[];
}

const STD_SPECIFIER = "@syncra/std";
/** Virtual modules of the shared entry: the script being built, and its file name. */
const SCRIPT_MODULE = "syncra:script";
const NAME_MODULE = "syncra-file-name";
const CONFINED = `scripts may only import files in their own folder and "${STD_SPECIFIER}"`;
const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));
const HOST_PATH = join(REPO_ROOT, "sandbox", "child_host.ts");
const LOADERS: Readonly<Record<string, esbuild.Loader>> = {
  ".ts": "ts",
  ".mts": "ts",
  ".js": "js",
  ".mjs": "js",
  ".json": "json",
};

interface TrustedPaths {
  std: string;
  sandbox: string;
  stdMod: string;
  host: string;
}

let trustedPaths: Promise<TrustedPaths> | null = null;

function getTrustedPaths(): Promise<TrustedPaths> {
  trustedPaths ??= (async () => ({
    std: await Deno.realPath(join(REPO_ROOT, "std")),
    sandbox: await Deno.realPath(join(REPO_ROOT, "sandbox")),
    stdMod: await Deno.realPath(join(REPO_ROOT, "std", "mod.ts")),
    host: await Deno.realPath(HOST_PATH),
  }))();
  return trustedPaths;
}

function isInside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/** What a plugin error carries so the failure can be reworded with its location. */
type Refusal =
  | { kind: "import"; specifier: string }
  | { kind: "entry" }
  | { kind: "top-level-await" }
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
  /** The script of the build under way (builds of a slot run one at a time). */
  scriptPath: string;
  scriptRel: string;
  scriptsDir: string;
  scriptsReal: string;
  outDir: string;
  trusted: TrustedPaths;
  /** Real paths the resolver accepted during the current build. */
  approved: Set<string>;
  context: Promise<esbuild.BuildContext<BuildOptions>>;
  /** Builds of one slot run one at a time, since they share `approved` and the script. */
  queue: Promise<unknown>;
}

type BuildOptions = esbuild.BuildOptions & { write: false; metafile: true };

const MAX_SLOTS = 256;
const slots = new Map<string, Slot>();

/**
 * Bundles `file` (inside `options.scriptsDir`) and writes
 * `<outDir>/<name>.<hash>.js`, removing older bundles of the same script.
 * Every build re-runs the confinement checks, so a file swapped for a
 * symlink since the last build is caught.
 *
 * @throws {BundleError} on a syntax error, top-level await or a refused import.
 */
export async function bundleScript(file: string, options: BundleOptions): Promise<Bundle> {
  const cwd = Deno.cwd();
  const scriptPath = resolve(cwd, file);
  const scriptRel = relative(cwd, scriptPath);
  const outDir = resolve(cwd, options.outDir);
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
  const key = JSON.stringify([cwd, scriptsReal, outDir]);
  let slot = slots.get(key);
  if (slot === undefined) {
    const fields = { cwd, scriptPath, scriptRel, scriptsReal, outDir, trusted };
    slot = openSlot({ ...fields, scriptsDir: options.scriptsDir, approved: new Set() });
    slots.set(key, slot);
    if (slots.size > MAX_SLOTS) {
      const [oldestKey, oldest] = slots.entries().next().value!;
      slots.delete(oldestKey);
      closeSlot(oldest).catch(() => {});
    }
  }
  const current = slot;
  const run = current.queue.then(() => {
    current.scriptPath = scriptPath;
    current.scriptRel = scriptRel;
    return buildSlot(current);
  });
  current.queue = run.catch(() => {});
  return await run;
}

/** Disposes every cached build and stops esbuild's service process; the next bundle starts it again. */
export async function stopBundler(): Promise<void> {
  const open = [...slots.values()];
  slots.clear();
  await Promise.allSettled(open.map(closeSlot));
  await esbuild.stop();
}

async function closeSlot(slot: Slot): Promise<void> {
  await slot.queue;
  await (await slot.context).dispose();
}

function openSlot(fields: Omit<Slot, "context" | "queue">): Slot {
  const slot = fields as Slot;
  const entry = `import { runChildHost } from ${JSON.stringify(HOST_PATH)}; ` +
    `import fileName from ${JSON.stringify(NAME_MODULE)}; ` +
    `runChildHost(() => import(${JSON.stringify(SCRIPT_MODULE)}), fileName);`;
  slot.queue = Promise.resolve();
  slot.context = esbuild.context({
    stdin: { contents: entry, loader: "ts", resolveDir: slot.scriptsReal },
    absWorkingDir: slot.cwd,
    // Sources in the inline map are relative to the bundle's folder.
    outfile: join(slot.outDir, "bundle.js"),
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
  return slot;
}

async function buildSlot(slot: Slot): Promise<Bundle> {
  slot.approved.clear();
  let result: esbuild.BuildResult<BuildOptions>;
  try {
    result = await (await slot.context).rebuild();
  } catch (error) {
    const failure = error as Partial<esbuild.BuildFailure>;
    const errors = Array.isArray(failure.errors) ? failure.errors : [];
    if (errors[0] === undefined) throw error;
    // A glob import fails on the files it drags in; name the glob instead.
    for (const e of errors) {
      const glob = GLOB_MODULE.exec(e.location?.file ?? "");
      if (glob) throw await globRefusal(slot, [resolve(slot.cwd, glob[2]!)], glob[1]);
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
  return await writeBundle(output.contents, slot.scriptPath, slot.outDir, inputs);
}

/**
 * The resolver. Synchronous file system calls on purpose: each awaited call
 * costs an event-loop turn while esbuild waits, and bundles have few files.
 */
function confine(slot: Slot): esbuild.Plugin {
  const { cwd, scriptsReal, trusted, approved } = slot;
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

        const isRelative = specifier.startsWith("./") || specifier.startsWith("../");
        let resolved: ReturnType<typeof resolveLocal>;
        if (isInside(args.importer, scriptsReal)) {
          if (specifier === STD_SPECIFIER) return approve(trusted.stdMod);
          resolved = isRelative
            ? resolveLocal(specifier, args.resolveDir, [scriptsReal])
            : CONFINED;
        } else if (
          isInside(args.importer, trusted.std) || isInside(args.importer, trusted.sandbox)
        ) {
          resolved = isRelative
            ? resolveLocal(specifier, args.resolveDir, [trusted.std, trusted.sandbox])
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
      build.onLoad({ filter: /.*/ }, async (args) => {
        // Only a glob import makes esbuild load a file it did not resolve through us.
        if (args.namespace !== "file" || !approved.has(args.path)) {
          return refuse("it was not resolved by the confined resolver", { kind: "unresolved" });
        }
        const loader = LOADERS[extname(args.path)];
        // esbuild reads trusted files itself.
        if (!isInside(args.path, scriptsReal) || loader === undefined) return undefined;
        const contents = Deno.readTextFileSync(args.path);
        if (loader !== "json" && /\bawait\b/.test(contents)) {
          const site = await findTopLevelAwait(contents, loader, relative(cwd, args.path));
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
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

/** Uses esbuild's CommonJS transform, which rejects top-level await, to find one. */
async function findTopLevelAwait(
  contents: string,
  loader: esbuild.Loader,
  file: string,
): Promise<Partial<esbuild.Location> | null> {
  try {
    await esbuild.transform(contents, { loader, format: "cjs", logLevel: "silent" });
    return null;
  } catch (error) {
    const errors = (error as Partial<esbuild.TransformFailure>).errors ?? [];
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
  const { cwd, scriptsReal, trusted, approved } = slot;
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
    const path = resolve(cwd, key);
    const inScripts = isInside(path, scriptsReal);
    const inTrusted = isInside(path, trusted.std) || isInside(path, trusted.sandbox);
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

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function writeBundle(
  contents: Uint8Array,
  scriptPath: string,
  outDir: string,
  inputs: string[],
): Promise<Bundle> {
  const bytes = new Uint8Array(contents);
  const hash = (await sha256Hex(bytes)).slice(0, 16);
  const name = basename(scriptPath).replace(/\.[^.]+$/, "");
  const fileName = `${name}.${hash}.js`;
  const path = join(outDir, fileName);
  await Deno.mkdir(outDir, { recursive: true });
  const exists = await Deno.stat(path).then(
    (s) => s.isFile && s.size === bytes.length,
    () => false,
  );
  if (!exists) {
    const temporary = join(dirname(path), `.${fileName}.${crypto.randomUUID()}.tmp`);
    await Deno.writeFile(temporary, bytes);
    await Deno.rename(temporary, path);
  }
  const older = new RegExp(`^${escapeRegExp(name)}\\.[0-9a-f]{16}\\.js$`);
  for await (const entry of Deno.readDir(outDir)) {
    if (!entry.isFile || entry.name === fileName || !older.test(entry.name)) continue;
    await Deno.remove(join(outDir, entry.name)).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
  return { path, hash, bytes: bytes.length, inputs };
}

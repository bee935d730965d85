/**
 * Writes a bundle where its script's bundles live: a folder per script file,
 * `<outDir>/<script path relative to the scripts folder>/<hash>.js`, so two
 * scripts never share a name (`door.ts`, `door.mts`) and removing a script's
 * older bundles never touches another's. The write is atomic (a temporary
 * file renamed into place) and an identical bundle is kept as it is.
 *
 * @module
 */
import { basename, dirname, join, relative, resolve, sep } from "node:path";

/** Where a script's bundles go. */
export interface BundlePlace {
  cwd: string;
  /** The scripts folder as given, and its real path. */
  scriptsDir: string;
  scriptsReal: string;
  /** Absolute path of the script. */
  scriptPath: string;
  /** Absolute path of the folder of all bundles. */
  outDir: string;
}

/** What was written. */
export interface WrittenBundle {
  path: string;
  /** Hex SHA-256 of the bytes, first 16 characters. */
  hash: string;
  bytes: number;
}

const BUNDLE_NAME = /^[0-9a-f]{16}\.js$/;

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The script's folder of bundles: its path relative to the scripts folder, below `outDir`. */
export function bundleFolder(place: BundlePlace): string {
  for (const base of [resolve(place.cwd, place.scriptsDir), place.scriptsReal]) {
    const rel = relative(base, place.scriptPath);
    if (rel !== "" && !rel.startsWith("..") && !rel.startsWith(sep)) return join(place.outDir, rel);
  }
  // Only reachable for a script given through a symlinked path: still one folder per file.
  return join(place.outDir, `_${basename(place.scriptPath)}`);
}

/**
 * Writes `contents` as the script's newest bundle. Older ones stay: the
 * running version may need its own to restart while a new one is refused
 * ({@linkcode pruneBundles} removes them once a version takes over).
 */
export async function writeBundle(
  contents: Uint8Array,
  place: BundlePlace,
): Promise<WrittenBundle> {
  const bytes = new Uint8Array(contents);
  const hash = (await sha256Hex(bytes)).slice(0, 16);
  const folder = bundleFolder(place);
  const fileName = `${hash}.js`;
  const path = join(folder, fileName);
  await Deno.mkdir(folder, { recursive: true });
  const exists = await Deno.stat(path).then(
    (s) => s.isFile && s.size === bytes.length,
    () => false,
  );
  if (!exists) {
    const temporary = join(dirname(path), `.${fileName}.${crypto.randomUUID()}.tmp`);
    await Deno.writeFile(temporary, bytes);
    await Deno.rename(temporary, path);
  }
  return { path, hash, bytes: bytes.length };
}

/** Removes the bundles in the folders of `keep` that are not in `keep` (a script's older versions). */
export async function pruneBundles(keep: readonly { path: string }[]): Promise<void> {
  const kept = new Set(keep.map((b) => resolve(b.path)));
  for (const folder of new Set([...kept].map((p) => dirname(p)))) {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(folder));
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (!entry.isFile || kept.has(path) || !BUNDLE_NAME.test(entry.name)) continue;
      await Deno.remove(path).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    }
  }
}

/**
 * System names, unique per world, decided so that no script can take
 * another's: a name is a label, the file is the identity. Every script file
 * has a name derived from its file name (`counter.ts` → `counter`), unique
 * in its folder (`counter.mts` beside it becomes `counter_mts`). A name a
 * script declares in its manifest is used only while nobody else has it:
 * declaring another script's file name, or a name a second script also
 * declares, falls back to the file-derived name, with a warning naming both
 * files. So a declaration can never rename, refuse or impersonate another
 * script, and which script is "counter" never depends on which started first.
 *
 * @module
 */
import { nameFromFile } from "./system_manifest.ts";

/** Extensions in the order that keeps a base name for itself. */
const EXTENSION_ORDER = [".ts", ".mts", ".js", ".mjs"];

function extensionRank(file: string): number {
  const i = EXTENSION_ORDER.findIndex((e) => file.endsWith(e));
  return i < 0 ? EXTENSION_ORDER.length : i;
}

/** A declared name that could not be used, and why. */
export interface NameConflict {
  readonly file: string;
  readonly wanted: string;
  /** The name the script runs under instead. */
  readonly given: string;
  /** The other files that have or want the name. */
  readonly with: readonly string[];
}

/** The names of a world's script files. */
export class SystemNames {
  #files: string[] = [];
  readonly #declared = new Map<string, string>();
  #names = new Map<string, string>();
  #conflicts: NameConflict[] = [];

  /** The script files of the world (each keeps its derived name while it exists). */
  setFiles(files: Iterable<string>): void {
    this.#files = [...new Set(files)].sort();
    for (const file of [...this.#declared.keys()]) {
      if (!this.#files.includes(file)) this.#declared.delete(file);
    }
    this.#resolve();
  }

  /** Records the name a script's manifest declares (null: none); returns its name now. */
  declare(file: string, wanted: string | null): string {
    if (wanted === null) this.#declared.delete(file);
    else this.#declared.set(file, wanted);
    if (!this.#files.includes(file)) this.#files = [...this.#files, file].sort();
    this.#resolve();
    return this.of(file);
  }

  /** The name a file runs under. */
  of(file: string): string {
    return this.#names.get(file) ?? nameFromFile(file);
  }

  /** The file running under `name`, if any. */
  fileOf(name: string): string | null {
    for (const [file, n] of this.#names) if (n === name) return file;
    return null;
  }

  /** Declared names that could not be used, as of now. */
  conflicts(): readonly NameConflict[] {
    return this.#conflicts;
  }

  #resolve(): void {
    // File-derived names first: unique per folder, the plainest extension keeping the base.
    const derived = new Map<string, string>();
    const groups = new Map<string, string[]>();
    for (const file of this.#files) {
      const base = nameFromFile(file);
      groups.set(base, [...(groups.get(base) ?? []), file]);
    }
    const taken = new Set(groups.keys());
    for (const [base, files] of groups) {
      files.sort((a, b) => extensionRank(a) - extensionRank(b) || (a < b ? -1 : 1));
      files.forEach((file, i) => {
        if (i === 0) return derived.set(file, base);
        const ext = file.slice(file.lastIndexOf(".") + 1).replace(/[^A-Za-z0-9_]/g, "_");
        let name = `${base}_${ext}`.slice(0, 64);
        for (let n = 2; taken.has(name); n++) name = `${base}_${ext}_${n}`.slice(0, 64);
        taken.add(name);
        derived.set(file, name);
      });
    }
    const derivedNames = new Set(derived.values());
    const wanting = new Map<string, string[]>();
    for (const [file, wanted] of this.#declared) {
      if (wanted !== derived.get(file)) wanting.set(wanted, [...(wanting.get(wanted) ?? []), file]);
    }
    const names = new Map(derived);
    const conflicts: NameConflict[] = [];
    for (const [wanted, files] of wanting) {
      const holder = derivedNames.has(wanted)
        ? [...derived].find(([, n]) => n === wanted)![0]
        : null;
      if (holder === null && files.length === 1) {
        names.set(files[0]!, wanted);
        continue;
      }
      for (const file of files) {
        const others = [...(holder ? [holder] : []), ...files.filter((f) => f !== file)];
        conflicts.push({ file, wanted, given: derived.get(file)!, with: others });
      }
    }
    this.#names = names;
    this.#conflicts = conflicts.sort((a, b) => (a.file < b.file ? -1 : 1));
  }
}

/**
 * The supervisor: finds the scripts in a folder, keeps one SystemRole per
 * file, and hot-reloads on change — a file added starts, an edit reloads that
 * script alone (and every script that imports the edited file), a deletion
 * stops it. World state lives in the coordinator, so nothing is lost.
 *
 * @module
 */
import { join, resolve } from "node:path";
import type { EventStream } from "../supervision/mod.ts";
import { type ScriptLauncher, type SystemOptions, SystemRole } from "./system_role.ts";
import { SystemNames } from "./system_names.ts";

const SCRIPT_FILE = /^[^._][^/]*\.(ts|js|mts|mjs)$/;

/** Whether a file name in the scripts folder is a system (not a helper module or test). */
export function isScriptFile(name: string): boolean {
  return SCRIPT_FILE.test(name) && !/_test\.(ts|js|mts|mjs)$/.test(name) && !name.endsWith(".d.ts");
}

/** Lists the script files of a folder, sorted (this is declaration order). */
export async function listScripts(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if ((entry.isFile || entry.isSymlink) && isScriptFile(entry.name)) {
      out.push(join(dir, entry.name));
    }
  }
  return out.sort();
}

/** Keeps the set of running scripts in step with a folder. */
export class Supervisor {
  readonly dir: string;
  readonly #launcher: ScriptLauncher;
  readonly #events: EventStream;
  readonly #options: Readonly<SystemOptions>;
  readonly #slots = new Map<string, SystemRole>();
  #ordered: SystemRole[] = [];
  /** Names are decided over all files together, so no script can take another's. */
  readonly names = new SystemNames();
  #reportedConflicts = new Set<string>();
  #watcher: Deno.FsWatcher | null = null;
  #timers = new Map<string, ReturnType<typeof setTimeout>>();
  #work = new Set<Promise<void>>();

  constructor(
    dir: string,
    launcher: ScriptLauncher,
    events: EventStream,
    options: Readonly<SystemOptions>,
  ) {
    this.dir = dir;
    this.#launcher = launcher;
    this.#events = events;
    this.#options = options;
  }

  /** Slots in declaration (file name) order, including stopped and refused ones. */
  slots(): readonly SystemRole[] {
    return this.#ordered;
  }

  #track(p: Promise<void>): void {
    this.#work.add(p);
    p.finally(() => this.#work.delete(p));
  }

  #add(file: string): SystemRole {
    const slot = new SystemRole(file, this.#launcher, this.#events, this.#options, this.names);
    this.#slots.set(file, slot);
    this.#ordered = [...this.#slots.values()].sort((a, b) => (a.file < b.file ? -1 : 1));
    this.names.setFiles(this.#slots.keys());
    return slot;
  }

  /** Warns once about each declared name that could not be used. */
  #reportNameConflicts(): void {
    for (const c of this.names.conflicts()) {
      const id = `${c.file} ${c.wanted} ${c.with.join(" ")}`;
      if (this.#reportedConflicts.has(id)) continue;
      this.#reportedConflicts.add(id);
      this.#events.emit({
        type: "warning",
        script: c.given,
        file: c.file,
        message: `System name "${c.wanted}" declared by ${c.file} is also ${
          c.with.length === 1 ? "the name" : "wanted"
        } of ${c.with.join(", ")}: it runs as "${c.given}" (its file's name) instead`,
      });
    }
  }

  /** Starts every script in the folder; resolves when each is ready or refused. */
  async startAll(): Promise<void> {
    const files = await listScripts(this.dir);
    // Every file is known before any starts, so names never depend on who started first.
    const slots = files.map((f) => this.#add(f));
    await Promise.all(slots.map((s) => s.start()));
    this.#reportNameConflicts();
  }

  /** Watches the folder for changes until `stopAll`. */
  watch(debounceMs = 10): void {
    const absolute = resolve(this.dir);
    this.#watcher = Deno.watchFs(this.dir, { recursive: true });
    const loop = async () => {
      for await (const event of this.#watcher!) {
        for (const path of event.paths) {
          clearTimeout(this.#timers.get(path));
          this.#timers.set(
            path,
            setTimeout(() => {
              this.#timers.delete(path);
              this.#track(this.#changed(path, absolute));
            }, debounceMs),
          );
        }
      }
    };
    this.#track(loop().catch(() => {}));
  }

  async #changed(path: string, absolute: string): Promise<void> {
    const name = path.slice(absolute.length + 1);
    const file = join(this.dir, name);
    let exists = true;
    try {
      await Deno.stat(path);
    } catch {
      exists = false;
    }
    const reloads: Promise<void>[] = [];
    const slot = this.#slots.get(file);
    if (!name.includes("/") && isScriptFile(name)) {
      if (!exists && slot) {
        this.#events.emit({ type: "removed", script: slot.name, file });
        this.#slots.delete(file);
        this.#ordered = this.#ordered.filter((s) => s !== slot);
        this.names.setFiles(this.#slots.keys());
        reloads.push(slot.stop("removed"));
      } else if (exists && !slot) {
        const added = this.#add(file);
        this.#events.emit({ type: "added", script: added.name, file });
        reloads.push(added.start());
      } else if (exists && slot) {
        reloads.push(slot.start(true));
      }
    }
    // Scripts that import the changed file reload too, and take over together, at one tick
    // boundary: a component defined in a shared module never has two definitions at once.
    const importers = [...this.#slots.values()].filter((o) =>
      o !== slot && o.inputs.includes(path)
    );
    const together = importers.length > 1 || (importers.length > 0 && slot !== undefined);
    const held = together ? [...importers, ...(slot ? [slot] : [])] : [];
    for (const s of held) s.holdCommits++;
    try {
      for (const other of importers) reloads.push(other.start(true));
      await Promise.all(reloads);
    } finally {
      for (const s of held) s.holdCommits--;
    }
    this.#reportNameConflicts();
  }

  /** Stops watching and stops every script. */
  async stopAll(): Promise<void> {
    this.#watcher?.close();
    this.#watcher = null;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    await Promise.allSettled([...this.#work]);
    await Promise.all([...this.#slots.values()].map((s) => s.stop("shutdown")));
  }
}

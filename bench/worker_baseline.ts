/**
 * The design Syncra did not take, measured beside it: every script in a
 * Deno Worker (an isolate in the runtime's process) with `permissions:
 * "none"`, exchanging the same columns by transfer (ids and the column move
 * to the worker and back, no copy) or through a SharedArrayBuffer (only a
 * tick message moves). It is the floor of what isolates cost; what they do
 * not buy (a busy Worker keeps its core after `terminate()`, a heap bomb in
 * one aborts the whole process, a Worker with no permissions still imports
 * files by literal path) is why each script is a process instead.
 *
 * Needs `--unstable-worker-options` (Worker `deno.permissions`).
 *
 * @module
 */

const WORKER = new URL("./worker_system.js", import.meta.url);

/** How the columns reach the workers. */
export type WorkerMode = "transfer" | "shared";

interface Reply {
  tick: number;
  entities?: ArrayBuffer;
  p?: ArrayBuffer;
}

/** One worker per script, each owning `entities` rows of a vec3 column. */
export class WorkerIsolates {
  readonly mode: WorkerMode;
  readonly #workers: Worker[];
  readonly #entities: ArrayBuffer[];
  readonly #columns: ArrayBuffer[];
  readonly #count: number;
  #tick = 0;

  constructor(scripts: number, entities: number, mode: WorkerMode) {
    this.mode = mode;
    this.#count = entities;
    this.#workers = Array.from({ length: scripts }, () =>
      new Worker(WORKER, {
        type: "module",
        // @ts-ignore: `deno.permissions` is an unstable Worker option (--unstable-worker-options).
        deno: { permissions: "none" },
      }));
    this.#entities = Array.from({ length: scripts }, () => new ArrayBuffer(entities * 4));
    this.#columns = Array.from(
      { length: scripts },
      () =>
        mode === "shared" ? new SharedArrayBuffer(entities * 12) : new ArrayBuffer(entities * 12),
    ) as ArrayBuffer[];
    if (mode === "shared") {
      this.#workers.forEach((w, k) => w.postMessage({ t: "share", p: this.#columns[k] }));
    }
  }

  /** One tick: every worker runs its system at once; resolves when all have answered. */
  tick(dt: number): Promise<void> {
    const tick = ++this.#tick;
    return Promise.all(this.#workers.map((worker, k) =>
      new Promise<void>((resolve, reject) => {
        worker.onmessage = (event: MessageEvent<Reply>) => {
          const reply = event.data;
          if (reply.tick !== tick) return reject(new Error(`worker ${k}: tick ${reply.tick}`));
          if (reply.p && reply.entities) {
            this.#columns[k] = reply.p;
            this.#entities[k] = reply.entities;
          }
          resolve();
        };
        worker.onerror = (event) => reject(new Error(`worker ${k}: ${event.message}`));
        if (this.mode === "shared") {
          worker.postMessage({ t: "shared-tick", tick, dt, count: this.#count });
        } else {
          const entities = this.#entities[k]!;
          const p = this.#columns[k]!;
          worker.postMessage({ t: "tick", tick, dt, count: this.#count, entities, p }, [
            entities,
            p,
          ]);
        }
      })
    )).then(() => {});
  }

  /** The first value of script k's column (to check that the system really ran). */
  first(k: number): number {
    return new Float32Array(this.#columns[k]!, 0, 1)[0]!;
  }

  close(): void {
    for (const w of this.#workers) w.terminate();
  }
}

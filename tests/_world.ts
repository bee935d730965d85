/**
 * Test helpers: a temporary scripts folder and a real world run over it
 * (real bundling, real jailed `deno` children).
 *
 * @module
 */
import { join } from "node:path";
import { runWorld, type WorldOptions } from "../runtime/app/mod.ts";
import type { SupervisorEvent } from "../runtime/supervision/mod.ts";
import { peakResidentBytes, type WorldReport } from "../runtime/app/mod.ts";
import { encodeFrame, PROTOCOL_VERSION } from "../runtime/protocol/mod.ts";

/** In CI nothing may be skipped: the jail must be there. */
export const IN_CI = Deno.env.get("SYNCRA_CI") === "1";

/** A temporary folder holding scripts (and a work dir), removed on dispose. */
export interface TestFolder extends AsyncDisposable {
  root: string;
  scripts: string;
  write(name: string, source: string): Promise<void>;
}

/** A component shared by test scripts: a per-entity counter. */
export const COUNTER_MODULE = `
import { defineComponent } from "@syncra/std";
export const Counter = defineComponent("Counter", { value: "u32" });
`;

/** A well-behaved script that spawns one counter and increments it every tick. */
export const COUNTER_SCRIPT = `
import { defineSystem } from "@syncra/std";
import { Counter } from "./_counter.ts";
export default defineSystem({
  writes: [Counter],
  spawns: true,
  init(ctx) { ctx.spawn({ Counter: { value: 0 } }); },
  run(ctx) { const v = ctx.write(Counter).value; for (let i = 0; i < ctx.count; i++) v[i]++; },
});
`;

/** Makes a folder holding the well-behaved counter script beside the given scripts. */
export function makeScriptsWithCounter(files: Record<string, string>): Promise<TestFolder> {
  return makeScripts({ "_counter.ts": COUNTER_MODULE, "counter.ts": COUNTER_SCRIPT, ...files });
}

/** The `hello` frame of a raw child (one that speaks the protocol by hand) named `name`. */
export function rawHelloFrame(name: string): Uint8Array {
  return encodeFrame({
    t: "hello",
    v: PROTOCOL_VERSION,
    manifest: {
      name,
      reads: [],
      writes: [],
      spawns: false,
      hasInit: false,
      hasRun: true,
      components: {},
      net: [],
      storage: false,
    },
  });
}

/** Makes a folder of scripts. */
export async function makeScripts(files: Record<string, string>): Promise<TestFolder> {
  const root = await Deno.makeTempDir({ prefix: "syncra_test_" });
  const scripts = join(root, "scripts");
  await Deno.mkdir(scripts);
  const write = (name: string, source: string) => Deno.writeTextFile(join(scripts, name), source);
  for (const [name, source] of Object.entries(files)) await write(name, source);
  return {
    root,
    scripts,
    write,
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

/** The result of a test world run. */
export interface TestRun {
  report: WorldReport;
  events: SupervisorEvent[];
  dump: {
    tick: number;
    entities: { id: number; components: Record<string, Record<string, unknown>> }[];
    resources: Record<string, Record<string, number>>;
  };
  /** The test process's peak RSS from the last reset until the world returned, in bytes. */
  peakRssBytes: number;
}

/** Runs a world over a test folder, quietly, with the jail required in CI. */
export async function runTestWorld(
  folder: TestFolder,
  options: Partial<WorldOptions> = {},
): Promise<TestRun> {
  const events: SupervisorEvent[] = [];
  const dumpPath = join(folder.root, "dump.json");
  const report = await runWorld({
    scriptsDir: folder.scripts,
    workDir: join(folder.root, ".syncra"),
    statePath: join(folder.root, "world.state"),
    dumpPath,
    hz: 0,
    quiet: true,
    watch: false,
    jail: IN_CI ? "on" : "auto",
    ...options,
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
  });
  // Before the dump is parsed here: what the runtime itself needed.
  const peakRssBytes = peakRss();
  const dump = JSON.parse(await Deno.readTextFile(dumpPath));
  return { report, events, dump, peakRssBytes };
}

/** This process's peak resident memory since the last {@linkcode resetPeakRss}, in bytes. */
export const peakRss: () => number = peakResidentBytes;

/** Resets the peak to the current resident memory (Linux 4.0 and later). */
export function resetPeakRss(): void {
  Deno.writeTextFileSync("/proc/self/clear_refs", "5");
}

/** The values of one component field over all entities that have it. */
export function fieldValues(run: TestRun, component: string, field: string): unknown[] {
  return run.dump.entities.filter((e) => e.components[component]).map((e) =>
    e.components[component]![field]
  );
}

/** The report line of a script by name. */
export function scriptReport(run: TestRun, name: string) {
  const s = run.report.scripts.find((x) => x.name === name);
  if (!s) {
    throw new Error(`No script "${name}" in the report: ${run.report.scripts.map((x) => x.name)}`);
  }
  return s;
}

/**
 * Runs a world until `done(events)` holds (checked on every event) or
 * `timeoutMs` passes, then stops it cleanly. For assertions about things that
 * take a varying number of ticks on a loaded machine.
 */
export async function runTestWorldUntil(
  folder: TestFolder,
  done: (events: readonly SupervisorEvent[]) => boolean,
  options: Partial<WorldOptions> & { timeoutMs?: number } = {},
): Promise<TestRun> {
  const controller = new AbortController();
  const seen: SupervisorEvent[] = [];
  const { timeoutMs = 20_000, ...rest } = options;
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await runTestWorld(folder, {
      ...rest,
      signal: controller.signal,
      onEvent: (e) => {
        seen.push(e);
        if (done(seen)) controller.abort();
      },
    });
  } finally {
    clearTimeout(timer);
  }
}

/** The counter value a run ended with equals its last tick: no tick was lost. */
export function assertNoTickLost(run: TestRun): void {
  const values = fieldValues(run, "Counter", "value");
  // A result that came after the world stopped waiting is dropped and counted, never lost unseen.
  const counter = run.report.scripts.find((s) => s.name === "counter");
  const accounted = (counter?.lateTicks ?? 0) + (counter?.skippedTicks ?? 0);
  if (values.length !== 1 || values[0] !== run.dump.tick - accounted) {
    throw new Error(
      `The counter is ${JSON.stringify(values)} after tick ${run.dump.tick} with ${accounted} ` +
        `late or skipped: a tick was lost`,
    );
  }
}

/** A world running in the background (hot reload on) for tests that edit its scripts. */
export interface LiveWorld {
  readonly events: SupervisorEvent[];
  /** Resolves once the world has started: scripts ready, inits run, the watcher on. */
  readonly started: Promise<void>;
  /** Resolves once an event matching `what` has arrived; throws after `timeoutMs`. */
  waitFor(what: (e: SupervisorEvent) => boolean, timeoutMs?: number): Promise<void>;
  /** Stops the world cleanly and returns the run. */
  stop(): Promise<TestRun>;
}

/** Starts a watching world over a test folder at 100 Hz. */
export function startLiveWorld(folder: TestFolder, options: Partial<WorldOptions> = {}): LiveWorld {
  const events: SupervisorEvent[] = [];
  const controller = new AbortController();
  let started = () => {};
  const startedPromise = new Promise<void>((resolve) => (started = resolve));
  const run = runTestWorld(folder, {
    hz: 100,
    watch: true,
    ...options,
    signal: controller.signal,
    onEvent: (e) => events.push(e),
    onStarted: () => started(),
  });
  return {
    events,
    started: startedPromise,
    async waitFor(what, timeoutMs = 5000) {
      const until = performance.now() + timeoutMs;
      while (!events.some(what) && performance.now() < until) {
        await new Promise((r) => setTimeout(r, 20));
      }
      if (!events.some(what)) {
        throw new Error(`The expected event did not arrive in ${timeoutMs} ms`);
      }
    },
    stop() {
      controller.abort();
      return run;
    },
  };
}

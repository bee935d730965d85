/**
 * Helpers of the adversarial suite: a scripts folder holding the well-behaved
 * counter beside hostile fixtures from `fixtures/`, a real jailed world run
 * over it, and the checks every attack ends with — the precise denial, and
 * that the world kept ticking while the counter lost no tick.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  COUNTER_MODULE,
  COUNTER_SCRIPT,
  fieldValues,
  IN_CI,
  makeScripts,
  resetPeakRss,
  runTestWorld,
  scriptReport,
  type TestFolder,
  type TestRun,
} from "../_world.ts";
import type { WorldOptions } from "../../runtime/app/mod.ts";
import type { SupervisorEvent } from "../../runtime/supervision/mod.ts";

/** Where the hostile scripts live. */
export const FIXTURES = new URL("./fixtures/", import.meta.url);

/** An exit event. */
export type ExitEvent = Extract<SupervisorEvent, { type: "exit" }>;

/** The source of `fixtures/<name>` with every placeholder replaced. */
export async function fixture(name: string, replace: Record<string, string> = {}): Promise<string> {
  let source = await Deno.readTextFile(new URL(name, FIXTURES));
  for (const [from, to] of Object.entries(replace)) source = source.replaceAll(from, to);
  return source;
}

/** What a folder of attacks holds besides the fixtures. */
export interface AttackFolderOptions {
  /** Placeholders in fixtures (`__SECRET_DIR__` is always the folder's root). */
  replace?: Record<string, string>;
  /** Extra files by name (relative to the scripts folder). */
  extra?: Record<string, string>;
}

/** A random token, and the secret files that hold it in a test folder's root. */
export interface Secret {
  token: string;
  /** The first line of `secret.txt`, which no error may ever quote. */
  firstLine: string;
}

/**
 * A scripts folder with the counter (`_counter.ts`, `counter.ts`), the probe
 * helper and the named fixtures (`name.ts` from `fixtures/`), plus
 * `secret.txt`, `secret.js` (not a module: a parser's error would quote its
 * first line) and `secret.json` holding a random token in its root, outside
 * the scripts folder.
 */
export async function attackFolder(
  fixtures: readonly string[],
  options: AttackFolderOptions = {},
): Promise<TestFolder & { secret: Secret }> {
  const folder = await makeScripts({
    "_counter.ts": COUNTER_MODULE,
    "counter.ts": COUNTER_SCRIPT,
    "_probe.ts": await fixture("_probe.ts"),
  });
  const replace = { "__SECRET_DIR__": folder.root, ...options.replace };
  for (const name of fixtures) {
    await folder.write(`${name}.ts`, await fixture(`${name}.ts`, replace));
  }
  for (const [name, source] of Object.entries(options.extra ?? {})) {
    await folder.write(name, source);
  }
  const token = `SYNCRA-SECRET-${crypto.randomUUID()}`;
  const firstLine = `first line ${token}`;
  await Deno.writeTextFile(join(folder.root, "secret.txt"), `${firstLine}\nsecond line\n`);
  await Deno.writeTextFile(join(folder.root, "secret.js"), `${firstLine}\nsecond line\n`);
  await Deno.writeTextFile(join(folder.root, "secret.json"), JSON.stringify({ token }));
  return Object.assign(folder, { secret: { token, firstLine } });
}

/** A run of attacks (its `peakRssBytes` is the runtime's peak during the run). */
export type AttackRun = TestRun;

/** The runtime's memory budget under every attack (issue 6): 512 MiB resident. */
export const RUNTIME_RSS_BUDGET = 512 * 1024 * 1024;

/**
 * What the largest attack run may add to the runtime's resident memory. A
 * test process already holds 230–280 MiB before a world starts (mostly the
 * type checker's heap, which a `deno task world` process never has), so the
 * heaviest in-process runs are held to their growth instead of the total.
 */
export const RUNTIME_GROWTH_BUDGET = 320 * 1024 * 1024;

/** Runs a fresh world over an attack folder for `ticks` ticks (null: until aborted), jailed (required in CI). */
export function runAttacks(
  folder: TestFolder,
  ticks: number | null,
  options: Partial<WorldOptions> = {},
): Promise<AttackRun> {
  resetPeakRss();
  return runTestWorld(folder, { ticks, fresh: true, ...options });
}

/** The outcomes a fixture logged through `_probe.ts`, merged over its PROBE lines. */
export function probes(run: TestRun, script: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of run.events) {
    if (e.type === "log" && e.script === script && e.text.startsWith("PROBE ")) {
      Object.assign(out, JSON.parse(e.text.slice("PROBE ".length)));
    }
  }
  assert.ok(
    Object.keys(out).length > 0,
    `"${script}" reported no probe: ${lastWords(run, script)}`,
  );
  return out;
}

/** Asserts that each listed attempt of a probe was stopped with an outcome matching its pattern. */
export function assertDenied(
  run: TestRun,
  script: string,
  expected: Record<string, RegExp>,
): void {
  const results = probes(run, script);
  for (const [key, pattern] of Object.entries(expected)) {
    const got = results[key];
    assert.ok(got !== undefined, `${script}.${key}: no outcome; got ${Object.keys(results)}`);
    assert.match(got, pattern, `${script}.${key}: ${got}`);
  }
}

/** The exit events of a script. */
export function exitsOf(run: TestRun, script: string): ExitEvent[] {
  return run.events.filter((e): e is ExitEvent => e.type === "exit" && e.script === script);
}

/** The events of a script, for assertion messages. */
export function lastWords(run: TestRun, script: string): string {
  const s = run.report.scripts.find((x) => x.name === script);
  return JSON.stringify({
    state: s?.state,
    lastError: s?.lastError,
    events: run.events.filter((e) => "script" in e && e.script === script).slice(-5),
  }).slice(0, 3000);
}

/**
 * The world ran all its ticks and the counter beside the attacks lost none:
 * its value is the number of ticks less those it answered late (dropped and
 * counted), it never restarted, and it is still running.
 */
export function assertKeptTicking(run: TestRun, ticks: number): void {
  assert.equal(run.report.ticks, ticks, "the world ran every tick");
  assert.ok(
    run.peakRssBytes <= RUNTIME_RSS_BUDGET,
    `the runtime stayed within 512 MiB: peak ${(run.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
  );
  assert.equal(run.dump.tick, ticks, "the world's clock advanced by every tick");
  // Where an attack defines its own "Counter", the dump qualifies the counter's by its module.
  const name = run.dump.entities.some((e) => e.components["Counter@_counter.ts"])
    ? "Counter@_counter.ts"
    : "Counter";
  const counter = scriptReport(run, "counter");
  // A tick the counter answered after the world stopped waiting (a loaded machine) is dropped
  // and counted as late: every tick is applied or accounted for, none lost unseen.
  assert.deepEqual(
    fieldValues(run, name, "value"),
    [ticks - counter.lateTicks - counter.skippedTicks],
    `the counter lost no tick (${counter.lateTicks} late, ${counter.skippedTicks} skipped)`,
  );
  assert.equal(counter.restarts, 0, "the counter never restarted");
  assert.equal(counter.state, "running");
  assert.equal(counter.violations, 0);
}

/** The hostile scripts ran (in CI: inside the OS jail). */
export function assertConfined(run: TestRun, scripts: readonly string[]): void {
  // The suite proves the channel worlds really use: in CI, the socket on fds 0/1.
  if (IN_CI && Deno.env.get("SYNCRA_CHANNEL") !== "stdio") {
    assert.match(run.report.channel, /^unix socket on fds 0\/1/);
  }
  for (const name of scripts) {
    const s = scriptReport(run, name);
    assert.notEqual(s.state, "refused", `${name} was refused: ${s.lastError}`);
    if (IN_CI) assert.equal(s.isolation, "jail", `${name} runs in the jail`);
    assert.ok(
      !s.command.some((a) => /^--allow-(run|ffi|env|sys|all)|^-A$/.test(a)),
      `${name}: ${s.command.join(" ")}`,
    );
  }
}

/** Asserts that none of `needles` appears in any event, report field or dump of the run. */
export function assertNoLeak(run: TestRun, needles: readonly string[]): void {
  const haystacks = {
    events: JSON.stringify(run.events),
    report: JSON.stringify(run.report),
    dump: JSON.stringify(run.dump),
  };
  for (const needle of needles) {
    for (const [where, text] of Object.entries(haystacks)) {
      assert.ok(!text.includes(needle), `the secret "${needle}" leaked into the ${where}`);
    }
  }
}

/**
 * Deno's `NotCapable` message for a permission, e.g. `notCapable("read", "/etc/passwd")`;
 * without a target it matches any target or none.
 */
export function notCapable(permission: string, target?: string): RegExp {
  const quoted = target === undefined ? '(?: to (?:"[^"]*"|<\\w+>))?' : ` to "${escape(target)}"`;
  return new RegExp(
    `^NotCapable: Requires ${permission} access${quoted}, run again with the --allow-${permission} flag`,
  );
}

/** Escapes a string for a RegExp. */
export function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Sets an environment variable of the runtime's own process until disposed. */
export function withEnv(name: string, value: string): Disposable {
  const before = Deno.env.get(name);
  Deno.env.set(name, value);
  return {
    [Symbol.dispose]() {
      if (before === undefined) Deno.env.delete(name);
      else Deno.env.set(name, before);
    },
  };
}

/** Asserts that no process on the machine still runs anything of this folder (bundles, jails). */
export async function assertNoSurvivors(folder: TestFolder): Promise<void> {
  const marker = join(folder.root, ".syncra");
  const survivors: string[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name) || Number(entry.name) === Deno.pid) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
    if (cmdline.includes(marker)) survivors.push(`${entry.name}: ${cmdline.replaceAll("\0", " ")}`);
  }
  assert.deepEqual(survivors, [], "no process of the world outlived it");
}

/**
 * `pattern`, or the ReferenceError the fixtures' `nodeProcess()` throws once
 * Node's `process` is gone from scripts' global scope (the fix holes_test.ts asks for).
 */
export function orNoProcess(pattern: RegExp): RegExp {
  return new RegExp(`(?:${pattern.source})|^ReferenceError: process is not defined$`);
}

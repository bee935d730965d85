/**
 * Hole 6 of issue 6: only five console methods were routed to log frames; the
 * rest (`table`, `group`, `dir`, `count`, `time*`, …) wrote straight to fd 1,
 * the frame channel, so an honest script calling `console.table` was killed
 * for a protocol violation. The in-child host now routes every method Deno's
 * console has (sandbox/guest/console_route.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import { scriptReport, type TestRun } from "../_world.ts";
import {
  assertConfined,
  assertDenied,
  assertKeptTicking,
  attackFolder,
  exitsOf,
  probes,
  runAttacks,
} from "./_attack.ts";

/** An honest script that calls every console method once, on its first tick. */
const EVERY_METHOD = `
import { defineSystem } from "@syncra/std";
export default defineSystem({
  run(ctx) {
    if (ctx.tick !== 1) return;
    console.log("log %s=%d", "x", 5, { a: 1 });
    console.info("info"); console.debug("debug"); console.warn("warn"); console.error("error");
    console.dir({ x: 1 }); console.dirxml({ y: 2 });
    console.table([{ a: 1, b: 2 }]);
    console.group("group"); console.log("inner");
    console.groupCollapsed("collapsed"); console.log("deeper"); console.groupEnd();
    console.groupEnd(); console.log("outer");
    console.count(); console.count(); console.countReset(); console.count("x");
    console.time("t"); console.timeLog("t", "then"); console.timeEnd("t");
    console.assert(false, "boom"); console.assert(true, "never shown");
    console.trace("traced");
    console.group("cleared"); console.clear(); console.log("after clear");
    console.profile("p"); console.profileEnd("p"); console.timeStamp("s");
    console.context("c").log("via context");
    console.log(console.createTask("t").run(() => "task ran"));
    console.log("methods " + Reflect.ownKeys(console)
      .filter((k) => typeof console[k] === "function").map(String).sort().join(","));
  },
});
`;

function logsOf(run: TestRun, script: string): { level: string; text: string }[] {
  return run.events.flatMap((e) =>
    e.type === "log" && e.script === script ? [{ level: e.level, text: e.text }] : []
  );
}

Deno.test("an honest script may call every console method: each logs what Deno's console prints, and it is never killed", async () => {
  await using folder = await attackFolder([], { extra: { "every_method.ts": EVERY_METHOD } });
  const ticks = 5;
  const run = await runAttacks(folder, ticks, { deadlineMs: 2000 });
  const logs = logsOf(run, "every_method");
  const texts = logs.map((l) => l.text);
  const methods = texts.pop()!;
  assert.match(
    methods,
    /^methods assert,clear,context,count,countReset,createTask,debug,dir,dirxml,error,group,groupCollapsed,groupEnd,info,log,profile,profileEnd,table,time,timeEnd,timeLog,timeStamp,trace,warn$/,
    "Deno 2.9's console: a method added later is routed too, but check it here",
  );
  const [trace] = texts.splice(texts.findIndex((t) => t.startsWith("Trace: ")), 1);
  assert.match(trace!, /^Trace: traced\n {4}at Object\.run \(.*every_method\.ts:\d+:\d+\)/);
  const timers = texts.splice(texts.findIndex((t) => t.startsWith("t: ")), 2);
  assert.match(timers[0]!, /^t: \d+(\.\d+)?ms then$/);
  assert.match(timers[1]!, /^t: \d+(\.\d+)?ms$/);
  assert.deepEqual(texts, [
    "log x=5 { a: 1 }",
    "info",
    "debug",
    "warn",
    "error",
    "{ x: 1 }",
    "{ y: 2 }",
    [
      "┌───────┬───┬───┐",
      "│ (idx) │ a │ b │",
      "├───────┼───┼───┤",
      "│     0 │ 1 │ 2 │",
      "└───────┴───┴───┘",
    ].join("\n"),
    "group",
    "  inner",
    "  collapsed",
    "    deeper",
    "outer",
    "default: 1",
    "default: 2",
    "x: 1",
    "Assertion failed: boom",
    "cleared",
    "after clear",
    "via context",
    "task ran",
  ]);
  const levels = Object.fromEntries(logs.map((l) => [l.text.split("\n")[0], l.level]));
  assert.equal(levels["debug"], "debug");
  assert.equal(levels["warn"], "warn");
  assert.equal(levels["error"], "error");
  assert.equal(levels["Assertion failed: boom"], "error");
  assert.equal(levels["Trace: traced"], "error");
  const s = scriptReport(run, "every_method");
  assert.deepEqual(exitsOf(run, "every_method"), [], "never killed");
  assert.equal(s.restarts, 0);
  assert.equal(s.violations, 0);
  assert.equal(s.state, "running");
  assertKeptTicking(run, ticks);
});

Deno.test("no console method reaches the frame channel, however it is called, and the routed console cannot be replaced", async () => {
  await using folder = await attackFolder(["console_channel_escape"]);
  const ticks = 5;
  const run = await runAttacks(folder, ticks, { deadlineMs: 3000 });
  assertDenied(run, "console_channel_escape", {
    everyMethod: /^OK: \["assert","clear","context",.*"warn"\]$/,
    context: /^OK: true$/,
    createTask: /^OK: ran$/,
    redefine: /^TypeError: Cannot redefine property: table$/,
    assign: /^TypeError: Cannot assign to read only property 'dir' of object/,
    addMethod: /^TypeError: Cannot define property forged, object is not extensible$/,
    prototype: /^OK: $/,
    constructorConsole: /^OK: true$/,
    internalConsole: /^TypeError: Cannot read properties of undefined \(reading 'Console'\)$/,
    nodeConsole: /^ReferenceError: process is not defined$/,
  });
  // Everything it printed arrived as log text, forged frames included.
  const results = probes(run, "console_channel_escape");
  const methods = JSON.parse(results.everyMethod!.slice("OK: ".length)) as string[];
  assert.ok(methods.length >= 24, methods.join());
  const forged = run.events.filter((e) =>
    e.type === "log" && e.script === "console_channel_escape" && e.text.includes("result\u00ff")
  );
  assert.ok(forged.length >= methods.length, `${forged.length} log lines held the forged frame`);
  assert.deepEqual(exitsOf(run, "console_channel_escape"), [], "never killed for protocol");
  assert.equal(scriptReport(run, "console_channel_escape").violations, 0);
  assertConfined(run, ["console_channel_escape"]);
  assertKeptTicking(run, ticks);
});

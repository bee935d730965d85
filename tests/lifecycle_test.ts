import assert from "node:assert/strict";
import {
  assertNoTickLost,
  fieldValues,
  makeScripts,
  makeScriptsWithCounter,
  runTestWorld,
  runTestWorldUntil,
  scriptReport,
  startLiveWorld,
} from "./_world.ts";
import type { SupervisorEvent } from "../runtime/supervision/mod.ts";

const CRASHER = `
import { defineSystem } from "@syncra/std";
import { Counter } from "./_counter.ts";
export default defineSystem({ reads: [Counter], run(ctx) { if (ctx.tick % 7 === 0) Deno.exit(3); } });
`;

Deno.test("a crashing script restarts with backoff while a script beside it loses no tick", async () => {
  await using folder = await makeScriptsWithCounter({
    "crasher.ts": CRASHER,
  });
  const run = await runTestWorld(folder, { ticks: 400, hz: 200 });
  const crasher = scriptReport(run, "crasher");
  assert.ok(crasher.restarts >= 2, `restarts: ${crasher.restarts}`);
  assert.match(crasher.lastError ?? "", /code 3/);
  assert.ok((crasher.exits.crash ?? 0) >= 2, JSON.stringify(crasher.exits));
  assert.equal(crasher.lastExitReason, "crash");
  const exits = run.events.filter((e): e is Extract<SupervisorEvent, { type: "exit" }> =>
    e.type === "exit"
  );
  assert.ok(exits.every((e) => e.reason === "crash" && e.restartInMs !== null));
  const delays = exits.map((e) => e.restartInMs!);
  assert.ok(delays[1]! > delays[0]!, `backoff grows: ${delays}`);
  assertNoTickLost(run);
  assert.equal(scriptReport(run, "counter").restarts, 0);
});

Deno.test("a script stuck in while (true) misses deadlines, is killed and restarted; the world keeps ticking", async () => {
  await using folder = await makeScriptsWithCounter({
    "spin_forever.ts": `
      import { defineSystem } from "@syncra/std";
      export default defineSystem({ run() { while (true) {} } });`,
  });
  const restarted = (events: readonly SupervisorEvent[]) => {
    const kill = events.findIndex((e) => e.type === "exit" && e.script === "spin_forever");
    return kill >= 0 &&
      events.slice(kill).some((e) => e.type === "ready" && e.script === "spin_forever");
  };
  const run = await runTestWorldUntil(folder, restarted, { hz: 60, deadlineMs: 50 });
  const stuck = scriptReport(run, "spin_forever");
  assert.ok(stuck.lateTicks >= 1, `late: ${stuck.lateTicks}`);
  assert.ok(stuck.skippedTicks >= 1, `skipped while busy: ${stuck.skippedTicks}`);
  assert.ok(stuck.restarts >= 1, `restarts: ${stuck.restarts}`);
  assert.ok((stuck.exits.deadline ?? 0) >= 1, JSON.stringify(stuck.exits));
  assert.equal(stuck.lastExitReason, "deadline");
  const kills = run.events.filter((e) => e.type === "exit" && e.reason === "deadline");
  assert.ok(kills.length >= 1);
  assertNoTickLost(run);
});

Deno.test("a hung script costs the world at most one tick period per tick, not a freeze of its deadline", async () => {
  await using folder = await makeScriptsWithCounter({
    "hang.ts": `
      import { defineSystem } from "@syncra/std";
      export default defineSystem({ run() { while (true) {} } });`,
  });
  const killed = (events: readonly SupervisorEvent[]) =>
    events.some((e) => e.type === "exit" && e.script === "hang" && e.reason === "deadline");
  // 60 Hz and the default 250 ms deadline: before, each of three strikes froze the world 250 ms.
  const run = await runTestWorldUntil(folder, killed, { hz: 60 });
  const hang = scriptReport(run, "hang");
  assert.ok(hang.lateTicks >= 1 && hang.skippedTicks >= 5, JSON.stringify(hang));
  assert.match(
    hang.lastError ?? "",
    /^Killed \(deadline\): tick \d+ ran past the deadline of 250 ms$/,
  );
  assert.ok(
    run.report.tickMs.max < 150,
    `the longest tick took ${run.report.tickMs.max} ms (one period is 17 ms, the deadline 250)`,
  );
  assertNoTickLost(run);
});

Deno.test("two independent 50 ms systems run at the same time", async () => {
  const busy = (component: string) => `
    import { defineComponent, defineSystem } from "@syncra/std";
    const C = defineComponent("${component}", { x: "f32" });
    export default defineSystem({ writes: [C], run() { const end = performance.now() + 50; while (performance.now() < end) {} } });`;
  await using folder = await makeScripts({ "a.ts": busy("A"), "b.ts": busy("B") });
  const run = await runTestWorld(folder, { ticks: 12, deadlineMs: 1000 });
  assert.ok(run.report.tickMs.p50 < 90, `tick p50 ${run.report.tickMs.p50} ms`);
  assert.ok(run.report.tickMs.p50 >= 50, `tick p50 ${run.report.tickMs.p50} ms`);
});

Deno.test("saved state is restored on the next start and init does not run again", async () => {
  await using folder = await makeScriptsWithCounter({});
  const first = await runTestWorld(folder, { ticks: 30, fresh: true });
  assert.deepEqual(fieldValues(first, "Counter", "value"), [30]);
  const second = await runTestWorld(folder, { ticks: 20 });
  assert.equal(second.dump.tick, 50);
  assert.deepEqual(fieldValues(second, "Counter", "value"), [50]);
  const fresh = await runTestWorld(folder, { ticks: 5, fresh: true });
  assert.deepEqual(fieldValues(fresh, "Counter", "value"), [5]);
});

Deno.test("editing a script hot-reloads it alone, keeping world state and every tick", async () => {
  await using folder = await makeScriptsWithCounter({
    "tagger.ts": `
      import { defineComponent, defineSystem } from "@syncra/std";
      import { Counter } from "./_counter.ts";
      const Tag = defineComponent("Tag", { version: "u32" });
      export default defineSystem({
        reads: [Counter], writes: [Tag], spawns: true,
        run(ctx) { if (ctx.tick === 1) ctx.spawn({ Tag: { version: 1 } }); },
      });`,
  });
  const controller = new AbortController();
  let reloaded: number | null = null;
  let editedAt = Infinity;
  let started = () => {};
  const running = new Promise<void>((resolve) => (started = resolve));
  const run = runTestWorld(folder, {
    hz: 100,
    watch: true,
    signal: controller.signal,
    onStarted: () => started(),
    onEvent: (e) => {
      if (e.type === "ready" && e.reload) reloaded = performance.now();
    },
  });
  await running;
  await new Promise((r) => setTimeout(r, 200));
  editedAt = performance.now();
  await folder.write(
    "tagger.ts",
    `
    import { defineComponent, defineSystem } from "@syncra/std";
    const Tag = defineComponent("Tag", { version: "u32" });
    export default defineSystem({ writes: [Tag], run(ctx) { ctx.write(Tag).version.fill(2); } });`,
  );
  const deadline = performance.now() + 5000;
  while (reloaded === null && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 300));
  controller.abort();
  const result = await run;
  assert.ok(reloaded !== null, "the edit was picked up");
  assert.ok(reloaded > editedAt, "the reload came from the edit, not before it");
  assertNoTickLost(result);
  assert.deepEqual(
    fieldValues(result, "Tag", "version"),
    [2],
    "the new version runs on the old state",
  );
  assert.equal(scriptReport(result, "counter").restarts, 0);
  assert.equal(scriptReport(result, "tagger").state, "running");
});

Deno.test("deleting a script frees its component name for a new definition, which migrates the data", async () => {
  const defines = (schema: string, write: string) => `
    import { defineComponent, defineSystem } from "@syncra/std";
    const Score = defineComponent("Score", ${schema});
    export default defineSystem({
      writes: [Score], spawns: true,
      init(ctx) { ctx.spawn({ Score: { points: 7 } }); },
      run(ctx) { ${write} },
    });`;
  await using folder = await makeScripts({ "first.ts": defines(`{ points: "u32" }`, "") });
  const world = startLiveWorld(folder);
  const { waitFor } = world;
  await world.started;
  await new Promise((r) => setTimeout(r, 200));
  await Deno.remove(`${folder.scripts}/first.ts`);
  await new Promise((r) => setTimeout(r, 300));
  await folder.write(
    "second.ts",
    defines(
      `{ points: "u32", bonus: { type: "f32", default: 0.5 } }`,
      "ctx.write(Score).bonus.fill(2);",
    ),
  );
  await waitFor((e) => e.type === "ready" && e.script === "second");
  await new Promise((r) => setTimeout(r, 300));
  const result = await world.stop();
  const second = result.report.scripts.find((s) => s.name === "second");
  assert.equal(second?.state, "running", second?.lastError ?? "");
  const told = world.events.filter((e) => e.type === "added" || e.type === "removed")
    .map((e) => `${e.type} ${e.script}`);
  assert.deepEqual(told, ["removed first", "added second"]);
  // first.ts's entity, migrated, and the one second.ts's own init spawned (a new script's init
  // runs in a live world).
  assert.deepEqual(
    fieldValues(result, "Score", "points"),
    [7, 7],
    "the stored value survived the migration",
  );
  assert.deepEqual(fieldValues(result, "Score", "bonus"), [2, 2]);
});

Deno.test("a broken edit keeps the running version, reports the error, and the fix reloads", async () => {
  const version = (n: number) => `
    import { defineComponent, defineSystem } from "@syncra/std";
    const Version = defineComponent("Version", { n: "u32" });
    export default defineSystem({
      writes: [Version], spawns: true,
      init(ctx) { ctx.spawn({ Version: { n: 0 } }); },
      run(ctx) { ctx.write(Version).n.fill(${n}); },
    });`;
  await using folder = await makeScriptsWithCounter({ "versioned.ts": version(1) });
  const world = startLiveWorld(folder);
  const { events, waitFor } = world;
  // Edited only once the first version is running (its init ran) and watched.
  await world.started;
  await new Promise((r) => setTimeout(r, 100));
  await folder.write("versioned.ts", version(2).replace("fill(2)", "fill(2"));
  await waitFor((e) => e.type === "refused" && e.script === "versioned");
  const refused = events.find((e) => e.type === "refused");
  assert.match(refused?.type === "refused" ? refused.error : "", /versioned\.ts:7:\d+/);
  await new Promise((r) => setTimeout(r, 200));
  await folder.write("versioned.ts", version(3));
  await waitFor((e) => e.type === "ready" && e.reload && e.script === "versioned");
  await new Promise((r) => setTimeout(r, 200));
  const result = await world.stop();
  const s = result.report.scripts.find((x) => x.name === "versioned");
  assert.equal(s?.state, "running");
  assert.equal(s?.stale, false, "the fix took over");
  assert.deepEqual(fieldValues(result, "Version", "n"), [3]);
  assertNoTickLost(result);
  assert.equal(
    events.filter((e) => e.type === "exit" && e.script === "versioned" && e.reason !== "reload")
      .length,
    0,
  );
});

Deno.test("editing a component's module moves its data to the new schema, while a script still on the old definition keeps its own", async () => {
  const scoreModule = (schema: string) => `
    import { defineComponent } from "@syncra/std";
    export const Score = defineComponent("Score", ${schema});`;
  await using folder = await makeScripts({
    "_score.ts": scoreModule(`{ points: "u32" }`),
    "scorer.ts": `
      import { defineSystem } from "@syncra/std";
      import { Score } from "./_score.ts";
      export default defineSystem({
        writes: [Score], spawns: true,
        init(ctx) { ctx.spawn({ Score: { points: 7 } }); },
        run(ctx) { const p = ctx.write(Score).points; for (let i = 0; i < ctx.count; i++) p[i]++; },
      });`,
    // A copy of the first definition: the same component until the module changes.
    "copycat.ts": `
      import { defineComponent, defineSystem } from "@syncra/std";
      const Score = defineComponent("Score", { points: "u32" });
      export default defineSystem({ reads: [Score], run() {} });`,
  });
  const world = startLiveWorld(folder);
  await world.started;
  await new Promise((r) => setTimeout(r, 100));
  await folder.write(
    "_score.ts",
    scoreModule(`{ points: "u32", bonus: { type: "f32", default: 0.5 } }`),
  );
  await world.waitFor((e) => e.type === "ready" && e.script === "scorer" && e.reload);
  await new Promise((r) => setTimeout(r, 300));
  const run = await world.stop();
  // The editor's data followed its new definition, and kept counting.
  const [scored] = run.dump.entities.filter((e) => e.components["Score@_score.ts"]);
  const after = scored?.components["Score@_score.ts"] as { points: number; bonus: number };
  assert.equal(after?.bonus, 0.5);
  assert.ok(after.points > 7 + 10, `points ${after?.points}`);
  // The copy still declares the old definition: its data is its own, frozen where it was.
  const before = scored?.components["Score@copycat.ts"] as { points: number };
  assert.ok(before && before.points >= 7 && before.points < after.points, JSON.stringify(scored));
  assert.equal(scriptReport(run, "copycat").state, "running");
  assert.ok(run.events.some((e) => e.type === "warning" && /Component "Score"/.test(e.message)));
});

Deno.test("an async run that can never settle is reported as the script's error, not a crash", async () => {
  await using folder = await makeScriptsWithCounter({
    "never.ts": `
      import { defineSystem } from "@syncra/std";
      export default defineSystem({ run() { return new Promise(() => {}); } });`,
  });
  const run = await runTestWorld(folder, { ticks: 10 });
  const never = scriptReport(run, "never");
  assert.equal(never.state, "running");
  assert.deepEqual(never.exits, {}, "it never exited");
  assert.equal(never.errors, 10);
  assert.equal(
    never.lastError,
    "Error: run() returned a promise that never settles: nothing it waits for is left to happen " +
      "(no timer, read or fetch is pending)",
  );
  assertNoTickLost(run);
});

Deno.test("a slow script's late results are dropped, not its exceptions, and it is never killed for being slow", async () => {
  await using folder = await makeScriptsWithCounter({
    "slow.ts": `
      import { defineSystem } from "@syncra/std";
      export default defineSystem({
        async run() { await new Promise((r) => setTimeout(r, 60)); throw new Error("slow and wrong"); },
      });`,
  });
  // 50 Hz: the world waits 20 ms for it; the deadline (250 ms) is far.
  const run = await runTestWorld(folder, { ticks: 30, hz: 50 });
  const slow = scriptReport(run, "slow");
  assert.ok(slow.lateTicks >= 5 && slow.skippedTicks >= 5, JSON.stringify(slow));
  assert.ok(slow.errors >= 5, `errors heard: ${slow.errors}`);
  assert.match(slow.lastError ?? "", /slow and wrong/);
  assert.deepEqual(slow.exits, {}, "never killed");
  assertNoTickLost(run);
});

Deno.test("a refused edit leaves the old version running and marked stale; a script that throws is erroring", async () => {
  await using folder = await makeScriptsWithCounter({
    "edited.ts": `
      import { defineSystem } from "@syncra/std";
      export default defineSystem({ run() {} });`,
    "thrower.ts": `
      import { defineSystem } from "@syncra/std";
      export default defineSystem({ run() { throw new Error("every tick"); } });`,
  });
  const world = startLiveWorld(folder);
  await world.started;
  await new Promise((r) => setTimeout(r, 100));
  await folder.write(
    "edited.ts",
    `import { defineSystem } from "@syncra/std"; export default defineSystem({ run( });`,
  );
  await world.waitFor((e) => e.type === "refused" && e.script === "edited");
  await new Promise((r) => setTimeout(r, 100));
  const result = await world.stop();
  const report = Object.fromEntries(result.report.scripts.map((s) => [s.name, s]));
  assert.equal(report.edited!.state, "running");
  assert.equal(report.edited!.stale, true);
  assert.equal(report.thrower!.erroring, true);
  assert.equal(report.counter!.stale || report.counter!.erroring, false);
});

Deno.test("scripts that import a changed module take over together, so its component never has two definitions", async () => {
  const shared = (type: string) => `
    import { defineComponent } from "@syncra/std";
    export const Score = defineComponent("Score", { points: "${type}" });`;
  const user = (slowStartMs: number) => `
    import { defineSystem } from "@syncra/std";
    import { Score } from "./_shared.ts";
    // Start-up time of its own, so that the two new versions are ready at different times.
    const until = performance.now() + ${slowStartMs}; while (performance.now() < until) {}
    export default defineSystem({
      writes: [Score], spawns: true,
      init(ctx) { ctx.spawn({ Score: { points: 5 } }); },
      run(ctx) {},
    });`;
  await using folder = await makeScripts({
    "_shared.ts": shared("u32"),
    "fast.ts": user(0),
    "slow.ts": user(400),
  });
  const world = startLiveWorld(folder);
  await world.started;
  await new Promise((r) => setTimeout(r, 100));
  await folder.write("_shared.ts", shared("f64"));
  await world.waitFor((e) => e.type === "ready" && e.reload && e.script === "slow");
  await new Promise((r) => setTimeout(r, 200));
  const result = await world.stop();
  const rivals = world.events.filter((e) =>
    e.type === "warning" && /defined differently in two places/.test(e.message)
  );
  assert.deepEqual(rivals, [], "never two definitions of Score at once");
  assert.deepEqual(
    fieldValues(result, "Score", "points"),
    [5, 5],
    "the data followed the new type",
  );
  for (const name of ["fast", "slow"]) {
    const s = result.report.scripts.find((x) => x.name === name)!;
    assert.equal(s.state, "running", `${name}: ${s.lastError}`);
    assert.equal(s.stale, false);
  }
});

Deno.test("init runs once per script per world: added to a live world, after a failed init is fixed, never again on restore", async () => {
  const scene = (body: string) => `
    import { defineComponent, defineSystem } from "@syncra/std";
    const Marker = defineComponent("Marker", { n: "u32" });
    export default defineSystem({
      writes: [Marker], spawns: true,
      init(ctx) { ${body} },
    });`;
  await using folder = await makeScriptsWithCounter({});
  const world = startLiveWorld(folder);
  await world.started;
  await new Promise((r) => setTimeout(r, 100));
  // Added to a world that is already running: its init runs.
  await folder.write(
    "scene.ts",
    scene(`for (let i = 0; i < 3; i++) ctx.spawn({ Marker: { n: i } });`),
  );
  await world.waitFor((e) => e.type === "ready" && e.script === "scene");
  // A second script whose init throws: nothing of it is applied …
  await folder.write(
    "broken.ts",
    scene(`ctx.spawn({ Marker: { n: 100 } }); throw new Error("not yet");`),
  );
  await world.waitFor((e) => e.type === "log" && e.script === "broken" && /not yet/.test(e.text));
  await new Promise((r) => setTimeout(r, 100));
  // … until the file's next version, whose init runs.
  await folder.write("broken.ts", scene(`ctx.spawn({ Marker: { n: 7 } });`));
  await world.waitFor((e) => e.type === "ready" && e.reload && e.script === "broken");
  await new Promise((r) => setTimeout(r, 200));
  const first = await world.stop();
  assert.deepEqual(fieldValues(first, "Marker", "n").sort(), [0, 1, 2, 7]);

  // A restart from the saved state runs no init again.
  const second = await runTestWorld(folder, { ticks: 5 });
  assert.deepEqual(fieldValues(second, "Marker", "n").sort(), [0, 1, 2, 7]);
  // The counter carries on from the saved state (less any tick it answered late this run).
  const counter = scriptReport(second, "counter");
  assert.deepEqual(fieldValues(second, "Counter", "value"), [
    (fieldValues(first, "Counter", "value")[0] as number) + 5 - counter.lateTicks -
    counter.skippedTicks,
  ]);
});

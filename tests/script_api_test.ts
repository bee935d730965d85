/**
 * The script API of DESIGN §3 through real children: several queries, a
 * `changed` filter, resources and events, in a world that saves and restores
 * them. (The same rules against in-process systems:
 * runtime/coordinator/script_api_test.ts.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { IN_CI, makeScripts, runTestWorld, scriptReport, type TestRun } from "./_world.ts";
import { cli } from "./_cli.ts";

const GAME = `
import { defineComponent, defineEvent, defineResource } from "@syncra/std";
export const Door = defineComponent("Door", { open: "bool", radius: { type: "f32", default: 2 } });
export const Walker = defineComponent("Walker", { speed: "f32" });
export const Score = defineResource("Score", { points: "u32" });
export const DoorOpened = defineEvent("DoorOpened", { door: "entity", by: "entity", tick: "u32" });
export const Heard = defineResource("Heard", { count: "u32", lastTick: "u32" });
`;

const SCENE = `
import { defineSystem, Player, Transform } from "@syncra/std";
import { Door, Walker } from "./_game.ts";
export default defineSystem({
  writes: [Transform, Door, Player, Walker],
  spawns: true,
  init(ctx) {
    ctx.spawn({ Transform: { position: [5, 0, 0] }, Door: {} });
    ctx.spawn({ Transform: { position: [9, 0, 0] }, Door: {} });
    ctx.spawn({ Transform: { position: [0, 0, 0] }, Player: { id: 1 }, Walker: { speed: 6 } });
  },
});
`;

const WALKER = `
import { defineSystem, Transform } from "@syncra/std";
import { Walker } from "./_game.ts";
export default defineSystem({
  reads: [Walker],
  writes: [Transform],
  run(ctx) {
    const p = ctx.write(Transform).position, s = ctx.read(Walker).speed;
    for (let i = 0; i < ctx.count; i++) p[i * 3] += s[i] * ctx.dt;
  },
});
`;

const DOORS = `
import { defineSystem, Player, Transform } from "@syncra/std";
import { Door, DoorOpened, Score } from "./_game.ts";
export default defineSystem({
  queries: {
    doors: { reads: [Transform], writes: [Door] },
    players: { reads: [Transform], with: [Player] },
  },
  resources: { writes: [Score] },
  emits: [DoorOpened],
  run(ctx) {
    const doors = ctx.query("doors"), players = ctx.query("players");
    const door = doors.write(Door), dp = doors.read(Transform).position;
    const pp = players.read(Transform).position;
    for (let d = 0; d < doors.count; d++) {
      for (let p = 0; p < players.count; p++) {
        const near = Math.abs(dp[d * 3] - pp[p * 3]) < door.radius[d];
        if (near && !door.open[d]) {
          door.open[d] = 1;
          ctx.resource(Score).points += 1;
          ctx.emit(DoorOpened, { door: doors.entities[d], by: players.entities[p], tick: ctx.tick });
        }
      }
    }
  },
});
`;

const LISTENER = `
import { defineSystem } from "@syncra/std";
import { DoorOpened, Heard } from "./_game.ts";
export default defineSystem({
  receives: [DoorOpened],
  resources: { writes: [Heard] },
  run(ctx) {
    const heard = ctx.resource(Heard);
    for (const e of ctx.events(DoorOpened)) {
      if (e.tick !== ctx.tick - 1) throw new Error("event " + e.tick + " arrived at " + ctx.tick);
      heard.count += 1;
      heard.lastTick = ctx.tick;
    }
  },
});
`;

/** Doors, a player, and a listener of their event (the walker that moves the player is added apart). */
const DOOR_WORLD = {
  "_game.ts": GAME,
  "scene.ts": SCENE,
  "doors.ts": DOORS,
  "listener.ts": LISTENER,
};

function assertClean(run: TestRun, names: string[]) {
  for (const name of names) {
    const s = scriptReport(run, name);
    assert.deepEqual(
      [s.restarts, s.violations, s.errors],
      [0, 0, 0],
      `${name}: ${s.lastError ?? "no error"}`,
    );
  }
}

Deno.test("a door sees the players through a second query, keeps a score resource and tells a listener by event", async () => {
  await using folder = await makeScripts({ ...DOOR_WORLD, "walker.ts": WALKER });
  const run = await runTestWorld(folder, { ticks: 120, hz: 60 });
  assertClean(run, ["scene", "walker", "doors", "listener"]);
  const doors = run.dump.entities.filter((e) => e.components.Door);
  assert.deepEqual(doors.map((d) => d.components.Door!.open), [true, true], "both doors opened");
  const resources = run.dump.resources;
  assert.equal(resources.Score!.points, 2);
  assert.equal(resources.Heard!.count, 2, "the listener heard each opening, one tick later");
});

Deno.test("a changed query is shipped only the rows that changed since its last merged result", async () => {
  await using folder = await makeScripts({
    "_c.ts": `import { defineComponent, defineResource } from "@syncra/std";
      export const Heat = defineComponent("Heat", { v: "f32" });
      export const Seen = defineResource("Seen", { rows: "u32", ticks: "u32", wrong: "u32" });`,
    "a_spawn.ts": `import { defineSystem } from "@syncra/std";
      import { Heat } from "./_c.ts";
      export default defineSystem({ writes: [Heat], spawns: true,
        init(ctx) { for (let i = 0; i < 100; i++) ctx.spawn({ Heat: { v: i } }); } });`,
    // Changes 3 rows a tick: which ones moves along.
    "b_heater.ts": `import { defineSystem } from "@syncra/std";
      import { Heat } from "./_c.ts";
      export default defineSystem({ writes: [Heat], run(ctx) {
        const v = ctx.write(Heat).v;
        for (let k = 0; k < 3; k++) v[(ctx.tick * 3 + k) % ctx.count] += 1000;
      } });`,
    "c_watcher.ts": `import { defineSystem } from "@syncra/std";
      import { Heat, Seen } from "./_c.ts";
      export default defineSystem({
        queries: { hot: { reads: [Heat], changed: [Heat] } },
        resources: { writes: [Seen] },
        run(ctx) {
          const seen = ctx.resource(Seen), q = ctx.query("hot");
          seen.ticks += 1;
          seen.rows += q.count;
          if (ctx.tick > 1 && q.count !== 3) seen.wrong += 1;
        },
      });`,
  });
  const run = await runTestWorld(folder, { ticks: 40 });
  assertClean(run, ["a_spawn", "b_heater", "c_watcher"]);
  const seen = run.dump.resources.Seen!;
  assert.equal(seen.ticks, 40);
  assert.equal(seen.wrong, 0, "after the first tick, exactly the 3 changed rows each tick");
  assert.equal(seen.rows, 100 + 39 * 3, "the first tick ships every row");
});

Deno.test("resources and events not yet delivered survive a restart of the world", async () => {
  await using folder = await makeScripts({
    "_c.ts": `import { defineEvent, defineResource } from "@syncra/std";
      export const Tick = defineEvent("Tick", { n: "u32" });
      export const Sum = defineResource("Sum", { total: "u32", count: "u32" });`,
    "emitter.ts": `import { defineSystem } from "@syncra/std";
      import { Tick } from "./_c.ts";
      export default defineSystem({ emits: [Tick], run(ctx) { ctx.emit(Tick, { n: ctx.tick }); } });`,
    "summer.ts": `import { defineSystem } from "@syncra/std";
      import { Sum, Tick } from "./_c.ts";
      export default defineSystem({ receives: [Tick], resources: { writes: [Sum] }, run(ctx) {
        const sum = ctx.resource(Sum);
        for (const e of ctx.events(Tick)) { sum.total += e.n; sum.count += 1; }
      } });`,
  });
  await runTestWorld(folder, { ticks: 5 });
  const second = await runTestWorld(folder, { ticks: 5 });
  assert.equal(second.dump.tick, 10);
  const sum = second.dump.resources.Sum!;
  // Ticks 1–9's events were delivered (tick 5's across the restart); tick 10's waits in the save.
  assert.deepEqual([sum.count, sum.total], [9, 45]);
});

Deno.test("using a resource or event the manifest does not declare is the script's error, with its line", async () => {
  await using folder = await makeScripts({
    "_c.ts": `import { defineEvent, defineResource } from "@syncra/std";
      export const Score = defineResource("Score", { points: "u32" });
      export const Boom = defineEvent("Boom", { n: "u32" });`,
    "sneaky.ts": `import { defineSystem } from "@syncra/std";
      import { Boom, Score } from "./_c.ts";
      export default defineSystem({ resources: { reads: [Score] }, run(ctx) {
        if (ctx.tick === 2) ctx.emit(Boom, { n: 1 });
        ctx.resource(Score).points = 99;
      } });`,
  });
  const run = await runTestWorld(folder, { ticks: 4 });
  const s = scriptReport(run, "sneaky");
  assert.equal(s.violations, 0, "a manifest slip is a programming error, not a violation");
  assert.ok(s.errors >= 1);
  assert.match(
    s.lastError ?? "",
    /Cannot emit event "Boom".*add it to emits\n\s+at .*sneaky\.ts:4:/,
  );
  const score = run.dump.resources.Score!;
  assert.equal(score.points, 0, "a change to a resource it only reads is never merged");
  const warnings = run.events.filter((e) => e.type === "log" && e.level === "warn");
  assert.deepEqual(warnings.map((e) => e.type === "log" && e.text), [
    "wrote into resource Score, which it only reads: the write is dropped; add Score to the " +
    "system's resources.writes to change it",
  ]);
});

Deno.test("explain shows each query with what it matches in the saved world, and the resources and events", async () => {
  await using folder = await makeScripts(DOOR_WORLD);
  const jail = IN_CI ? ["--jail", "on"] : [];
  const world = await cli(["world", "--ticks", "2", "--hz", "0", "--quiet", ...jail], folder.root);
  assert.equal(world.code, 0, world.stderr);
  const { code, stdout, stderr } = await cli(
    ["explain", join(folder.scripts, "doors.ts"), ...jail],
    folder.root,
  );
  assert.equal(code, 0, stderr);
  assert.match(
    stdout,
    /^query\s+doors: reads Transform; writes Door \(matches 2 entities of the saved world\)$/m,
  );
  assert.match(
    stdout,
    /^query\s+players: reads Transform; with Player \(matches 1 entities of the saved world\)$/m,
  );
  assert.match(stdout, /^resources\s+reads \(none\); writes Score$/m);
  assert.match(stdout, /^events\s+emits DoorOpened; receives \(none\)$/m);
});

Deno.test("text fields travel as strings, are written back when they change, and are bounded by their max", async () => {
  await using folder = await makeScripts({
    "_c.ts": `import { defineComponent } from "@syncra/std";
      export const Label = defineComponent("Label", {
        text: { type: "text", max: 12, default: "?" }, size: { type: "f32", default: 1 } });`,
    "a_signs.ts": `import { defineSystem } from "@syncra/std";
      import { Label } from "./_c.ts";
      export default defineSystem({ writes: [Label], spawns: true, init(ctx) {
        ctx.spawn({ Label: { text: "hello" } });
        ctx.spawn({ Label: {} });
        ctx.spawn({ Label: { text: "ünïcødé" } });
      } });`,
    "b_clock.ts": `import { defineSystem } from "@syncra/std";
      import { Label } from "./_c.ts";
      export default defineSystem({ writes: [Label], run(ctx) {
        const text = ctx.write(Label).text;
        text[1] = "tick " + ctx.tick;
        if (ctx.tick === 3) text[0] = "far too long for twelve";
      } });`,
  });
  const run = await runTestWorld(folder, { ticks: 5 });
  assert.deepEqual(run.dump.entities.map((e) => e.components.Label!.text), [
    "hello",
    "tick 5",
    "ünïcødé",
  ]);
  const clock = scriptReport(run, "b_clock");
  assert.equal(clock.violations, 0);
  assert.equal(clock.errors, 1, "the overlong write was the script's error, once");
  assert.match(
    clock.lastError ?? "",
    /Invalid value for field "Label.text" at row 0: expected at most 12 bytes of text, got 23/,
  );
});

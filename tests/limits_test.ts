/**
 * The world owner's limits in syncra.json, end to end: a scene whose init
 * spawns more than the default allows runs once its file is given room, the
 * limits reach the child's command line, and a bad limit stops the world
 * with a message that names it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeScripts, runTestWorld } from "./_world.ts";
import { cli } from "./_cli.ts";

const SCENE = `
  import { defineSystem, Transform } from "@syncra/std";
  export default defineSystem({
    writes: [Transform], spawns: true,
    init(ctx) { for (let i = 0; i < 25_000; i++) ctx.spawn({ Transform: { position: [i, 0, 0] } }); },
  });`;
const IDLE = `
  import { defineSystem } from "@syncra/std";
  export default defineSystem({ run() {} });`;

Deno.test("a scene that spawns 25 000 entities in init fails whole by default and runs with a limit for its file", async () => {
  await using folder = await makeScripts({ "scene.ts": SCENE, "idle.ts": IDLE });
  const before = await runTestWorld(folder, { ticks: 3, fresh: true });
  assert.equal(before.dump.entities.length, 0, "nothing of a failed init is applied");
  const scene = before.report.scripts.find((s) => s.name === "scene")!;
  assert.match(scene.lastError ?? "", /Cannot spawn more than 10000 entities/);

  await Deno.writeTextFile(
    join(folder.root, "syncra.json"),
    JSON.stringify({ limits: { "scene.ts": { initSpawns: 25_000, heapMb: 200 } } }),
  );
  const after = await runTestWorld(folder, { ticks: 3, fresh: true });
  assert.equal(after.dump.entities.length, 25_000);
  const reports = Object.fromEntries(after.report.scripts.map((s) => [s.name, s]));
  assert.equal(reports.scene!.errors, 0);
  assert.ok(reports.scene!.command.some((a) => a.includes("--max-old-space-size=200")));
  assert.ok(
    reports.idle!.command.some((a) => a.includes("--max-old-space-size=128")),
    "others keep the defaults",
  );
});

Deno.test("explain shows the limits in force and where they come from; a bad limit is refused by name", async () => {
  await using folder = await makeScripts({ "idle.ts": IDLE });
  await Deno.writeTextFile(
    join(folder.root, "syncra.json"),
    JSON.stringify({
      limits: {
        default: { deadlineMs: 100 },
        "idle.ts": { logLinesPerTick: 5, backgroundCpuPercent: 150 },
      },
    }),
  );
  const jail = ["--jail", "auto"];
  const explained = await cli(["explain", join(folder.scripts, "idle.ts"), ...jail], folder.root);
  assert.equal(explained.code, 0, explained.stderr);
  assert.match(
    explained.stdout,
    /limits\s+heap 128 MiB, memory 256 MiB, 64 threads, deadline 100 ms, 256 spawns\/tick, 10000 init spawns, 100000 entities, 5 log lines\/tick, 150% of a core between ticks \(.*syncra\.json: "default", "idle\.ts"\)/,
  );

  await Deno.writeTextFile(
    join(folder.root, "syncra.json"),
    JSON.stringify({ limits: { "idle.ts": { deadlineMS: 100 } } }),
  );
  const refused = await cli(
    ["world", "--scripts", folder.scripts, "--ticks", "1", "--hz", "0", "--fresh", "--no-watch"],
    folder.root,
  );
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /Invalid world configuration in .*syncra\.json: "limits"\."idle\.ts"\."deadlineMS" is not a limit \(did you mean "deadlineMs"\?\)/,
  );
});

Deno.test("a file's own deadline, entity and log limits hold for it alone", async () => {
  await using folder = await makeScripts({
    "slow.ts": `
      import { defineSystem } from "@syncra/std";
      export default defineSystem({ async run() { await new Promise((r) => setTimeout(r, 150)); } });`,
    "chatty.ts": `
      import { defineSystem } from "@syncra/std";
      export default defineSystem({ run() { for (let i = 0; i < 20; i++) console.log("line", i); } });`,
    "spawner.ts": `
      import { defineSystem, Transform } from "@syncra/std";
      export default defineSystem({ writes: [Transform], spawns: true, run(ctx) { ctx.spawn({ Transform: {} }); } });`,
  });
  await Deno.writeTextFile(
    join(folder.root, "syncra.json"),
    JSON.stringify({
      limits: {
        "slow.ts": { deadlineMs: 40 },
        "chatty.ts": { logLinesPerTick: 3 },
        "spawner.ts": { entities: 2 },
      },
    }),
  );
  const run = await runTestWorld(folder, { ticks: 8, fresh: true, deadlineMs: 1000 });
  const reports = Object.fromEntries(run.report.scripts.map((s) => [s.name, s]));
  assert.ok(reports.slow!.lateTicks >= 1, JSON.stringify(reports.slow));
  assert.match(
    reports.slow!.lastError ?? "",
    /^Killed \(deadline\): tick \d+ ran past the deadline of 40 ms$/,
  );
  const logs = run.events.filter((e) => e.type === "log" && e.script === "chatty").length;
  assert.equal(logs, 8 * 3, "3 lines a tick are kept");
  assert.equal(reports.chatty!.droppedLogs, 8 * 17);
  assert.match(reports.spawner!.lastError ?? "", /it owns 2 entities, the limit is 2/);
  assert.equal(run.dump.entities.length, 2);
});

Deno.test("a scene of 10 000 entities with four components each fits its init's frame by default", async () => {
  await using folder = await makeScripts({
    "scene.ts": `
      import { defineSystem, Material, Mesh, MeshShape, Transform, Velocity } from "@syncra/std";
      export default defineSystem({
        writes: [Transform, Mesh, Material, Velocity], spawns: true,
        init(ctx) {
          for (let i = 0; i < 10_000; i++) {
            ctx.spawn({
              Transform: { position: [i, 0, 0], scale: [0.5, 0.5, 0.5] },
              Mesh: { shape: MeshShape.Box },
              Material: { color: [ctx.random(), ctx.random(), ctx.random()] },
              Velocity: { linear: [0, 1, 0] },
            });
          }
        },
      });`,
  });
  const run = await runTestWorld(folder, { ticks: 2, fresh: true });
  const scene = run.report.scripts.find((s) => s.name === "scene")!;
  assert.deepEqual([scene.restarts, scene.errors], [0, 0], scene.lastError ?? "");
  assert.equal(run.dump.entities.length, 10_000);
});

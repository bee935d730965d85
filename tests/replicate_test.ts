/**
 * Which components may leave the server (DESIGN §11): those defined with
 * `replicate: true` (the built-in render and player components are), unless
 * the world owner's syncra.json says otherwise — through real script
 * children and the world's report.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { defineComponent } from "../std/mod.ts";
import { validateDriverManifest, validateManifest } from "../runtime/roles/mod.ts";
import { makeScripts, runTestWorld } from "./_world.ts";

const SCORES = `
import { defineComponent, defineSystem, Velocity } from "@syncra/std";
export const Score = defineComponent("Score", { points: "u32" }, { replicate: true });
export const Secret = defineComponent("Secret", { pin: "u32" });
export default defineSystem({
  writes: [Score, Secret, Velocity], spawns: true,
  init(ctx) { ctx.spawn({ Score: { points: 1 }, Secret: { pin: 1234 }, Velocity: {} }); },
  run() {},
});`;

const BUILTIN_REPLICATED = [
  "AudioSource",
  "Light",
  "Material",
  "Mesh",
  "Parent",
  "Player",
  "Transform",
];

Deno.test("a component defined with replicate: true may leave the server; one without, and Velocity, Camera and Input, may not", async () => {
  await using folder = await makeScripts({ "scores.ts": SCORES });
  const run = await runTestWorld(folder, { ticks: 3 });
  assert.deepEqual(run.report.replicated, [...BUILTIN_REPLICATED, "Score"].sort());
});

Deno.test("the world owner's syncra.json decides over a definition: replicate true or false per component", async () => {
  await using folder = await makeScripts({ "scores.ts": SCORES });
  await Deno.writeTextFile(
    join(folder.root, "syncra.json"),
    JSON.stringify({
      components: {
        Secret: { replicate: true },
        Score: { replicate: false },
        Player: { replicate: false, writers: [] },
      },
    }),
  );
  const run = await runTestWorld(folder, { ticks: 3 });
  assert.deepEqual(
    run.report.replicated,
    [...BUILTIN_REPLICATED.filter((c) => c !== "Player"), "Secret"].sort(),
  );
});

Deno.test("a bad replicate option or rule is refused naming it; a manifest cannot claim a component it does not declare", async () => {
  assert.throws(
    () => defineComponent("Odd", { x: "f32" }, { replicate: "yes" as never }),
    /Cannot define component "Odd": "replicate" must be true or false/,
  );
  assert.throws(
    () => validateManifest({ hasRun: true, components: {}, replicated: ["Stolen"] }, "thief.ts"),
    /Invalid manifest in "thief.ts": "replicated" must list components it declares/,
  );
  assert.throws(
    () =>
      validateManifest(
        { writes: ["Score"], components: { Score: { points: "u32" } }, replicated: ["Other"] },
        "thief.ts",
      ),
    /"replicated" names "Other", which it does not declare/,
  );
  assert.throws(
    () => validateDriverManifest({ replicated: [1] }, "driver.ts"),
    /Invalid driver manifest in "driver.ts": "replicated"/,
  );
  await using folder = await makeScripts({ "scores.ts": SCORES });
  await Deno.writeTextFile(
    join(folder.root, "syncra.json"),
    JSON.stringify({ components: { Score: { replicate: "always" } } }),
  );
  await assert.rejects(
    () => runTestWorld(folder, { ticks: 1 }),
    /"components"."Score".replicate must be true or false/,
  );
});

const PEEK = `
import { defineDriver } from "@syncra/std";
export default defineDriver({
  readsReplicated: true,
  start(ctx) {
    ctx.onChanges((changes) => {
      const names = changes.components.map((c) => c.name).sort();
      const score = changes.components.find((c) => c.name === "Score");
      const points = score ? [...changes.rows(score).columns.points] : [];
      if (points.length > 0) ctx.log("feed", JSON.stringify({ names, points }));
      try {
        changes.rows({ name: "Secret", fields: [] } as never);
      } catch (error) {
        ctx.log("secret:", (error as Error).message);
      }
    });
  },
});`;

const SCORE_UP = `
import { defineSystem } from "@syncra/std";
import { Score } from "./scores.ts";
export default defineSystem({
  writes: [Score],
  run(ctx) { ctx.write(Score).points.fill(ctx.tick + 1); },
});`;

Deno.test("a driver with readsReplicated is fed every replicated component as the world defines it, and nothing else", async () => {
  await using folder = await makeScripts({ "scores.ts": SCORES, "score_up.ts": SCORE_UP });
  await Deno.mkdir(join(folder.root, "drivers"));
  await Deno.writeTextFile(join(folder.root, "drivers", "peek.ts"), PEEK);
  await Deno.writeTextFile(
    join(folder.root, "syncra.json"),
    JSON.stringify({ drivers: { peek: { file: "drivers/peek.ts" } } }),
  );
  const run = await runTestWorld(folder, { ticks: 20, hz: 60 });
  const feeds = run.events.flatMap((e) =>
    e.type === "log" && e.script === "peek" && e.text.startsWith("feed ")
      ? [JSON.parse(e.text.slice(5)) as { names: string[]; points: number[] }]
      : []
  );
  assert.ok(feeds.length >= 3, `fed ${feeds.length} times with a Score`);
  for (const feed of feeds) assert.deepEqual(feed.names, [...BUILTIN_REPLICATED, "Score"].sort());
  // The score climbs tick by tick, and the driver hears it.
  assert.ok(feeds.at(-1)!.points[0]! > feeds[0]!.points[0]!, JSON.stringify(feeds));
  const refusal = run.events.find((e) =>
    e.type === "log" && e.script === "peek" && e.text.startsWith("secret:")
  );
  assert.match(
    refusal && "text" in refusal ? refusal.text : "",
    /Cannot read component "Secret" in driver "peek": it is not in the driver's reads/,
  );
  const peek = run.report.drivers.find((d) => d.name === "peek")!;
  assert.deepEqual([peek.state, peek.violations], ["running", 0], peek.lastError ?? "");
});

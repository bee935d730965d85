import assert from "node:assert/strict";
import { join } from "node:path";
import { IN_CI, makeScripts } from "./_world.ts";
import { cli } from "./_cli.ts";

const jail = IN_CI ? ["--jail", "on"] : [];

/** A writer of Heat and a Score, an emitter of Ping, and a reader of all three. */
const FOLDER = {
  "_shared.ts": `import { defineComponent, defineEvent, defineResource } from "@syncra/std";
export const Heat = defineComponent("Heat", { value: "f32" });
export const Score = defineResource("Score", { points: "u32" });
export const Ping = defineEvent("Ping", { from: "entity" });`,
  "heater.ts": `import { defineSystem, Transform } from "@syncra/std";
import { Heat, Ping, Score } from "./_shared.ts";
export default defineSystem({
  queries: { hot: { reads: [Transform], writes: [Heat] } },
  resources: { writes: [Score] },
  emits: [Ping],
  run() {},
});`,
  "watcher.ts": `import { defineSystem } from "@syncra/std";
import { Heat, Ping, Score } from "./_shared.ts";
export default defineSystem({
  reads: [Heat],
  resources: { reads: [Score] },
  receives: [Ping],
  run() {},
});`,
};

Deno.test("graph prints the folder's reads, writes and events as Mermaid and draws them as SVG", async () => {
  await using folder = await makeScripts(FOLDER);
  const svgPath = join(folder.root, "graph.svg");
  const { code, stdout, stderr } = await cli(
    ["graph", "--scripts", folder.scripts, "--svg", svgPath, ...jail],
    folder.root,
  );
  assert.equal(code, 0, stderr);
  const lines = stdout.split("\n").map((l) => l.trim());
  assert.equal(lines[1], "flowchart LR");
  for (
    const edge of [
      "component_Transform --> system_heater",
      "system_heater ==> component_Heat",
      "component_Heat --> system_watcher",
      "system_heater ==> resource_Score",
      "resource_Score --> system_watcher",
      "system_heater -.-> event_Ping",
      "event_Ping -.-> system_watcher",
    ]
  ) {
    assert.ok(lines.includes(edge), `missing ${edge} in:\n${stdout}`);
  }
  // The module of shared code is no system.
  assert.doesNotMatch(stdout, /_shared/);
  assert.match(stderr, /SVG written to .*graph\.svg/);

  const svg = await Deno.readTextFile(svgPath);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  for (const label of ["heater", "watcher", "Transform", "Heat", "Score", "Ping"]) {
    assert.ok(svg.includes(`>${label}</text>`), `the SVG does not show ${label}`);
  }
  for (const tip of ["heater writes Heat", "watcher reads Score", "watcher receives Ping"]) {
    assert.ok(svg.includes(`<title>${tip}</title>`), tip);
  }
});

Deno.test("graph leaves a refused script out and says why on stderr", async () => {
  await using folder = await makeScripts({
    ...FOLDER,
    "broken.ts": `import { defineSystem } from "@syncra/std";
      export default defineSystem({ reads: "Heat", run() {} });`,
  });
  const { code, stdout, stderr } = await cli(
    ["graph", "--scripts", folder.scripts, ...jail],
    folder.root,
  );
  assert.equal(code, 0, stderr);
  assert.match(stderr, /broken\.ts refused, left out of the graph: .*"reads" must be an array/);
  assert.doesNotMatch(stdout, /broken/);
  assert.match(stdout, /system_heater ==> component_Heat/);
});

Deno.test("graph of a missing folder says so and exits 2", async () => {
  await using folder = await makeScripts({});
  const missing = join(folder.root, "nowhere");
  const { code, stdout, stderr } = await cli(["graph", "--scripts", missing, ...jail]);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.match(stderr, /Cannot draw the graph of ".*nowhere": no such folder/);
});

Deno.test("graph suggests the flag a typo meant and refuses flags of other commands", async () => {
  const typo = await cli(["graph", "--sv", "x.svg"]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /Unknown option '--sv' \(did you mean --svg\?\)/);
  const foreign = await cli(["graph", "--ticks", "3"]);
  assert.equal(foreign.code, 2);
  assert.match(foreign.stderr, /The flag --ticks does not apply to deno task graph/);
});

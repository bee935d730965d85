/**
 * Hole 4 of the second round: what a script costs the trusted side, in
 * bytes. A script's entities, the components it attached and the archetypes
 * its commands created are charged to it; over its budget its excess is
 * discarded and it is killed for "budget", while the runtime stays within
 * 512 MiB resident and the state file stays bounded. (A result padded with
 * millions of empty maps is in protocol_test.ts: the decoder's budget.)
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { IN_CI } from "../_world.ts";
import { cli } from "../_cli.ts";
import {
  assertConfined,
  assertKeptTicking,
  attackFolder,
  exitsOf,
  lastWords,
  runAttacks,
} from "./_attack.ts";

const MiB = 1024 * 1024;

Deno.test("entities of 62 components of 16 quats each stop at the script's 64 MiB budget; it is killed for budget while the runtime stays within 512 MiB and the state stays bounded", async () => {
  // Through the CLI, in a process of its own, so that the report's peak RSS is the runtime's.
  await using folder = await attackFolder(["component_bloat"]);
  const ticks = 40;
  const report = join(folder.root, "report.json");
  const dump = join(folder.root, "dump.json");
  const state = join(folder.root, "world.state");
  const { code, stderr } = await cli([
    "world",
    ...["--scripts", folder.scripts, "--ticks", String(ticks), "--hz", "0", "--fresh"],
    ...["--no-watch", "--quiet", "--deadline", "2000", "--state", state],
    ...["--report", report, "--dump", dump, ...(IN_CI ? ["--jail", "on"] : [])],
  ], folder.root);
  assert.equal(code, 0, stderr);
  const r = JSON.parse(await Deno.readTextFile(report));
  const bloat = r.scripts.find((s: { name: string }) => s.name === "component_bloat");
  assert.ok(bloat.exits.budget >= 1, JSON.stringify(bloat));
  assert.match(
    bloat.lastError,
    /^Killed \(budget\): it would make the world hold 64\.\d MiB of its component data, the limit is 64\.0 MiB$/,
  );
  if (IN_CI) assert.equal(bloat.isolation, "jail");
  assert.ok(r.runtimePeakRssMb <= 512, `runtime peak RSS ${r.runtimePeakRssMb} MiB`);
  const size = (await Deno.stat(state)).size;
  assert.ok(size <= 80 * MiB, `state file ${(size / MiB).toFixed(1)} MiB`);
  // The dump has one entity a line: stream it, so 60 MB of bloat never sits in this process.
  let bloated = 0;
  let counter: unknown = null;
  let rest = "";
  const file = await Deno.open(dump);
  for await (const chunk of file.readable.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop()!;
    for (const line of lines) {
      if (line.includes('"Bloat0"')) bloated++;
      else if (line.includes('"Counter"')) counter = JSON.parse(line.replace(/,$/, "")).components;
    }
  }
  assert.ok(bloated > 0 && bloated * 62 * 16 * 16 <= 64 * MiB, `${bloated} entities`);
  assert.deepEqual(counter, { Counter: { value: ticks } }, "the counter lost no tick");
  const honest = r.scripts.find((s: { name: string }) => s.name === "counter");
  assert.equal(honest.restarts, 0);
  assert.equal(honest.violations, 0);
  console.log(
    `component_bloat: ${bloated} entities kept, state ${(size / MiB).toFixed(1)} MiB, ` +
      `runtime peak RSS ${r.runtimePeakRssMb} MiB`,
  );
});

Deno.test("a script spreading its entities over new component sets, and churning them through more, is killed at 256 archetypes", async () => {
  await using folder = await attackFolder(["archetype_churn"]);
  const ticks = 30;
  const run = await runAttacks(folder, ticks, { deadlineMs: 2000 });
  const exits = exitsOf(run, "archetype_churn");
  assert.ok(exits.length >= 1, lastWords(run, "archetype_churn"));
  for (const exit of exits) {
    assert.equal(exit.reason, "budget", exit.detail);
    assert.match(
      exit.detail,
      /^Killed \(budget\): its commands created 256 distinct component sets \(archetypes\), the limit is 256$/,
    );
  }
  // Entities beyond the budget were never spawned.
  const churned =
    run.dump.entities.filter((e) => Object.keys(e.components).some((c) => c.startsWith("Churn")))
      .length;
  assert.ok(churned <= 256 * 3, `${churned} entities`);
  console.log(`archetype_churn: runtime peak RSS ${(run.peakRssBytes / MiB).toFixed(0)} MiB`);
  assertConfined(run, ["archetype_churn"]);
  assertKeptTicking(run, ticks);
});

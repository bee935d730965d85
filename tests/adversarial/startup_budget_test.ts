/**
 * Hole 8 of the second round, start-up: module code and `init` each have a
 * time budget (3 s by default). A script over it is killed for "deadline"
 * and restarted with backoff, and the world's first tick waits for nobody
 * longer than that: before the fix, 9.5 s of spinning in each delayed the
 * first tick by 19 s with no strike.
 *
 * @module
 */
import assert from "node:assert/strict";
import { scriptReport } from "../_world.ts";
import {
  assertConfined,
  assertKeptTicking,
  attackFolder,
  exitsOf,
  lastWords,
  runAttacks,
} from "./_attack.ts";

Deno.test("a script spinning in its module code or its init is killed for deadline at its budget, and the first tick waits no longer", async () => {
  await using folder = await attackFolder(["slow_module", "slow_init"]);
  const ticks = 20;
  const started = performance.now();
  const run = await runAttacks(folder, ticks, { hz: 20 });
  const wallMs = performance.now() - started;
  const [module] = exitsOf(run, "slow_module");
  assert.ok(module, lastWords(run, "slow_module"));
  assert.equal(module.reason, "deadline");
  assert.match(
    module.detail,
    /^spent more than 3000 ms starting and running its module code \(its describe budget\)/,
  );
  assert.notEqual(module.restartInMs, null, "it is restarted with backoff");
  const [init] = exitsOf(run, "slow_init");
  assert.ok(init, lastWords(run, "slow_init"));
  assert.equal(init.reason, "deadline");
  assert.match(init.detail, /spent more than 3000 ms in init \(its init budget\)/);
  assert.equal(
    run.dump.entities.filter((e) => e.components.Slow).length,
    0,
    "nothing init queued was applied",
  );
  assert.equal(scriptReport(run, "slow_module").exits.deadline, exitsOf(run, "slow_module").length);
  // Start-up is bounded by the two budgets (3 s each) plus the 1 s of ticks, not 19 s.
  assert.ok(wallMs < 12_000, `the world took ${Math.round(wallMs)} ms`);
  console.log(`startup under attack: ${Math.round(wallMs)} ms for ${ticks} ticks at 20 Hz`);
  assertConfined(run, ["slow_init"]);
  assertKeptTicking(run, ticks);
});

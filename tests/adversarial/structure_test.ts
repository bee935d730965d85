/**
 * Hole 1 of the second round: structural commands on any id. A script may
 * despawn, attach to or detach from only entities it was shipped this tick
 * or spawned itself (DESIGN §5 step 1); everything else is a violation,
 * counted and logged with the script's name, and the world is unchanged.
 *
 * @module
 */
import assert from "node:assert/strict";
import { scriptReport } from "../_world.ts";
import { assertConfined, assertKeptTicking, attackFolder, fixture, runAttacks } from "./_attack.ts";

const NOT_YOURS =
  /^Cannot (despawn|attach "Velocity" to|remove "Transform" from) entity \d+ from script "structural_any_id": it was not shipped to the script this tick and the script did not spawn it$/;

Deno.test("despawn, attach and detach of entities a script was not shipped and did not spawn are violations, and change nothing", async () => {
  await using folder = await attackFolder(["structural_any_id", "structural_in_init", "victims"], {
    extra: { "_victims.ts": await fixture("_victims.ts") },
  });
  const ticks = 30;
  const run = await runAttacks(folder, ticks);

  const violations = run.events.filter((e) => e.type === "violation");
  const byAnyId = violations.filter((e) => e.script === "structural_any_id");
  assert.ok(byAnyId.length > 0, "the attack was seen");
  for (const v of byAnyId) assert.match(v.type === "violation" ? v.message : "", NOT_YOURS);
  assert.ok(scriptReport(run, "structural_any_id").violations > 0);

  const inInit = violations.filter((e) => e.script === "structural_in_init");
  assert.ok(inInit.length > 0, "init's despawns of others' ids were violations");
  for (const v of inInit) {
    assert.match(
      v.type === "violation" ? v.message : "",
      /^Cannot despawn entity \d+ from script "structural_in_init": it was not shipped/,
    );
  }

  // The camera and the box are exactly as spawned: nothing vanished, nothing gained a Velocity.
  const victims = run.dump.entities.filter((e) => e.components.Victim);
  assert.deepEqual(victims.map((e) => e.components.Victim!.kind).sort(), [1, 2]);
  for (const v of victims) {
    assert.ok(v.components.Transform, "kept its Transform");
    assert.equal(v.components.Velocity, undefined, "gained no Velocity");
  }
  assert.ok(run.dump.entities.some((e) => e.components.Camera), "the camera is still there");
  // Nothing an init queued was applied: it broke its grants, so its whole result was dropped.
  assert.equal(run.dump.entities.filter((e) => e.components.Mark).length, 0);
  assert.equal(scriptReport(run, "victims").violations, 0);
  assertConfined(run, ["structural_any_id", "structural_in_init"]);
  assertKeptTicking(run, ticks);
});

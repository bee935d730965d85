/**
 * Hole 8 of the second round, values: every number entering the world must
 * fit its field's type, on every merge and every spawn. Before the fix
 * `Infinity` and `-1` were accepted in integer and id fields and dumped as
 * null; now they are refused with the field and the range, through the API
 * by the host and, forged past it, by the coordinator.
 *
 * @module
 */
import assert from "node:assert/strict";
import { scriptReport } from "../_world.ts";
import { assertConfined, assertKeptTicking, attackFolder, runAttacks } from "./_attack.ts";

Deno.test("values that do not fit their field types are refused on every spawn and merge, and the dump holds no null", async () => {
  await using folder = await attackFolder(["values_out_of_range"]);
  const ticks = 8;
  const run = await runAttacks(folder, ticks);
  const messages = run.events.filter((e) =>
    e.type === "violation" && e.script === "values_out_of_range"
  )
    .map((e) => (e.type === "violation" ? e.message : ""));
  for (
    const expected of [
      /field "Ranged\.n": expected an integer from 0 to 4294967295, got -1/,
      /field "Ranged\.e": expected an entity id \(an integer from 0 to 4294967295\), got Infinity/,
      /field "Ranged\.f": expected a finite f32, got NaN/,
      /field "Ranged\.i": expected an integer from -2147483648 to 2147483647, got 2147483648/,
      /field "Ranged\.b": expected true, false, 0 or 1, got 2/,
      /field "Ranged\.d": expected a finite number, got -Infinity/,
      /field "Ranged\.small": expected an integer from 0 to 255, got 256/,
      /^Column "Ranged\.f" from script "values_out_of_range" holds a value that is not a finite number at row 0/,
    ]
  ) {
    assert.ok(messages.some((m) => expected.test(m)), `${expected}: ${messages.join(" | ")}`);
  }
  // Through the API the host refuses at once, naming the field.
  assert.ok(
    run.events.some((e) =>
      e.type === "log" && e.script === "values_out_of_range" &&
      /^API TypeError: Invalid value for field "Ranged\.n": expected an integer from 0 to 4294967295, got Infinity$/
        .test(e.text)
    ),
  );
  // Only the one honest spawn of init made it, with its values intact.
  const ranged = run.dump.entities.filter((e) => e.components.Ranged);
  assert.deepEqual(ranged.map((e) => e.components.Ranged), [
    { n: 1, i: 0, e: 0, f: 1.5, b: false, d: 0, small: 0 },
  ]);
  assert.ok(!JSON.stringify(run.dump).includes("null"), "no value dumps as null");
  assert.ok(scriptReport(run, "values_out_of_range").violations >= ticks - 1);
  assertConfined(run, ["values_out_of_range"]);
  assertKeptTicking(run, ticks);
});

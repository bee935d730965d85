import assert from "node:assert/strict";
import {
  COUNTER_MODULE,
  COUNTER_SCRIPT,
  fieldValues,
  makeScripts,
  runTestWorld,
  scriptReport,
} from "./_world.ts";

const HOSTILE = {
  "write_outside_grant.ts": `
    import { defineSystem, Transform } from "@syncra/std";
    import { Counter } from "./_counter.ts";
    export default defineSystem({
      reads: [Counter],
      run(ctx) { ctx.write(Counter).value.fill(999); },
    });`,
  "spawn_without_grant.ts": `
    import { defineSystem, Transform } from "@syncra/std";
    export default defineSystem({
      writes: [Transform],
      run(ctx) { ctx.spawn({ Transform: {} }); },
    });`,
  "attach_outside_writes.ts": `
    import { defineSystem, Transform } from "@syncra/std";
    import { Counter } from "./_counter.ts";
    export default defineSystem({
      reads: [Counter],
      writes: [Transform],
      spawns: true,
      run(ctx) { ctx.add(1, Counter, { value: 5 }); },
    });`,
  "read_outside_grant.ts": `
    import { defineSystem, Velocity } from "@syncra/std";
    import { Counter } from "./_counter.ts";
    export default defineSystem({
      writes: [Counter],
      run(ctx) { ctx.read(Velocity); },
    });`,
};

Deno.test("coordinator rejects each kind of grant violation, names the script, and leaves the world unchanged", async () => {
  await using folder = await makeScripts({
    "_counter.ts": COUNTER_MODULE,
    "counter.ts": COUNTER_SCRIPT,
    ...HOSTILE,
  });
  const run = await runTestWorld(folder, { ticks: 20 });
  for (const name of Object.keys(HOSTILE).map((f) => f.replace(".ts", ""))) {
    const s = scriptReport(run, name);
    assert.equal(s.state, "running", name);
    assert.ok(s.violations >= 20, `${name}: ${s.violations} violations`);
    assert.match(s.lastError ?? "", new RegExp(`script "${name}"`), name);
  }
  assert.match(
    scriptReport(run, "write_outside_grant").lastError!,
    /Cannot write component "Counter".*not in the script's writes/,
  );
  assert.match(
    scriptReport(run, "spawn_without_grant").lastError!,
    /does not declare spawns: true/,
  );
  assert.match(
    scriptReport(run, "attach_outside_writes").lastError!,
    /Cannot attach component "Counter"/,
  );
  assert.match(
    scriptReport(run, "read_outside_grant").lastError!,
    /Cannot read component "Velocity"/,
  );
  const violations = run.events.filter((e) => e.type === "violation");
  assert.ok(violations.length >= 80);
  // The world is exactly what the honest script made of it.
  assert.deepEqual(fieldValues(run, "Counter", "value"), [20]);
  assert.equal(run.report.entities, 1);
  assert.equal(scriptReport(run, "counter").violations, 0);
});

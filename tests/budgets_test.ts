import assert from "node:assert/strict";
import {
  assertNoTickLost,
  makeScriptsWithCounter,
  runTestWorld,
  runTestWorldUntil,
} from "./_world.ts";

Deno.test("a script burning CPU between its ticks is killed for cpu while the world keeps ticking", async () => {
  await using folder = await makeScriptsWithCounter({
    "background_burner.ts": `
      import { defineSystem } from "@syncra/std";
      const burn = () => { const end = performance.now() + 40; while (performance.now() < end) {} setTimeout(burn, 0); };
      burn();
      export default defineSystem({ run() {} });`,
  });
  const run = await runTestWorldUntil(
    folder,
    (events) => events.some((e) => e.type === "exit" && e.script === "background_burner"),
    { hz: 5 },
  );
  const kill = run.events.find((e) => e.type === "exit" && e.script === "background_burner");
  assert.equal(kill?.type === "exit" && kill.reason, "cpu");
  assert.match(kill?.type === "exit" ? kill.detail : "", /CPU outside its ticks/);
  assertNoTickLost(run);
});

Deno.test("without a cgroup, the RSS watchdog kills an ArrayBuffer bomb for memory", async () => {
  await using folder = await makeScriptsWithCounter({
    "arraybuffer_bomb.ts": `
      import { defineSystem } from "@syncra/std";
      const hoard: Uint8Array[] = [];
      export default defineSystem({ run() { for (let i = 0; i < 4; i++) hoard.push(new Uint8Array(8 << 20).fill(1)); } });`,
  });
  const run = await runTestWorld(folder, { ticks: 60, hz: 20, cgroups: false, memoryMb: 160 });
  const kill = run.events.find((e) => e.type === "exit" && e.script === "arraybuffer_bomb");
  assert.equal(kill?.type === "exit" && kill.reason, "memory");
  assert.match(
    kill?.type === "exit" ? kill.detail : "",
    /resident memory \d+ MiB exceeds the budget of 160 MiB/,
  );
  assertNoTickLost(run);
});

Deno.test("with a cgroup, an ArrayBuffer bomb is killed by the kernel and reported as memory", async () => {
  await using folder = await makeScriptsWithCounter({
    "arraybuffer_bomb.ts": `
      import { defineSystem } from "@syncra/std";
      const hoard: Uint8Array[] = [];
      export default defineSystem({ run() { for (let i = 0; i < 8; i++) hoard.push(new Uint8Array(8 << 20).fill(1)); } });`,
  });
  const run = await runTestWorld(folder, { ticks: 40, hz: 20, memoryMb: 128 });
  const bomb = run.report.scripts.find((s) => s.name === "arraybuffer_bomb")!;
  if (!bomb.budget?.startsWith("cgroup")) {
    // No delegable cgroup on this machine: the RSS watchdog test covers it.
    assert.ok(!Deno.env.get("SYNCRA_CI"), "CI machines must allow cgroups");
    return;
  }
  const kill = run.events.find((e) => e.type === "exit" && e.script === "arraybuffer_bomb");
  assert.equal(kill?.type === "exit" && kill.reason, "memory");
  // The limit and what it used, not "exited with code 137".
  assert.match(
    kill?.type === "exit" ? kill.detail : "",
    /^killed by the kernel at its memory budget \(cgroup v[12]: 128 MiB, 64 threads\)( after using \d+ MiB)?$/,
  );
  assertNoTickLost(run);
});

Deno.test("a spawn flood gets 256 ids per tick and stops at the per-script entity cap", async () => {
  await using folder = await makeScriptsWithCounter({
    "spawn_flood.ts": `
      import { defineComponent, defineSystem } from "@syncra/std";
      const Junk = defineComponent("Junk", { x: "f32" });
      export default defineSystem({
        writes: [Junk], spawns: true,
        run(ctx) {
          let made = 0;
          try { for (let i = 0; i < 100000; i++) { ctx.spawn({ Junk: { x: i } }); made++; } }
          catch (e) { if (ctx.tick === 1) ctx.log(made, String(e)); }
        },
      });`,
  });
  const run = await runTestWorld(folder, { ticks: 12, maxEntitiesPerScript: 2000 });
  const log = run.events.find((e) => e.type === "log" && e.script === "spawn_flood");
  assert.match(
    log?.type === "log" ? log.text : "",
    /^256 RangeError: Cannot spawn more than 256 entities in one tick/,
  );
  // 11 ticks of spawns are applied (the 12th tick's at the next start): capped at 2000.
  assert.equal(run.report.entities, 1 + 2000);
  const capped = run.events.find((e) => e.type === "violation" && e.script === "spawn_flood");
  assert.match(
    capped?.type === "violation" ? capped.message : "",
    /owns 2000 entities, the limit is 2000/,
  );
  assertNoTickLost(run);
});

import assert from "node:assert/strict";
import { join } from "node:path";
import { IN_CI, scriptReport } from "../_world.ts";
import { detectCgroups } from "../../sandbox/cgroup/mod.ts";
import { detectJail } from "../../sandbox/jail/mod.ts";
import {
  assertConfined,
  assertDenied,
  assertKeptTicking,
  assertNoSurvivors,
  attackFolder,
  exitsOf,
  lastWords,
  runAttacks,
} from "./_attack.ts";

const JAILED = (await detectJail()).isolation === "jail";
const BUDGETED = (await detectCgroups()) !== null;

/** Asserts that a script was killed only for `reason`, and started again after each kill. */
function assertKilledFor(
  run: Awaited<ReturnType<typeof runAttacks>>,
  name: string,
  reason: string,
  detail: RegExp,
): void {
  const exits = exitsOf(run, name);
  assert.ok(exits.length >= 1, `${name} was killed: ${lastWords(run, name)}`);
  for (const exit of exits) {
    assert.equal(exit.reason, reason, `${name}: ${exit.detail}`);
    assert.match(exit.detail, detail, name);
    assert.notEqual(exit.restartInMs, null, `${name} is restarted`);
  }
  const starts = run.events.filter((e) => e.type === "ready" && e.script === name).length;
  assert.ok(starts >= 2, `${name} was started again: ${starts} starts`);
}

const STUCK = ["infinite_loop", "microtask_starvation", "sigterm_ignorer"];

Deno.test("scripts that never finish a tick — a busy loop, endless microtasks, SIGTERM ignored — are killed for the deadline and restarted", async () => {
  await using folder = await attackFolder(STUCK);
  const ticks = 60;
  const run = await runAttacks(folder, ticks, { hz: 50 });
  for (const name of STUCK) {
    assertKilledFor(
      run,
      name,
      "deadline",
      /^Killed \(deadline\): tick \d+ ran past the deadline of 250 ms$/,
    );
    assert.ok(scriptReport(run, name).lateTicks >= 1);
  }
  assertConfined(run, STUCK);
  assertKeptTicking(run, ticks);
  await assertNoSurvivors(folder);
});

Deno.test("a script that ignores SIGTERM is killed with SIGKILL after the grace period", async () => {
  // Without the jail SIGTERM reaches deno itself, which the script told to ignore it.
  // (In the jail SIGTERM ends bubblewrap, whose payload dies with it: see above.)
  await using folder = await attackFolder(["sigterm_ignorer"]);
  const ticks = 60;
  const run = await runAttacks(folder, ticks, { hz: 50, jail: "off" });
  assertKilledFor(run, "sigterm_ignorer", "deadline", /^Killed \(deadline\)/);
  for (const exit of exitsOf(run, "sigterm_ignorer")) assert.equal(exit.signal, "SIGKILL");
  assertKeptTicking(run, ticks);
  await assertNoSurvivors(folder);
});

Deno.test("a script that answers on time but burns a core between its ticks is killed for cpu", async () => {
  await using folder = await attackFolder(["background_cpu_burn"]);
  // The owner's budget is lowered for every script, the counter beside the
  // burner included: it must never be mistaken for one. (At the default 50%
  // a shared machine with CPU stolen by its host gave the burner 56% of a core,
  // its ticks included, and it slipped under.)
  await Deno.writeTextFile(
    join(folder.root, "syncra.json"),
    JSON.stringify({ limits: { default: { backgroundCpuPercent: 20 } } }),
  );
  // The watchdog samples once a second and kills on the second strike: the
  // first kill lands about 3 s in, and the restart after it.
  const ticks = 60;
  const run = await runAttacks(folder, ticks, { hz: 10 });
  assertKilledFor(
    run,
    "background_cpu_burn",
    "cpu",
    /^Killed \(cpu\): used \d+ ms of CPU outside its ticks in \d+ ms \(budget 20% of a core\)$/,
  );
  assert.equal(
    scriptReport(run, "background_cpu_burn").exits.deadline ?? 0,
    0,
    "never for the deadline",
  );
  assert.deepEqual(exitsOf(run, "counter"), [], "the counter is never killed");
  assertConfined(run, ["background_cpu_burn"]);
  assertKeptTicking(run, ticks);
  await assertNoSurvivors(folder);
});

Deno.test("a heap bomb hits the V8 heap cap and is killed for memory", async () => {
  await using folder = await attackFolder(["heap_bomb"]);
  const ticks = 30;
  const run = await runAttacks(folder, ticks, {
    hz: 20,
    heapMb: 64,
    memoryMb: 256,
    deadlineMs: 2000,
  });
  assertKilledFor(run, "heap_bomb", "memory", /^ran out of its V8 heap of \d+ MiB/);
  assert.ok(
    run.events.some((e) =>
      e.type === "log" && e.script === "heap_bomb" &&
      e.text === "# Fatal JavaScript out of memory: Reached heap limit"
    ),
    "V8 reached the heap limit",
  );
  assertConfined(run, ["heap_bomb"]);
  assertKeptTicking(run, ticks);
  await assertNoSurvivors(folder);
});

Deno.test("an ArrayBuffer bomb escapes the V8 heap cap but not the memory budget, and is killed for memory", async () => {
  await using folder = await attackFolder(["arraybuffer_bomb"]);
  const ticks = 30;
  const run = await runAttacks(folder, ticks, {
    hz: 20,
    heapMb: 64,
    memoryMb: 128,
    deadlineMs: 2000,
  });
  assertKilledFor(
    run,
    "arraybuffer_bomb",
    "memory",
    /^killed by the kernel at its memory budget \(cgroup v[12]: 128 MiB, 64 threads\)/,
  );
  assert.ok(
    !run.events.some((e) =>
      e.type === "log" && e.script === "arraybuffer_bomb" && /heap limit/.test(e.text)
    ),
    "the V8 heap cap never saw the ArrayBuffers",
  );
  assert.match(scriptReport(run, "arraybuffer_bomb").budget ?? "", /128 MiB/);
  assertConfined(run, ["arraybuffer_bomb"]);
  assertKeptTicking(run, ticks);
  await assertNoSurvivors(folder);
});

Deno.test({
  name:
    "a Cache API flood fills only the jail's tmpfs, inside the memory budget, and is killed for memory",
  // The Cache API writes to Deno's location-data folder without a permission. In the jail that
  // is a fresh tmpfs charged to the script's cgroup; flags-only it would fill the host's disk
  // (holes_test.ts), so this never runs outside the jail and a memory budget.
  ignore: !(JAILED && BUDGETED) && !IN_CI,
  async fn() {
    await using folder = await attackFolder(["cache_api_fill"]);
    const ticks = 30;
    const run = await runAttacks(folder, ticks, {
      hz: 20,
      heapMb: 64,
      memoryMb: 128,
      deadlineMs: 3000,
    });
    const hidden = /ReferenceError: caches is not defined/.test(
      scriptReport(run, "cache_api_fill").lastError ?? "",
    );
    // Where the host hides the Cache API (the fix holes_test.ts asks for), nothing is written.
    if (!hidden) {
      assertKilledFor(
        run,
        "cache_api_fill",
        "memory",
        /^killed by the kernel at its memory budget/,
      );
    }
    assertConfined(run, ["cache_api_fill"]);
    assertKeptTicking(run, ticks);
    await assertNoSurvivors(folder);
  },
});

Deno.test("log floods are capped at 100 lines a tick, spawn floods at 256 entities a tick, and no Worker swarm starts", async () => {
  const FLOODS = ["log_flood", "spawn_flood", "worker_swarm"];
  await using folder = await attackFolder(FLOODS);
  const ticks = 6;
  // A tick of 100 000 refused spawns takes a few hundred ms: give it time, so that the cap is what is measured.
  const run = await runAttacks(folder, ticks, { deadlineMs: 3000 });

  const perTick = new Map<string, number>();
  for (const e of run.events) {
    if (e.type !== "log" || e.script !== "log_flood") continue;
    const tick = /^flood (\d+) \d+$/.exec(e.text)?.[1];
    assert.ok(tick !== undefined, `only flood lines: ${e.text}`);
    perTick.set(tick, (perTick.get(tick) ?? 0) + 1);
  }
  assert.equal(perTick.size, ticks, "the flood logged on every tick");
  for (const [tick, count] of perTick) assert.equal(count, 100, `tick ${tick}: ${count} lines`);
  // The rest are counted in the report: 4 900 a tick.
  assert.equal(scriptReport(run, "log_flood").droppedLogs, ticks * 4900);

  const floods = run.events.filter((e) => e.type === "log" && e.script === "spawn_flood")
    .map((e) => JSON.parse(e.type === "log" ? e.text.slice("FLOOD ".length) : "{}"));
  assert.equal(floods.length, ticks);
  for (const f of floods) {
    assert.equal(f.spawned, 256, `tick ${f.tick}`);
    assert.equal(f.refused, 100_000 - 256);
    assert.equal(
      f.error,
      'RangeError: Cannot spawn more than 256 entities in one tick from script "spawn_flood"',
    );
  }
  const flooded = run.dump.entities.filter((e) => e.components.Flood).length;
  assert.equal(flooded, 256 * ticks, "the world grew by exactly 256 entities a tick");
  assert.ok(run.report.entities <= 1 + 256 * ticks);

  assertDenied(run, "worker_swarm", {
    typeofWorker: /^OK: undefined$/,
    swarm: /^TypeError: globalThis\.Worker is not a constructor$/,
  });
  for (const name of FLOODS) assert.deepEqual(exitsOf(run, name), [], `${name} ran on`);
  assertConfined(run, FLOODS);
  assertKeptTicking(run, ticks);
});

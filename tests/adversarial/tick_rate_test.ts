import assert from "node:assert/strict";
import type { SupervisorEvent } from "../../runtime/supervision/mod.ts";
import { fieldValues, type TestRun } from "../_world.ts";
import { attackFolder, runAttacks } from "./_attack.ts";

const WINDOW_MS = 2500;
const ROUNDS = 3;

/** Ticks a world completes at --hz 0 in WINDOW_MS from the moment all its scripts are up. */
async function ticksInWindow(
  fixtures: string[],
): Promise<{ run: TestRun; ticks: number; ms: number }> {
  await using folder = await attackFolder(fixtures);
  const controller = new AbortController();
  let ready = 0;
  let started = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onEvent = (e: SupervisorEvent) => {
    if (e.type !== "ready" || ++ready !== fixtures.length + 1) return;
    started = performance.now();
    timer = setTimeout(() => controller.abort(), WINDOW_MS);
  };
  const run = await runAttacks(folder, null, {
    hz: 0,
    signal: controller.signal,
    onEvent,
  });
  clearTimeout(timer);
  const elapsed = performance.now() - started;
  assert.deepEqual(
    fieldValues(run, "Counter", "value"),
    [run.report.ticks],
    "the counter lost no tick",
  );
  return { run, ticks: run.report.ticks, ms: elapsed };
}

Deno.test("a script stuck in while (true), killed and restarted with the default backoff, costs the world less than half its tick rate", async () => {
  // Interleaved rounds, so that load from elsewhere on the machine falls on both alike.
  const totals = { alone: { ticks: 0, ms: 0 }, beside: { ticks: 0, ms: 0 } };
  let kills = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const alone = await ticksInWindow([]);
    const beside = await ticksInWindow(["infinite_loop"]);
    totals.alone.ticks += alone.ticks;
    totals.alone.ms += alone.ms;
    totals.beside.ticks += beside.ticks;
    totals.beside.ms += beside.ms;
    kills += beside.run.events.filter((e) =>
      e.type === "exit" && e.script === "infinite_loop" && e.reason === "deadline"
    ).length;
  }
  const rate = ({ ticks, ms }: { ticks: number; ms: number }) => (ticks / ms) * 1000;
  const ratio = rate(totals.beside) / rate(totals.alone);
  console.log(
    `tick rate at --hz 0, ${ROUNDS} x ${WINDOW_MS} ms: ${rate(totals.alone).toFixed(0)}/s alone, ` +
      `${rate(totals.beside).toFixed(0)}/s beside while (true) (${kills} deadline kills): ${
        (ratio * 100).toFixed(0)
      }%`,
  );
  assert.ok(kills >= 2 * ROUNDS, `the stuck script was killed and restarted: ${kills} kills`);
  assert.ok(ratio >= 0.5, `the tick rate stays within 2x: ${(ratio * 100).toFixed(0)}%`);
});

import assert from "node:assert/strict";
import { DEFAULT_OUTPUT_BUDGET, OutputBudget } from "./output_budget.ts";

const KiB = 1024;

Deno.test("a script's droppable lines stop at 64 KiB a tick less the reserve, and start again next tick", () => {
  const budget = new OutputBudget();
  let admitted = 0;
  while (budget.admit(1000, 1, 0)) admitted += 1000;
  assert.ok(admitted <= 64 * KiB - DEFAULT_OUTPUT_BUDGET.reservedBytes);
  assert.ok(admitted > 64 * KiB - DEFAULT_OUTPUT_BUDGET.reservedBytes - 1000);
  assert.equal(budget.dropped, 1);
  assert.equal(budget.admit(1000, 2, 0), true, "a new tick has room again");
});

Deno.test("thousands of ticks a second get the burst, then the sustained rate", () => {
  const budget = new OutputBudget();
  let written = 0;
  // 10 000 ticks in the same millisecond: the bucket, not the per-tick cap, is what stops them.
  for (let tick = 1; tick <= 10_000; tick++) if (budget.admit(4000, tick, 0)) written += 4000;
  assert.ok(written <= DEFAULT_OUTPUT_BUDGET.burstBytes, `${written} bytes`);
  assert.ok(written > DEFAULT_OUTPUT_BUDGET.burstBytes - 4000);
  // One second later, one second's worth more.
  let more = 0;
  for (let tick = 10_001; tick <= 20_000; tick++) if (budget.admit(4000, tick, 1000)) more += 4000;
  assert.ok(more <= DEFAULT_OUTPUT_BUDGET.bytesPerSecond, `${more} bytes`);
  assert.ok(more > DEFAULT_OUTPUT_BUDGET.bytesPerSecond - 4000);
  assert.equal(budget.written, written + more);
});

Deno.test("lines that are always written get the reserve, in their short form when it is nearly spent", () => {
  const budget = new OutputBudget({
    bytesPerTick: 1000,
    bytesPerSecond: 10_000,
    burstBytes: 10_000,
    reservedBytes: 200,
  });
  assert.equal(budget.admit(800, 1, 0), true);
  assert.equal(budget.admit(1, 1, 0), false);
  assert.equal(budget.force(150, 50, 1, 0), 150, "the whole kill line fits in the reserve");
  assert.equal(budget.force(150, 40, 1, 0), 40, "the next one is cut short");
  assert.equal(budget.force(150, 40, 1, 0), 0, "the tick is spent: counted, said later");
  assert.equal(budget.dropped, 2);
  assert.throws(
    () => new OutputBudget({ ...DEFAULT_OUTPUT_BUDGET, reservedBytes: 70_000 }),
    RangeError,
  );
});

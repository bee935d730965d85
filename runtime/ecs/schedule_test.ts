import assert from "node:assert/strict";
import { buildSchedule, describeConflict } from "./schedule.ts";

Deno.test("independent systems share a stage; conflicting ones keep declaration order", () => {
  const a = { name: "a", reads: ["Spin"], writes: ["Transform"] };
  const b = { name: "b", reads: [], writes: ["Velocity"] };
  const c = { name: "c", reads: ["Transform"], writes: ["Material"] };
  const d = { name: "d", reads: ["Input"], writes: [] };
  const { stages, conflicts } = buildSchedule([a, b, c, d]);
  assert.deepEqual(stages.map((s) => s.map((x) => x.name)), [["a", "b", "d"], ["c"]]);
  assert.equal(conflicts.length, 1);
  assert.equal(
    describeConflict(conflicts[0]!),
    '"c" runs after "a": "a" writes and "c" reads component "Transform"',
  );
});

Deno.test("two writers of one component never share a stage", () => {
  const x = { name: "x", reads: [], writes: ["Transform"] };
  const y = { name: "y", reads: [], writes: ["Transform"] };
  assert.equal(buildSchedule([x, y]).stages.length, 2);
});

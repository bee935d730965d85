/**
 * The order of effects of DESIGN §5, against in-process systems: the
 * coordinator drives any {@linkcode SystemRunner}, so these tests need no
 * child process (the same rules through real children: tests/lifecycle_test.ts
 * and tests/adversarial/).
 */
import assert from "node:assert/strict";
import type { WireCommand } from "../protocol/mod.ts";
import { adds, bytesOf, f32, FakeSystem, manifest, setup } from "./_fake_system.ts";

Deno.test("systems that do not conflict run at the same time; a reader of a write runs after it and sees it", async () => {
  const { coordinator, journal, list, values } = setup((j) => [
    new FakeSystem("a.ts", manifest("a.ts", [], ["Heat"]), adds("Heat", 100), j),
    new FakeSystem("b.ts", manifest("b.ts", ["Heat"], []), () => ({}), j),
    new FakeSystem("c.ts", manifest("c.ts", [], ["Cold"]), adds("Cold", 1), j),
  ]);
  await coordinator.step();
  // a and c share the first stage; b reads what a writes, so it waits for the merge.
  assert.deepEqual(journal.slice(0, 2).sort(), ["start a.ts", "start c.ts"]);
  assert.ok(journal.indexOf("start b.ts") > journal.indexOf("end a.ts"), journal.join(", "));
  assert.deepEqual(f32(list[1]!.shipped[0]!.queries.default!.columns.Heat!.v!), [100, 101, 102]);
  assert.deepEqual(values("Heat"), [100, 101, 102]);
  assert.deepEqual(values("Cold"), [1, 11, 21]);
});

Deno.test("a system is shipped only the columns it declared and its write merges only there", async () => {
  const { coordinator, list, values } = setup((j) => [
    new FakeSystem("a.ts", manifest("a.ts", ["Cold"], ["Heat"]), adds("Heat", 1), j),
  ]);
  await coordinator.step();
  assert.deepEqual(Object.keys(list[0]!.shipped[0]!.queries.default!.columns).sort(), [
    "Cold",
    "Heat",
  ]);
  assert.deepEqual(values("Heat"), [1, 2, 3]);
  assert.deepEqual(values("Cold"), [0, 10, 20], "a read is never merged back");
});

Deno.test("a result that writes what it only reads is dropped whole and counted as a violation", async () => {
  const { coordinator, list, values } = setup((j) => [
    new FakeSystem("a.ts", manifest("a.ts", ["Cold"], ["Heat"]), (tick) => ({
      changed: {
        default: {
          Heat: { v: bytesOf([7, 7, 7]) },
          Cold: { v: bytesOf(f32(tick.queries.default!.columns.Cold!.v!)) },
        },
      },
    }), j),
  ]);
  await coordinator.step();
  assert.equal(list[0]!.violations.length, 1);
  assert.match(list[0]!.violations[0]!, /Cold/);
  assert.deepEqual(values("Heat"), [0, 1, 2], "its allowed write was dropped too");
  assert.equal(list[0]!.onTime, 0);
});

Deno.test("structural commands apply at the start of the next tick, before any system runs", async () => {
  let spawned = -1;
  const { coordinator, list } = setup((j) => [
    new FakeSystem("a.ts", manifest("a.ts", [], ["Heat"], true), (tick) => {
      if (tick.tick !== 1) return {};
      spawned = new Uint32Array(tick.reserve!.slice().buffer)[0]!;
      const spawn: WireCommand = ["spawn", spawned, { Heat: { v: 42 } }];
      return { commands: [spawn] };
    }, j),
    new FakeSystem("b.ts", manifest("b.ts", ["Heat"], []), () => ({}), j),
  ]);
  await coordinator.step();
  // b ran after a in tick 1, but the spawn was only queued.
  assert.equal(list[1]!.shipped[0]!.queries.default!.count, 3);
  await coordinator.step();
  assert.equal(
    list[0]!.shipped[1]!.queries.default!.count,
    4,
    "applied before the first stage of tick 2",
  );
  const ids = [...new Uint32Array(list[1]!.shipped[1]!.queries.default!.entities.slice().buffer)];
  assert.ok(ids.includes(spawned));
  assert.deepEqual(
    f32(list[1]!.shipped[1]!.queries.default!.columns.Heat!.v!).at(ids.indexOf(spawned)),
    42,
  );
});

Deno.test("commands of one tick apply in file-name order, then in queue order", async () => {
  // Both touch entity 0's Cold: a removes it, then b adds it back. Reversed, Cold would be gone.
  const { coordinator, world, ids, key } = setup((j) => [
    new FakeSystem(
      "b.ts",
      manifest("b.ts", ["Heat"], ["Cold"], true),
      (tick) => tick.tick === 1 ? { commands: [["add", ids[0]!, "Cold", { v: 5 }]] } : {},
      j,
    ),
    new FakeSystem(
      "a.ts",
      manifest("a.ts", ["Heat"], ["Cold"], true),
      (tick) => tick.tick === 1 ? { commands: [["remove", ids[0]!, "Cold"]] } : {},
      j,
    ),
  ]);
  await coordinator.step();
  await coordinator.step();
  assert.ok(
    world.componentsOf(ids[0]!)?.includes(key("Cold")),
    "b.ts's add came after a.ts's remove",
  );
});

Deno.test("a command on an entity the system was not shipped and did not spawn is a violation", async () => {
  let lone = -1;
  const { coordinator, world, list, ids, key } = setup((j) => [
    new FakeSystem(
      "a.ts",
      manifest("a.ts", [], ["Heat"], true),
      (tick) => tick.tick === 1 ? { commands: [["despawn", ids[0]!], ["despawn", lone]] } : {},
      j,
    ),
  ]);
  // An entity with Cold only: a.ts, whose query is Heat, is never shipped it.
  lone = world.allocator.reserve(1)[0]!;
  world.spawn(lone, { [key("Cold")]: { v: [1] } });
  await coordinator.step();
  await coordinator.step();
  assert.equal(list[0]!.violations.length, 1, list[0]!.violations.join("; "));
  assert.match(list[0]!.violations[0]!, new RegExp(`\\b${lone}\\b`));
  assert.equal(world.isAlive(lone), true);
  assert.equal(world.isAlive(ids[0]!), true, "the result was dropped whole, its own despawn too");
});

Deno.test("the world waits for a stage at most one tick period, and leaves the deadline to the role", async () => {
  const { coordinator, list } = setup(
    (j) => [new FakeSystem("a.ts", manifest("a.ts", [], ["Heat"]), () => null, j)],
    3,
    250,
    50,
  );
  const ms = await coordinator.step();
  assert.deepEqual(list[0]!.waits, [{ waitMs: 20, deadlineMs: 250 }]);
  assert.ok(ms < 200, `a hung system held the tick for ${ms.toFixed(0)} ms, not one period`);
  assert.deepEqual(list[0]!.misses, [1]);
});

Deno.test("a system that misses the deadline has its tick dropped and is told; the tick completes", async () => {
  const { coordinator, list, values } = setup(
    (j) => [
      new FakeSystem("a.ts", manifest("a.ts", [], ["Heat"]), () => null, j),
      new FakeSystem("b.ts", manifest("b.ts", [], ["Cold"]), adds("Cold", 1), j),
    ],
    3,
    40,
  );
  const ms = await coordinator.step();
  assert.deepEqual(list[0]!.misses, [1]);
  assert.deepEqual(list[0]!.kills, [], "a miss alone kills nothing: the role decides");
  assert.deepEqual(values("Cold"), [1, 11, 21], "the other system's write is merged");
  assert.ok(ms < 2000);
});

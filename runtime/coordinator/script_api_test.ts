/**
 * The script API's effects on the tick (DESIGN §3, §5), against in-process
 * systems: queries with with/without/optional/changed, writes merged per
 * query, resources in the conflict graph, events delivered next tick in
 * emitter file order. The same through real children: tests/script_api_test.ts.
 */
import assert from "node:assert/strict";
import type { ResultMessage, TickMessage, WireSchema, WireValue } from "../protocol/mod.ts";
import { bytesOf, f32, FakeSystem, manifest, setup } from "./_fake_system.ts";

const U32: WireSchema = { points: { type: "u32", default: [0] } };
const PING: WireSchema = { n: { type: "u32", default: [0] }, from: { type: "u32", default: [0] } };

const ids = (tick: TickMessage, query: string) => [
  ...new Uint32Array(tick.queries[query]!.entities.slice().buffer),
];

/** A world of 3 Heat+Cold entities, one Cold+Tag and one Heat only. */
function mixedWorld(systems: Parameters<typeof setup>[0]) {
  const s = setup(systems);
  const [coldTag, heatOnly] = s.world.allocator.reserve(2);
  s.world.spawn(coldTag!, { [s.key("Cold")]: { v: [7] }, [s.key("Tag")]: { t: [1] } });
  s.world.spawn(heatOnly!, { [s.key("Heat")]: { v: [5] } });
  const value = (id: number, c: string) =>
    s.world.dump().find((e) => e.id === id)?.components[c]?.[c === "Tag" ? "t" : "v"];
  return { ...s, coldTag: coldTag!, heatOnly: heatOnly!, value };
}

Deno.test("each query ships its own rows and columns: with, without and optional select; has() marks presence", async () => {
  const m = manifest("q.ts", [], [], false, {
    queries: {
      warm: { reads: ["Heat"], without: ["Cold"] },
      cold: { reads: ["Cold"], optional: ["Tag"] },
      both: { writes: ["Cold"], with: ["Heat"] },
    },
  });
  const { coordinator, list, coldTag, heatOnly, ids: three } = mixedWorld((j) => [
    new FakeSystem("q.ts", m, () => ({}), j),
  ]);
  await coordinator.step();
  const tick = list[0]!.shipped[0]!;
  assert.deepEqual(Object.keys(tick.queries), ["warm", "cold", "both"], "no default query");
  assert.deepEqual(ids(tick, "warm"), [heatOnly]);
  assert.deepEqual(Object.keys(tick.queries.warm!.columns), ["Heat"]);
  assert.deepEqual(ids(tick, "cold").sort(), [...three, coldTag].sort());
  assert.deepEqual(Object.keys(tick.queries.cold!.columns).sort(), ["Cold", "Tag"]);
  const has = [...tick.queries.cold!.has!.Tag!];
  assert.deepEqual(ids(tick, "cold").map((id, i) => [id, has[i]]).filter(([, h]) => h === 1), [
    [coldTag, 1],
  ]);
  assert.deepEqual(ids(tick, "both").sort(), [...three].sort());
  assert.deepEqual(Object.keys(tick.queries.both!.columns), ["Cold"], "with ships no column");
});

Deno.test("a write merges only into the rows of the query it was shipped in, and a later query wins", async () => {
  const m = manifest("w.ts", [], [], false, {
    queries: {
      all: { writes: ["Cold"] },
      tagged: { writes: ["Cold"], with: ["Tag"] },
    },
  });
  const { coordinator, coldTag, value, ids: three } = mixedWorld((j) => [
    new FakeSystem("w.ts", m, (tick) => ({
      changed: {
        // Sent in reverse: the manifest's order decides, not the child's.
        tagged: { Cold: { v: bytesOf([2]) } },
        all: { Cold: { v: bytesOf(new Array(tick.queries.all!.count).fill(1)) } },
      },
    }), j),
  ]);
  await coordinator.step();
  assert.equal(value(coldTag, "Cold"), 2, "the later query's write wins");
  for (const id of three) assert.equal(value(id, "Cold"), 1);
});

Deno.test("a write through a query that does not write the component is a violation", async () => {
  const m = manifest("v.ts", [], ["Heat"], false, {
    queries: { cold: { reads: ["Cold"] } },
  });
  const { coordinator, list, value, ids: three } = mixedWorld((j) => [
    new FakeSystem("v.ts", m, () => ({
      changed: { cold: { Cold: { v: bytesOf([9, 9, 9, 9]) } } },
    }), j),
  ]);
  await coordinator.step();
  assert.match(
    list[0]!.violations[0]!,
    /Cannot write component "Cold".*not in the writes of query "cold"/,
  );
  assert.equal(value(three[0]!, "Cold"), 0);
});

Deno.test("optional: rows without the component hold defaults and writes to them are ignored", async () => {
  const m = manifest("o.ts", [], [], false, {
    queries: { cold: { reads: ["Cold"], writes: ["Tag"], optional: ["Tag"] } },
  });
  const { coordinator, list, value, coldTag, ids: three } = mixedWorld((j) => [
    new FakeSystem("o.ts", m, (tick) => {
      const n = tick.queries.cold!.count;
      return { changed: { cold: { Tag: { t: new Uint8Array(n).fill(1).map((_, i) => 2 + i) } } } };
    }, j),
  ]);
  await coordinator.step();
  const shipped = list[0]!.shipped[0]!.queries.cold!;
  const order = ids(list[0]!.shipped[0]!, "cold");
  assert.deepEqual([...shipped.columns.Tag!.t!], order.map((id) => id === coldTag ? 1 : 0));
  assert.equal(value(coldTag, "Tag"), 2 + order.indexOf(coldTag));
  for (const id of three) assert.equal(value(id, "Tag"), undefined, "no Tag attached by a write");
});

Deno.test("changed ships only rows changed since the system's last merged result; its own writes do not count", async () => {
  // a.ts changes one Heat row per tick (row tick-1); b.ts, after it, sees only changed rows.
  const seen: number[][] = [];
  let dropNext = false;
  const { coordinator, world, ids: three, key } = setup((j) => [
    new FakeSystem("a.ts", manifest("a.ts", [], ["Heat"]), (tick) => {
      const v = f32(tick.queries.default!.columns.Heat!.v!);
      if (tick.tick <= 3) v[tick.tick - 1] = 100 + tick.tick;
      return { changed: { default: { Heat: { v: bytesOf(v) } } } };
    }, j),
    new FakeSystem(
      "b.ts",
      manifest("b.ts", [], [], false, {
        queries: { hot: { writes: ["Heat"], changed: ["Heat"] } },
      }),
      (tick): Partial<ResultMessage> => {
        seen.push(ids(tick, "hot"));
        if (dropNext) {
          dropNext = false;
          return { changed: { nope: {} } }; // a violation: the result is dropped
        }
        // Its own write to every shipped row must not come back to it.
        const n = tick.queries.hot!.count;
        return { changed: { hot: { Heat: { v: bytesOf(new Array(n).fill(-1)) } } } };
      },
      j,
    ),
  ]);
  await coordinator.step();
  assert.deepEqual(seen[0]!.sort(), [...three].sort(), "first run: every row");
  await coordinator.step();
  assert.deepEqual(seen[1], [three[1]], "tick 2: only the row a.ts changed");
  dropNext = true;
  await coordinator.step();
  assert.deepEqual(seen[2], [three[2]]);
  await coordinator.step();
  assert.deepEqual(seen[3], [three[2]], "a dropped result ships its rows again");
  // A spawned row counts as changed.
  const [late] = world.allocator.reserve(1);
  world.spawn(late!, { [key("Heat")]: { v: [0] } });
  await coordinator.step();
  assert.deepEqual(seen[4], [late]);
});

Deno.test("resources: a writer's change merges, a reader after it sees it, and both are in the conflict graph", async () => {
  const journal: string[] = [];
  const score = { resources: { writes: ["Score"] }, resourceSchemas: { Score: U32 } };
  const reader = { resources: { reads: ["Score"] }, resourceSchemas: { Score: U32 } };
  const seen: unknown[] = [];
  const { coordinator, world } = setup(() => [
    new FakeSystem("a.ts", manifest("a.ts", [], ["Heat"], false, score), (tick) => ({
      resources: { Score: { points: (tick.resources!.Score!.points as number) + 10 } },
    }), journal),
    new FakeSystem("b.ts", manifest("b.ts", ["Cold"], [], false, reader), (tick) => {
      seen.push(tick.resources!.Score!.points);
      return {};
    }, journal),
  ]);
  await coordinator.step();
  await coordinator.step();
  assert.deepEqual(seen, [10, 20], "b ran after a each tick: it reads what a writes");
  assert.ok(journal.indexOf("start b.ts") > journal.indexOf("end a.ts"), journal.join(", "));
  assert.deepEqual(world.resources.dump(), { Score: { points: 20 } });
});

Deno.test("a resource write not in resources.writes, or of a bad value, is a violation", async () => {
  const reader = { resources: { reads: ["Score"] }, resourceSchemas: { Score: U32 } };
  const writer = { resources: { writes: ["Score"] }, resourceSchemas: { Score: U32 } };
  const { coordinator, world, list } = setup((j) => [
    new FakeSystem("a.ts", manifest("a.ts", ["Heat"], [], false, reader), () => ({
      resources: { Score: { points: 5 } },
    }), j),
    new FakeSystem("b.ts", manifest("b.ts", ["Heat"], [], false, writer), () => ({
      resources: { Score: { points: -1 } },
    }), j),
  ]);
  await coordinator.step();
  assert.match(
    list[0]!.violations[0]!,
    /Cannot write resource "Score".*not in the script's resources\.writes/,
  );
  assert.match(list[1]!.violations[0]!, /resource "Score".*points: expected an integer from 0/);
  assert.deepEqual(world.resources.dump(), { Score: { points: 0 } });
});

Deno.test("events reach receivers the next tick, in emitter file order then emission order; they create no conflict", async () => {
  const journal: string[] = [];
  const emitter = { events: { emits: ["Ping"] }, eventSchemas: { Ping: PING } };
  const receiver = { events: { receives: ["Ping"] }, eventSchemas: { Ping: PING } };
  const got: unknown[][] = [];
  const emit = (from: number) => (tick: TickMessage): Partial<ResultMessage> => ({
    events: [["Ping", { n: tick.tick, from }], ["Ping", { n: tick.tick * 10, from }]],
  });
  const { coordinator } = setup(() => [
    new FakeSystem("a.ts", manifest("a.ts", ["Heat"], [], false, emitter), emit(1), journal),
    new FakeSystem("m.ts", manifest("m.ts", ["Heat"], [], false, receiver), (tick) => {
      got.push(tick.events!.Ping!);
      return {};
    }, journal),
    new FakeSystem("z.ts", manifest("z.ts", ["Heat"], [], false, emitter), emit(2), journal),
  ]);
  await coordinator.step();
  assert.deepEqual(journal.slice(0, 3).map((l) => l.split(" ")[0]), ["start", "start", "start"]);
  await coordinator.step();
  assert.deepEqual(got[0], [], "nothing was emitted before tick 1");
  assert.deepEqual(got[1], [
    { n: 1, from: 1 },
    { n: 10, from: 1 },
    { n: 1, from: 2 },
    { n: 10, from: 2 },
  ]);
});

/** a.ts sends `events` every tick as declared by `emitter`; b.ts receives Ping. */
async function emitTwoTicks(emitter: Record<string, unknown>, events: [string, WireValue][]) {
  const receiver = { events: { receives: ["Ping"] }, eventSchemas: { Ping: PING } };
  const got: unknown[][] = [];
  const { coordinator, list } = setup((j) => [
    new FakeSystem("a.ts", manifest("a.ts", ["Heat"], [], false, emitter), () => ({ events }), j),
    new FakeSystem("b.ts", manifest("b.ts", ["Heat"], [], false, receiver), (tick) => {
      got.push(tick.events!.Ping!);
      return {};
    }, j),
  ]);
  await coordinator.step();
  await coordinator.step();
  return { violations: list[0]!.violations, got };
}

Deno.test("an emit not in emits is a violation and delivers nothing", async () => {
  const receiver = { events: { receives: ["Ping"] }, eventSchemas: { Ping: PING } };
  const { violations, got } = await emitTwoTicks(receiver, [["Ping", { n: 1 }]]);
  assert.match(violations[0]!, /Cannot emit event "Ping".*not in the script's emits/);
  assert.deepEqual(got, [[], []]);
});

Deno.test("more emits in one tick than the limit is a violation: none of them is delivered", async () => {
  const emitter = { events: { emits: ["Ping"] }, eventSchemas: { Ping: PING } };
  const flood = Array.from({ length: 1025 }, (_, n) => ["Ping", { n }] as [string, WireValue]);
  const { violations, got } = await emitTwoTicks(emitter, flood);
  assert.match(violations[0]!, /emitted 1025 events in one tick; the limit is 1024/);
  assert.deepEqual(got, [[], []]);
});

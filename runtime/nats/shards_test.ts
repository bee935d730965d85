import assert from "node:assert/strict";
import type { ResultMessage, TickMessage } from "../protocol/mod.ts";
import { mergeShards, MIN_SHARD_ROWS, shardCount, splitTick } from "./shards.ts";

const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);
const floats = (bytes: Uint8Array) => [...new Float32Array(bytes.slice().buffer)];

/** A tick of `rows` rows: ids 100.., x = row, a text name, an optional mask. */
function tickOf(rows: number): TickMessage {
  const ids = new Uint32Array(rows).map((_, i) => 100 + i);
  return {
    t: "tick",
    tick: 7,
    dt: 1 / 60,
    seed: 42,
    queries: {
      default: {
        count: rows,
        entities: new Uint8Array(ids.buffer),
        columns: { P: { x: f32([...Array(rows).keys()]) } },
        text: { L: { name: [...Array(rows).keys()].map((i) => `n${i}`) } },
        has: { O: new Uint8Array(rows).fill(1) },
      },
    },
    events: { Hit: [{ v: 1 }] },
    reserve: new Uint8Array(new Uint32Array([1, 2, 3, 4, 5, 6]).buffer),
  };
}

Deno.test("shards cut every column at its own stride and split the spawn ids", () => {
  const tick = tickOf(10);
  const { shards, ranges } = splitTick(tick, 3);
  assert.deepEqual(ranges.map((r) => r.default), [[0, 3], [3, 6], [6, 10]]);
  const q = shards[2]!.queries.default!;
  assert.equal(q.count, 4);
  assert.deepEqual([...new Uint32Array(q.entities.slice().buffer)], [106, 107, 108, 109]);
  assert.deepEqual(floats(q.columns.P!.x!), [6, 7, 8, 9]);
  assert.deepEqual(q.text!.L!.name, ["n6", "n7", "n8", "n9"]);
  assert.equal(q.has!.O!.length, 4);
  // Events go to one shard only; seeds differ, the first keeps the tick's.
  assert.deepEqual(shards.map((s) => s.events !== undefined), [true, false, false]);
  assert.equal(shards[0]!.seed, 42);
  assert.notEqual(shards[1]!.seed, shards[2]!.seed);
  const ids = shards.flatMap((s) => [...new Uint32Array(s.reserve!.slice().buffer)]);
  assert.deepEqual(ids, [1, 2, 3, 4, 5, 6]);
});

Deno.test("merged shards are the result one instance would have sent", () => {
  const tick = tickOf(10);
  const split = splitTick(tick, 2);
  const results: ResultMessage[] = split.shards.map((_, i) => ({
    t: "result",
    tick: 7,
    // Shard 0 changes x, shard 1 changes only the names: the rest keeps what was shipped.
    changed: i === 0
      ? { default: { P: { x: f32([10, 11, 12, 13, 14]) } } }
      : { default: { L: { name: ["a", "b", "c", "d", "e"] } } },
    commands: [["despawn", 100 + i]],
    events: [["Hit", { v: i }]],
    resources: { R: { n: i } },
    error: null,
  }));
  const merged = mergeShards(tick, split, results);
  assert.ok(merged.ok);
  const r = merged.result;
  assert.deepEqual(floats(r.changed.default!.P!.x as Uint8Array), [
    10,
    11,
    12,
    13,
    14,
    5,
    6,
    7,
    8,
    9,
  ]);
  assert.deepEqual(r.changed.default!.L!.name, [
    "n0",
    "n1",
    "n2",
    "n3",
    "n4",
    "a",
    "b",
    "c",
    "d",
    "e",
  ]);
  assert.deepEqual(r.commands, [["despawn", 100], ["despawn", 101]]);
  assert.deepEqual(r.events, [["Hit", { v: 0 }], ["Hit", { v: 1 }]]);
  assert.deepEqual(r.resources, { R: { n: 1 } });
  // What was shipped is untouched.
  assert.deepEqual(floats(tick.queries.default!.columns.P!.x!), [...Array(10).keys()]);
});

Deno.test("a shard's result that does not fit its rows drops the whole tick, saying which", () => {
  const tick = tickOf(10);
  const split = splitTick(tick, 2);
  const good: ResultMessage = { t: "result", tick: 7, changed: {}, commands: [], error: null };
  const cases: [unknown, RegExp][] = [
    [{ ...good, changed: { default: { P: { x: f32([1, 2]) } } } }, /8 bytes, its 5 rows are 20/],
    [{ ...good, changed: { default: { Q: { y: f32([1]) } } } }, /changed Q\.y .* not shipped/],
    [{ ...good, changed: { nope: {} } }, /unknown query "nope"/],
    [{ ...good, tick: 6 }, /shard 2 of 2 sent something that is not its result/],
    ["garbage", /not its result/],
  ];
  for (const [bad, problem] of cases) {
    const merged = mergeShards(tick, split, [good, bad]);
    assert.equal(merged.ok, false);
    if (!merged.ok) assert.match(merged.problem, problem);
  }
});

Deno.test("a system is sharded only where each shard gets enough rows", () => {
  assert.equal(shardCount(tickOf(MIN_SHARD_ROWS - 1), 3), 1);
  assert.equal(shardCount(tickOf(MIN_SHARD_ROWS * 2), 3), 2);
  assert.equal(shardCount(tickOf(MIN_SHARD_ROWS * 10), 3), 3);
});

import assert from "node:assert/strict";
import { RowStamps } from "./row_stamps.ts";
import { World } from "./world.ts";
import { changedSince, idsOf, scatterColumn } from "./row_set.ts";

Deno.test("the log answers only from where it is complete, and then exactly as a scan would", () => {
  const s = new RowStamps(8);
  for (let row = 0; row < 8; row++) s.set(row, 1, row + 1);
  s.set(3, 2, 8);
  s.set(5, 3, 8);
  s.set(3, 3, 8);
  assert.deepEqual(s.changedAfter(1, 8), [3, 5]);
  assert.deepEqual(s.changedAfter(2, 8), [3, 5]);
  assert.deepEqual(s.changedAfter(3, 8), []);
  assert.equal(s.changedAfter(0, 8), null, "before the log began: scan");
  s.moved(3, 7); // a swap-remove
  assert.equal(s.changedAfter(2, 7), null, "rows moved: the log cannot say");
  s.set(1, 4, 7);
  s.set(2, 5, 7);
  assert.deepEqual(s.changedAfter(4, 7), [2], "complete again after the next stamp");
  assert.equal(s.changedAfter(3, 7), null, "stamp 4's earlier changes were not logged");
});

Deno.test("a changed filter finds the same rows as a scan through spawns, despawns and merges", () => {
  const world = new World();
  const info = world.registry.resolve({
    name: "H",
    schema: { v: { type: "f32", default: [0] } },
    module: null,
  });
  const field = info.fields[0]!;
  let random = 12345;
  const next = (n: number) => (random = (random * 1103515245 + 12345) >>> 0) % n;
  const live: number[] = [];
  const seen = [-1, -1, -1]; // three readers with their own "since"
  for (let round = 0; round < 300; round++) {
    world.advanceClock();
    if (next(4) === 0 && live.length > 0) world.despawn(live.splice(next(live.length), 1)[0]!);
    if (next(2) === 0) {
      const [id] = world.allocator.reserve(1);
      world.spawn(id!, { [info.key]: {} });
      live.push(id!);
    }
    const stamp = world.advanceClock();
    const all = world.query([info.key]);
    if (all.count > 0) {
      const part = all.parts[0]!;
      const rows = Uint32Array.from(
        new Set(Array.from({ length: 1 + next(3) }, () => next(part.archetype.length))),
      ).sort();
      const values = new Float32Array(rows.length).fill(round + 1);
      scatterColumn(
        { parts: [{ archetype: part.archetype, rows }], count: rows.length },
        info.key,
        field,
        new Uint8Array(values.buffer),
        stamp,
      );
    }
    const reader = next(3);
    const expected = new Set<number>();
    const a = world.query([info.key]).parts[0]?.archetype;
    const stamps = a ? a.stamps.get(info.key)!.values : new Float64Array(0);
    for (let row = 0; a && row < a.length; row++) {
      if (stamps[row]! > seen[reader]!) expected.add(a.entities[row]!);
    }
    const got = idsOf(changedSince(world.query([info.key]), [info.key], seen[reader]!));
    assert.deepEqual([...got].sort(), [...expected].sort(), `round ${round}`);
    seen[reader] = stamp;
  }
});

import assert from "node:assert/strict";
import { World } from "./world.ts";
import {
  changedSince,
  gatherColumn,
  gatherText,
  idsOf,
  scatterColumn,
  scatterText,
} from "./row_set.ts";

function spawnMany(world: World, n: number): number[] {
  const ids = [...world.allocator.reserve(n)];
  ids.forEach((id, i) => world.spawn(id, { Transform: { position: [i, 0, 0] } }));
  return ids;
}

Deno.test("spawned entities start from field defaults and take the given values", () => {
  const world = new World();
  const [id] = spawnMany(world, 1);
  const [e] = world.dump();
  assert.equal(e!.id, id);
  assert.deepEqual(e!.components.Transform, {
    position: [0, 0, 0],
    rotation: [0, 0, 0, 1],
    scale: [1, 1, 1],
  });
});

Deno.test("adding and removing components moves an entity between archetypes and keeps its data", () => {
  const world = new World();
  const ids = spawnMany(world, 3);
  assert.ok(world.add(ids[1]!, "Velocity", { linear: [1, 2, 3] }));
  assert.equal(world.query(["Transform", "Velocity"]).count, 1);
  assert.equal(world.query(["Transform"]).count, 3);
  assert.ok(world.remove(ids[1]!, "Velocity"));
  assert.equal(world.query(["Velocity"]).count, 0);
  const moved = world.dump().find((e) => e.id === ids[1]);
  assert.deepEqual(moved!.components.Transform!.position, [1, 0, 0]);
});

Deno.test("despawn frees the id and the swapped row keeps its entity", () => {
  const world = new World();
  const ids = spawnMany(world, 3);
  assert.ok(world.despawn(ids[0]!));
  assert.equal(world.despawn(ids[0]!), false);
  assert.equal(world.entityCount, 2);
  const last = world.dump().find((e) => e.id === ids[2]);
  assert.deepEqual(last!.components.Transform!.position, [2, 0, 0]);
});

Deno.test("gather and scatter round-trip a column across several archetypes", () => {
  const world = new World();
  const ids = spawnMany(world, 4);
  world.add(ids[0]!, "Velocity", {});
  const rows = world.query(["Transform"]);
  assert.equal(rows.parts.length, 2);
  const position = world.registry.get("Transform")!.fields[0]!;
  const bytes = gatherColumn(rows, "Transform", position).slice();
  const floats = new Float32Array(bytes.buffer);
  for (let i = 0; i < floats.length; i++) floats[i] = floats[i]! + 10;
  assert.equal(scatterColumn(rows, "Transform", position, bytes, 7), 4);
  const xs = world.dump().map((e) => (e.components.Transform!.position as number[])[0]);
  assert.deepEqual(xs, [10, 11, 12, 13]);
});

Deno.test("a merge stamps only the rows whose value changed, and a changed filter finds exactly those", () => {
  const world = new World();
  world.advanceClock();
  const ids = spawnMany(world, 5);
  const rows = world.query(["Transform"]);
  const position = world.registry.get("Transform")!.fields[0]!;
  const bytes = gatherColumn(rows, "Transform", position).slice();
  const floats = new Float32Array(bytes.buffer);
  floats[3 * 3 + 1] = 5; // entity 3's y
  floats[0] = -0; // 0 → -0 is a change of bits
  const stamp = world.advanceClock();
  assert.equal(scatterColumn(rows, "Transform", position, bytes, stamp), 2);
  const changed = changedSince(world.query(["Transform"]), ["Transform"], stamp - 1);
  assert.equal(changed.count, 2);
  assert.deepEqual([...idsOf(changed)].sort(), [ids[0]!, ids[3]!].sort());
  assert.equal(changedSince(world.query(["Transform"]), ["Transform"], stamp).count, 0);
  // A new row counts as changed.
  world.advanceClock();
  const [late] = world.allocator.reserve(1);
  world.spawn(late!, { Transform: {} });
  assert.deepEqual([...idsOf(changedSince(world.query(["Transform"]), ["Transform"], stamp))], [
    late,
  ]);
});

Deno.test("a query leaves out archetypes holding a component in without", () => {
  const world = new World();
  const ids = spawnMany(world, 3);
  world.add(ids[1]!, "Velocity", {});
  assert.deepEqual([...idsOf(world.query(["Transform"], ["Velocity"]))].sort(), [ids[0], ids[2]]);
});

Deno.test("text fields hold strings through spawn, moves between archetypes, removal and merges", () => {
  const world = new World();
  const label = world.registry.resolve({
    name: "Label",
    schema: { text: { type: "text", default: ["?"], max: 8 }, size: { type: "f32", default: [1] } },
    module: null,
  });
  const ids = [...world.allocator.reserve(3)];
  world.spawn(ids[0]!, { [label.key]: { text: ["door"] } });
  world.spawn(ids[1]!, { [label.key]: {} });
  world.spawn(ids[2]!, { [label.key]: { text: ["lamp"] } });
  world.add(ids[0]!, "Transform", {}); // moves to another archetype, text and all
  world.despawn(ids[1]!); // the last row (lamp) moves into its place
  const text = (id: number) => world.dump().find((e) => e.id === id)?.components.Label?.text;
  assert.deepEqual([text(ids[0]!), text(ids[2]!)], ["door", "lamp"]);
  const rows = world.query([label.key]);
  const field = label.fields[0]!;
  const strings = gatherText(rows, label.key, field);
  assert.deepEqual(strings.sort(), ["door", "lamp"]);
  const order = [...idsOf(rows)];
  const next = order.map((id) => (id === ids[2] ? "lit" : text(id) as string));
  assert.equal(scatterText(rows, label.key, field, next, world.advanceClock()), 1);
  assert.equal(text(ids[2]!), "lit");
  assert.equal(label.stride, 8 + 4, "a text field is charged its max");
});

import assert from "node:assert/strict";
import { World } from "./world.ts";

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
  assert.equal(rows.archetypes.length, 2);
  const bytes = world.gatherColumn(rows, "Transform", "position").slice();
  const floats = new Float32Array(bytes.buffer);
  for (let i = 0; i < floats.length; i++) floats[i] = floats[i]! + 10;
  world.scatterColumn(rows, "Transform", "position", bytes);
  const xs = world.dump().map((e) => (e.components.Transform!.position as number[])[0]);
  assert.deepEqual(xs, [10, 11, 12, 13]);
});

import assert from "node:assert/strict";
import { EntityAllocator, entityGeneration, entityIndex } from "./entity_allocator.ts";

Deno.test("allocator reuses a freed index with a new generation, so the old id stays dead", () => {
  const a = new EntityAllocator();
  const [first] = a.reserve(1);
  assert.ok(a.activate(first!));
  a.free(first!);
  assert.equal(a.isAlive(first!), false);
  const [second] = a.reserve(1);
  assert.equal(entityIndex(second!), entityIndex(first!));
  assert.equal(entityGeneration(second!), entityGeneration(first!) + 1);
  assert.ok(a.activate(second!));
  assert.equal(a.isAlive(first!), false);
  assert.equal(a.activate(first!), false);
});

Deno.test("released reservations come out first and in the same order", () => {
  const a = new EntityAllocator();
  const ids = a.reserve(3);
  a.activate(ids[1]!);
  a.release(ids);
  assert.deepEqual([...a.reserve(2)], [ids[0], ids[2]]);
});

Deno.test("an index whose generation would wrap is retired", () => {
  const a = new EntityAllocator();
  let id = a.reserve(1)[0]!;
  const index = entityIndex(id);
  for (let i = 0; i < 300; i++) {
    a.activate(id);
    a.free(id);
    id = a.reserve(1)[0]!;
    if (entityIndex(id) !== index) break;
  }
  assert.notEqual(entityIndex(id), index);
});

Deno.test("saved allocator state restores the same future ids", () => {
  const a = new EntityAllocator();
  const ids = a.reserve(4);
  for (const id of ids) a.activate(id);
  a.free(ids[2]!);
  const b = EntityAllocator.restore(a.save(), [ids[0]!, ids[1]!, ids[3]!]);
  assert.deepEqual([...b.reserve(2)], [...a.reserve(2)]);
  assert.ok(b.isAlive(ids[3]!));
});

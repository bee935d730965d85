import assert from "node:assert/strict";
import { convertible, convertValues } from "./field_conversion.ts";
import { World } from "./world.ts";
import type { FieldChange } from "./world.ts";

Deno.test("numbers convert to the nearest value the new type holds, and what changed is counted", () => {
  const cases: [
    string,
    ArrayLike<number>,
    Parameters<typeof convertValues>[1],
    Parameters<typeof convertValues>[4],
    number[],
    number,
  ][] = [
    ["u32 → f64 keeps a billion", new Uint32Array([1e9, 7]), "u32", "f64", [1e9, 7], 0],
    ["f64 → i32 rounds", new Float64Array([1.5, -2.4, 3]), "f64", "i32", [2, -2, 3], 2],
    ["f32 → u8 cuts to the range", new Float32Array([-3, 300, 9]), "f32", "u8", [0, 255, 9], 2],
    [
      "u32 → f32 loses precision",
      new Uint32Array([16_777_217, 5]),
      "u32",
      "f32",
      [16_777_216, 5],
      1,
    ],
    ["f64 → bool", new Float64Array([0, 1, 2.5]), "f64", "bool", [0, 1, 1], 1],
    ["bool → u32", new Uint8Array([0, 1]), "bool", "u32", [0, 1], 0],
  ];
  for (const [what, src, from, to, expected, lossy] of cases) {
    const dst: number[] = [];
    assert.equal(convertValues(src, from, 0, dst, to, 0, src.length), lossy, what);
    assert.deepEqual(dst, expected, what);
  }
  assert.equal(convertible("vec3", "f32"), false);
  assert.equal(convertible("entity", "u32"), false, "an id is not a number to convert");
  assert.equal(convertible("u8", "f64"), true);
});

Deno.test("a field whose type changed is converted on migration, and the change is reported", () => {
  const world = new World();
  const v1 = world.registry.resolve({
    name: "Score",
    schema: { points: { type: "u32", default: [0] }, pos: { type: "vec3", default: [0, 0, 0] } },
    module: "s.ts",
  }).key;
  const v2 = world.registry.resolve({
    name: "Score",
    schema: { points: { type: "f64", default: [0] }, pos: { type: "f32", default: [0] } },
    module: "s.ts",
  })
    .key;
  const [id] = world.allocator.reserve(1);
  world.spawn(id!, { [v1]: { points: [1e9], pos: [1, 2, 3] } });
  const changes: FieldChange[] = [];
  assert.equal(world.migrateComponent(v1, v2, false, changes), 1);
  const score = Object.values(world.dump()[0]!.components)[0]!;
  assert.equal(score.points, 1e9, "not reset to the default");
  assert.equal(score.pos, 0, "a vec3 cannot become a scalar: reset");
  assert.deepEqual(changes, [
    { field: "points", from: "u32", to: "f64", converted: true, values: 1, lossy: 0 },
    { field: "pos", from: "vec3", to: "f32", converted: false, values: 1, lossy: 0 },
  ]);
});

import assert from "node:assert/strict";
import { ComponentRegistry } from "./component_registry.ts";

const u32 = { value: { type: "u32" as const, default: [0] } };
const f64 = {
  value: { type: "f64" as const, default: [0] },
  extra: { type: "u8" as const, default: [0] },
};

Deno.test("identical definitions of a name are one component; a different one is another", () => {
  const registry = new ComponentRegistry();
  const a = registry.resolve({ name: "Counter", schema: u32, module: "_counter.ts" });
  const copy = registry.resolve({ name: "Counter", schema: u32, module: "copy.ts" });
  const other = registry.resolve({ name: "Counter", schema: f64, module: "squat.ts" });
  assert.equal(copy, a, "the same name and schema share storage");
  assert.notEqual(other.key, a.key, "another schema never reinterprets the first one's data");
  assert.deepEqual(registry.modules(a.key), ["_counter.ts", "copy.ts"]);
  assert.deepEqual(registry.named("Counter").map((c) => c.key).sort(), [a.key, other.key].sort());
});

Deno.test("a definition identical to a built-in is the built-in, under its plain key", () => {
  const registry = new ComponentRegistry();
  const velocity = registry.get("Velocity")!;
  const mine = registry.resolve({
    name: "Velocity",
    schema: {
      linear: { type: "vec3", default: [0, 0, 0] },
      angular: { type: "vec3", default: [0, 0, 0] },
    },
    module: "mine.ts",
  });
  assert.equal(mine, velocity);
  assert.equal(registry.displayName("Velocity"), "Velocity");
});

Deno.test("names are shown plain, and qualified by module only where two definitions collide", () => {
  const registry = new ComponentRegistry();
  const a = registry.resolve({ name: "Counter", schema: u32, module: "_counter.ts" });
  assert.equal(registry.displayName(a.key), "Counter");
  const b = registry.resolve({ name: "Counter", schema: f64, module: "aaa.ts" });
  assert.equal(registry.displayName(a.key), "Counter@_counter.ts");
  assert.equal(registry.displayName(b.key), "Counter@aaa.ts");
  // The same module with two schemas (an edit on its way in): the key tells them apart.
  const edited = registry.resolve({
    name: "Counter",
    schema: { ...u32, more: { type: "u8", default: [0] } },
    module: "_counter.ts",
  });
  assert.equal(registry.displayName(edited.key), `Counter@_counter.ts#${edited.key}`);
});

Deno.test("declarations are per file, and unused components are pruned", () => {
  const registry = new ComponentRegistry();
  const a = registry.resolve({ name: "Counter", schema: u32, module: "_counter.ts" });
  const b = registry.resolve({ name: "Counter", schema: f64, module: "aaa.ts" });
  assert.deepEqual(registry.declare("counter.ts", [[a.key, "_counter.ts"]]), []);
  assert.deepEqual(registry.declare("aaa.ts", [[b.key, "aaa.ts"]]), []);
  assert.deepEqual(registry.declarers(a.key), ["counter.ts"]);
  assert.deepEqual(registry.declare("aaa.ts", []), [b.key], "what a file stopped declaring");
  registry.prune(() => false);
  assert.equal(registry.get(b.key), undefined, "nobody declares it and no entity holds it");
  assert.ok(registry.get(a.key));
  assert.ok(registry.get("Transform"), "built-ins stay");
  assert.ok(registry.retain(new Set()), "a deleted file's declarations go");
  assert.deepEqual(registry.declarers(a.key), []);
});

Deno.test("the registry round-trips through its saved form", () => {
  const registry = new ComponentRegistry();
  const a = registry.resolve({ name: "Counter", schema: u32, module: "_counter.ts" });
  registry.declare("counter.ts", [[a.key, "_counter.ts"], ["Transform", null]]);
  const restored = new ComponentRegistry();
  for (const saved of registry.save()) restored.restore(saved);
  assert.deepEqual(restored.get(a.key)?.fields, a.fields);
  assert.deepEqual(restored.declarers(a.key), ["counter.ts"]);
  assert.deepEqual(restored.modules(a.key), ["_counter.ts"]);
  assert.equal(
    restored.resolve({ name: "Counter", schema: u32, module: null }).key,
    a.key,
    "a restored component is found by its definition",
  );
});

Deno.test("a built-in keeps its name; a script's other definition of it is the one qualified", () => {
  const registry = new ComponentRegistry();
  const mine = registry.resolve({
    name: "Transform",
    schema: { position: { type: "vec3", default: [0, 0, 0] } },
    module: "hostile.ts",
  });
  assert.notEqual(mine.key, "Transform");
  assert.equal(registry.displayName("Transform"), "Transform");
  assert.equal(registry.displayName(mine.key), "Transform@hostile.ts");
});

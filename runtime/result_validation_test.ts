import assert from "node:assert/strict";
import { validateManifest } from "../sandbox/manifest.ts";
import { toWireSchema } from "./component_registry.ts";
import { type ResultContext, validateResult } from "./result_validation.ts";
import { World } from "./world.ts";

// Forged results, as a child that bypassed the in-child host could send them.
function context(world: World, overrides: Partial<ResultContext> = {}): ResultContext {
  const transform = toWireSchema(world.registry.get("Transform")!.fields);
  const velocity = toWireSchema(world.registry.get("Velocity")!.fields);
  return {
    script: "forger",
    manifest: validateManifest({
      reads: ["Velocity"],
      writes: ["Transform"],
      spawns: false,
      components: { Transform: transform, Velocity: velocity },
    }, "forger.ts"),
    tick: 3,
    rows: world.query(["Transform", "Velocity"]),
    reserved: null,
    component: (n) => world.registry.get(n),
    maxCommands: 100,
    ...overrides,
  };
}

function worldWithOne(): World {
  const world = new World();
  const [id] = world.allocator.reserve(1);
  world.spawn(id!, { Transform: {}, Velocity: {} });
  return world;
}

const result = (extra: Record<string, unknown>) => ({
  t: "result",
  tick: 3,
  changed: {},
  commands: [],
  error: null,
  ...extra,
});

Deno.test("a forged column of a read-only component is a violation", () => {
  const world = worldWithOne();
  const v = validateResult(
    result({ changed: { Velocity: { linear: new Uint8Array(12) } } }),
    context(world),
  );
  assert.equal(v.ok, false);
  assert.match(
    !v.ok ? v.violations[0]! : "",
    /Cannot write component "Velocity" from script "forger"/,
  );
});

Deno.test("a column of the wrong length or an unknown field is a violation", () => {
  const world = worldWithOne();
  const short = validateResult(
    result({ changed: { Transform: { position: new Uint8Array(5) } } }),
    context(world),
  );
  assert.match(!short.ok ? short.violations[0]! : "", /has 5 bytes, expected 12/);
  const unknown = validateResult(
    result({ changed: { Transform: { nope: new Uint8Array(4) } } }),
    context(world),
  );
  assert.match(!unknown.ok ? unknown.violations[0]! : "", /no such field/);
});

Deno.test("commands without spawns, unreserved ids and stale ticks are violations", () => {
  const world = worldWithOne();
  const noSpawns = validateResult(result({ commands: [["despawn", 1]] }), context(world));
  assert.match(!noSpawns.ok ? noSpawns.violations[0]! : "", /does not declare spawns: true/);
  const spawning = context(world, { reserved: Uint32Array.of(7) });
  (spawning.manifest as { spawns: boolean }).spawns = true;
  const stolen = validateResult(result({ commands: [["spawn", 8, { Transform: {} }]] }), spawning);
  assert.match(!stolen.ok ? stolen.violations[0]! : "", /was not reserved/);
  const twice = validateResult(
    result({ commands: [["spawn", 7, {}], ["spawn", 7, {}]] }),
    spawning,
  );
  assert.equal(twice.ok, false);
  const stale = validateResult(result({ tick: 2 }), context(world));
  assert.match(!stale.ok ? stale.violations[0]! : "", /for tick 2, expected 3/);
});

Deno.test("a valid result passes with only its changed columns", () => {
  const world = worldWithOne();
  const v = validateResult(
    result({ changed: { Transform: { position: new Uint8Array(12) } } }),
    context(world),
  );
  assert.ok(v.ok);
  assert.deepEqual(v.ok && v.result.changed.map((c) => c.field), ["position"]);
});

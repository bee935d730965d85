import assert from "node:assert/strict";
import { validateManifest } from "../roles/mod.ts";
import { toWireSchema } from "../ecs/mod.ts";
import { firstInvalidRow, type ResultContext, validateResult } from "./result_validation.ts";
import { World } from "../ecs/mod.ts";

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
    rows: { default: world.query(["Transform", "Velocity"]) },
    reserved: null,
    component: (n) => world.registry.get(n),
    resourceFields: () => undefined,
    eventFields: () => undefined,
    maxEvents: 16,
    mayTouch: () => false,
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
    result({ changed: { default: { Velocity: { linear: new Uint8Array(12) } } } }),
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
    result({ changed: { default: { Transform: { position: new Uint8Array(5) } } } }),
    context(world),
  );
  assert.match(!short.ok ? short.violations[0]! : "", /has 5 bytes, expected 12/);
  const unknown = validateResult(
    result({ changed: { default: { Transform: { nope: new Uint8Array(4) } } } }),
    context(world),
  );
  assert.match(!unknown.ok ? unknown.violations[0]! : "", /no such field/);
});

Deno.test("commands without spawns, unreserved ids and stale ticks are violations", () => {
  const world = worldWithOne();
  const noSpawns = validateResult(result({ commands: [["spawn", 1, {}]] }), context(world));
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
    result({ changed: { default: { Transform: { position: new Uint8Array(12) } } } }),
    context(world),
  );
  assert.ok(v.ok);
  assert.deepEqual(v.ok && v.result.changed.map((c) => c.field.name), ["position"]);
});

/** A context whose script may spawn, holding one reserved id (7) and shipped `shipped`. */
function spawningContext(world: World, shipped: number[]): ResultContext {
  const ctx = context(world, {
    reserved: Uint32Array.of(7),
    mayTouch: (id) => shipped.includes(id),
  });
  (ctx.manifest as { spawns: boolean }).spawns = true;
  return ctx;
}

Deno.test("despawn, add and remove of an entity the script was not shipped and did not spawn are violations", () => {
  const world = worldWithOne();
  const ctx = spawningContext(world, []);
  for (
    const command of [
      ["despawn", 1],
      ["add", 2, "Transform", {}],
      ["remove", 2, "Transform"],
    ]
  ) {
    const v = validateResult(result({ commands: [command] }), ctx);
    assert.equal(v.ok, false, JSON.stringify(command));
    assert.match(
      !v.ok ? v.violations[0]! : "",
      /^Cannot (despawn|attach "Transform" to|remove "Transform" from) entity \d from script "forger": it was not shipped to the script this tick and the script did not spawn it$/,
    );
  }
});

Deno.test("a script may restructure entities it was shipped, and ones it spawns in the same result", () => {
  const world = worldWithOne();
  const shipped = validateResult(
    result({ commands: [["add", 1, "Transform", { position: [1, 2, 3] }], ["despawn", 1]] }),
    spawningContext(world, [1]),
  );
  assert.ok(shipped.ok, !shipped.ok ? shipped.violations.join("; ") : "");
  const own = validateResult(
    result({ commands: [["spawn", 7, { Transform: {} }], ["remove", 7, "Transform"]] }),
    spawningContext(world, []),
  );
  assert.ok(own.ok, !own.ok ? own.violations.join("; ") : "");
});

Deno.test("non-finite floats, bools other than 0 and 1, and out-of-range command values are violations", () => {
  const world = worldWithOne();
  const nan = new Uint8Array(12);
  new DataView(nan.buffer).setFloat32(4, NaN, true);
  const v = validateResult(
    result({ changed: { default: { Transform: { position: nan } } } }),
    context(world),
  );
  assert.match(!v.ok ? v.violations[0]! : "", /holds a value that is not a finite number at row 0/);
  const inf = new Uint8Array(16);
  new DataView(inf.buffer).setFloat32(12, Infinity, true);
  const rotation = validateResult(
    result({ changed: { default: { Transform: { rotation: inf.subarray(0, 16) } } } }),
    context(world),
  );
  assert.equal(rotation.ok, false);
  const bool = { name: "on", type: "bool", width: 1, bytes: 1, default: [0] } as const;
  assert.equal(firstInvalidRow(bool, Uint8Array.of(0, 1, 1)), -1);
  assert.equal(firstInvalidRow(bool, Uint8Array.of(0, 1, 2)), 2);
  const f64 = { name: "d", type: "f64", width: 1, bytes: 8, default: [0] } as const;
  const wide = new Uint8Array(8 * 3 + 1);
  new DataView(wide.buffer).setFloat64(1 + 16, -Infinity, true);
  assert.equal(firstInvalidRow(f64, wide.subarray(1)), 2, "found off an 8-byte boundary");
  assert.equal(firstInvalidRow(f64, wide.subarray(1, 17)), -1);
  for (
    const bad of [
      { position: [Infinity, 0, 0] },
      { position: [NaN, 0, 0] },
      { scale: [0, -1e39, 0] },
    ]
  ) {
    const spawn = validateResult(
      result({ commands: [["spawn", 7, { Transform: bad }]] }),
      spawningContext(world, []),
    );
    assert.match(!spawn.ok ? spawn.violations[0]! : "", /expected finite f32s, got/);
  }
});

Deno.test("strings a child sends are quoted truncated, and unknown result fields are refused", () => {
  const world = worldWithOne();
  const huge = "X".repeat(65536);
  const v = validateResult(result({ changed: { default: { [huge]: {} } } }), context(world));
  assert.equal(v.ok, false);
  const message = !v.ok ? v.violations[0]! : "";
  assert.ok(message.length < 300, `${message.length} characters`);
  assert.match(message, /^Cannot write component "X{64}…\(65536 chars\)" from script "forger"/);
  const escaped = validateResult(
    result({ changed: { default: { "\u001b]52;c;aGk=\u0007": {} } } }),
    context(world),
  );
  assert.match(!escaped.ok ? escaped.violations[0]! : "", /"\\x1b\]52;c;aGk=\\x07"/);
  const padded = validateResult(result({ padding: {} }), context(world));
  assert.match(!padded.ok ? padded.violations[0]! : "", /has an unknown field "padding"/);
});

Deno.test("a forged text column must hold one string per row, each within the field's max", () => {
  const world = new World();
  const schema = { text: { type: "text" as const, default: [""] as [string], max: 4 } };
  const label = world.registry.resolve({ name: "Label", schema, module: null });
  const ids = [...world.allocator.reserve(2)];
  for (const id of ids) world.spawn(id, { [label.key]: {} });
  const ctx = context(world, {
    manifest: validateManifest({ writes: ["Label"], components: { Label: schema } }, "forger.ts"),
    rows: { default: world.query([label.key]) },
    component: () => label,
  });
  const send = (text: unknown) =>
    validateResult(result({ changed: { default: { Label: { text } } } }), ctx);
  const ok = send(["ab", "cd"]);
  assert.deepEqual(ok.ok && ok.result.changed.map((c) => c.text), [["ab", "cd"]]);
  for (
    const [forged, why] of [
      [["ab"], /has 1 strings, expected 2/],
      [["ab", "toolong"], /at row 1: expected at most 4 bytes of text, got 7/],
      [["ab", 5], /at row 1: expected a string, got number/],
      [new Uint8Array(8), /has no strings, expected 2/],
    ] as const
  ) {
    const v = send(forged);
    assert.equal(v.ok, false);
    assert.match(!v.ok ? v.violations[0]! : "", why);
  }
});

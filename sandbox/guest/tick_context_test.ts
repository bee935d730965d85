import assert from "node:assert/strict";
import { defineComponent, defineSystem, type SystemContext } from "../../std/mod.ts";
import {
  decodeMessagePack,
  GrantViolationError,
  MessagePackWriter,
  writeRuntimeFrame,
} from "../../runtime/protocol/mod.ts";
import {
  ColumnOriginals,
  createTickContext,
  describeManifest,
  GUEST_FRAME_LIMITS,
  resultOf,
  toWireError,
} from "./mod.ts";

const Position = defineComponent("Position", { p: "vec3" });
const Health = defineComponent("Health", { hp: "f64" });
const Secret = defineComponent("Secret", { s: "u32" });
const system = defineSystem({ reads: [Health], writes: [Position], run() {} });

/** A tick of `n` rows as the runtime frames it, decoded with its message `at` (mod 8) of a buffer. */
function decodedTick(n: number, at = 0): Record<string, unknown> & { t: string } {
  const frame = writeRuntimeFrame(new MessagePackWriter(), {
    t: "tick",
    tick: 7,
    dt: 0.25,
    count: n,
    entities: new Uint8Array(new Uint32Array(n).map((_, i) => 100 + i).buffer),
    columns: {
      Position: { p: new Uint8Array(new Float32Array(n * 3).fill(1).buffer) },
      Health: { hp: new Uint8Array(new Float64Array(n).fill(50).buffer) },
    },
  });
  // The channel puts each message on an 8-byte boundary of its own buffer (at = 0).
  const buffer = new Uint8Array(frame.length + 4 + at);
  buffer.set(frame, 4 + at);
  return decodeMessagePack(buffer.subarray(8 + at), GUEST_FRAME_LIMITS) as never;
}

Deno.test("importing the guest's mod.ts hardens nothing", () => {
  assert.equal(typeof Deno.stdin?.readSync, "function");
  assert.equal(typeof Deno.stdout?.writeSync, "function");
  assert.equal(typeof (globalThis as { Worker?: unknown }).Worker, "function");
  assert.equal(typeof (Deno as { listen?: unknown }).listen, "function");
});

Deno.test("a tick's context views aligned columns in place and its result holds only changed columns", () => {
  const message = decodedTick(4);
  const blob = message.blob as Uint8Array;
  const ctx = createTickContext(system, "mover", message, {
    storage: null,
    originals: new ColumnOriginals(),
  });
  assert.deepEqual([ctx.tick, ctx.dt, ctx.count], [7, 0.25, 4]);
  assert.deepEqual([...ctx.entities], [100, 101, 102, 103]);
  const p = (ctx as SystemContext).write(Position).p;
  assert.equal(p.buffer, blob.buffer, "the column is a view into the frame, not a copy");
  assert.deepEqual([...(ctx as SystemContext).read(Health).hp], [50, 50, 50, 50]);
  assert.deepEqual(resultOf(ctx, null).changed, {}, "nothing written yet");
  p[5] = 9;
  const result = resultOf(ctx, null);
  assert.deepEqual(Object.keys(result.changed), ["Position"]);
  const changed = new Float32Array(result.changed.Position!.p!.slice().buffer);
  assert.deepEqual([...changed], [1, 1, 1, 1, 1, 9, 1, 1, 1, 1, 1, 1]);
  const failed = resultOf(ctx, toWireError(new Error("boom"), String));
  assert.deepEqual([failed.changed, failed.commands, failed.error?.message], [{}, [], "boom"]);
});

Deno.test("a column that arrives off an 8-byte boundary is copied before it is viewed", () => {
  const message = decodedTick(3, 4);
  const blob = message.blob as Uint8Array;
  assert.equal(blob.byteOffset % 8, 4);
  const ctx = createTickContext(system, "mover", message, {
    storage: null,
    originals: new ColumnOriginals(),
  });
  const hp = (ctx as SystemContext).read(Health).hp;
  assert.notEqual(hp.buffer, blob.buffer, "a copy of its own");
  assert.deepEqual([...hp], [50, 50, 50]);
  assert.deepEqual([...ctx.entities], [100, 101, 102]);
});

Deno.test("reading or writing outside the grants is a GrantViolationError naming the script", () => {
  const ctx = createTickContext(system, "mover", decodedTick(1), {
    storage: null,
    originals: new ColumnOriginals(),
  });
  assert.throws(
    () => ctx.read(Secret),
    new GrantViolationError(
      `Cannot read component "Secret" from script "mover": it is not in the script's reads or ` +
        `writes; add it to the system's reads (or writes)`,
    ),
  );
  assert.throws(
    () => ctx.write(Health),
    /^GrantViolationError: Cannot write component "Health" from script "mover": it is not in the script's writes; add it to the system's writes$/,
  );
});

Deno.test("init gets tick 0, no rows and the spawn reserve", () => {
  const spawner = defineSystem({ writes: [Position], spawns: true, init() {} });
  const reserve = new Uint8Array(new Uint32Array([41, 42]).buffer);
  const ctx = createTickContext(spawner, "s", { t: "init", reserve }, {
    storage: "/data",
    originals: new ColumnOriginals(),
  });
  assert.deepEqual([ctx.tick, ctx.count, ctx.storage], [0, 0, "/data"]);
  assert.equal(ctx.spawn({ Position: { p: [1, 2, 3] } }), 41);
  assert.equal(ctx.spawn({}), 42);
  assert.throws(() => ctx.spawn({}), /^RangeError: Cannot spawn more than 2 entities/);
  assert.equal(resultOf(ctx, null).commands.length, 2);
});

Deno.test("the manifest lists reads, writes and each component's schema", () => {
  const m = describeManifest(system);
  assert.deepEqual([m.reads, m.writes, m.hasRun, m.hasInit], [
    ["Health"],
    ["Position"],
    true,
    false,
  ]);
  assert.deepEqual(m.components.Position, { p: { type: "vec3", default: [0, 0, 0] } });
});

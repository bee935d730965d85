import assert from "node:assert/strict";
import {
  defineComponent,
  defineEvent,
  defineResource,
  defineSystem,
  type SystemContext,
} from "../../std/mod.ts";
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
    queries: {
      default: {
        count: n,
        entities: new Uint8Array(new Uint32Array(n).map((_, i) => 100 + i).buffer),
        columns: {
          Position: { p: new Uint8Array(new Float32Array(n * 3).fill(1).buffer) },
          Health: { hp: new Uint8Array(new Float64Array(n).fill(50).buffer) },
        },
      },
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
  assert.deepEqual(Object.keys(result.changed.default!), ["Position"]);
  const changed = new Float32Array(
    (result.changed.default!.Position!.p as Uint8Array).slice().buffer,
  );
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

const Tag = defineComponent("Tag", { on: "bool" });
const Score = defineResource("Score", { points: "u32", at: "vec3" });
const Opened = defineEvent("Opened", { door: "entity" });
const Closed = defineEvent("Closed", { door: "entity" });
const doors = defineSystem({
  queries: {
    doors: { reads: [Health], writes: [Position], optional: [Tag] },
    players: { reads: [Position], with: [Health], without: [Secret] },
  },
  resources: { writes: [Score] },
  emits: [Opened],
  receives: [Closed],
  run() {},
});

/** A tick for `doors`: two door rows (the second has Tag), one player row, a Score and a Closed event. */
function doorsTick(): Record<string, unknown> & { t: string } {
  const frame = writeRuntimeFrame(new MessagePackWriter(), {
    t: "tick",
    tick: 2,
    dt: 0.5,
    queries: {
      doors: {
        count: 2,
        entities: new Uint8Array(new Uint32Array([10, 11]).buffer),
        columns: {
          Health: { hp: new Uint8Array(new Float64Array([1, 2]).buffer) },
          Position: { p: new Uint8Array(24) },
          Tag: { on: new Uint8Array([0, 1]) },
        },
        has: { Tag: new Uint8Array([0, 1]) },
      },
      players: {
        count: 1,
        entities: new Uint8Array(new Uint32Array([20]).buffer),
        columns: { Position: { p: new Uint8Array(new Float32Array([5, 6, 7]).buffer) } },
      },
    },
    resources: { Score: { points: 3, at: [0, 0, 0] } },
    events: { Closed: [{ door: 10 }] },
  });
  const buffer = new Uint8Array(frame.length + 4);
  buffer.set(frame, 4);
  return decodeMessagePack(buffer.subarray(8), GUEST_FRAME_LIMITS) as never;
}

Deno.test("each query has its own rows, grants, has() and indexOf(); writes come back per query", () => {
  const ctx = createTickContext(doors, "doors", doorsTick(), {
    storage: null,
    originals: new ColumnOriginals(),
  });
  const api = ctx as SystemContext;
  const d = api.query("doors");
  const p = api.query("players");
  assert.deepEqual([d.count, [...d.entities], p.count, [...p.entities]], [2, [10, 11], 1, [20]]);
  assert.deepEqual([...d.has(Tag)], [0, 1]);
  assert.deepEqual([...p.has(Health)], [1], "a with component is on every row");
  assert.deepEqual([d.indexOf(11), d.indexOf(20), p.indexOf(20)], [1, -1, 0]);
  assert.deepEqual([...p.read(Position).p], [5, 6, 7]);
  assert.equal(ctx.count, 0, "no default query: no rows");
  d.write(Position).p[3] = 4;
  assert.throws(
    () => p.write(Position),
    /Cannot write component "Position" from script "doors": it is not in query "players"'s writes; add it to query "players"'s writes/,
  );
  assert.throws(() => p.read(Tag), /not in query "players"'s reads or writes or optional/);
  assert.throws(() => ctx.query("nope"), /has no query "nope": its queries are "doors", "players"/);
  const result = resultOf(ctx, null);
  assert.deepEqual(Object.keys(result.changed), ["doors"]);
  assert.deepEqual([
    ...new Float32Array((result.changed.doors!.Position!.p as Uint8Array).slice().buffer),
  ], [
    0,
    0,
    0,
    4,
    0,
    0,
  ]);
});

Deno.test("a written resource's changed fields and the emitted events travel back; grants are checked", () => {
  const ctx = createTickContext(doors, "doors", doorsTick(), {
    storage: null,
    originals: new ColumnOriginals(),
  });
  assert.deepEqual(ctx.events(Closed), [{ door: 10 }]);
  const score = (ctx as SystemContext).resource(Score);
  assert.equal((ctx as SystemContext).resource(Score), score, "one object per tick");
  score.points += 2;
  ctx.emit(Opened, { door: 11 });
  assert.throws(() => ctx.emit(Closed, { door: 1 }), /Cannot emit event "Closed".*add it to emits/);
  assert.throws(() => ctx.events(Opened), /Cannot receive event "Opened".*add it to receives/);
  assert.throws(() => ctx.emit(Opened, { door: -1 }), /Invalid value for field "Opened.door"/);
  const result = resultOf(ctx, null);
  assert.deepEqual(result.resources, { Score: { points: 5 } }, "only the changed field");
  assert.deepEqual(result.events, [["Opened", { door: [11] }]]);
  score.points = 1.5;
  assert.match(resultOf(ctx, null).error?.message ?? "", /resource field "Score.points"/);
});

import assert from "node:assert/strict";
import { World } from "../ecs/mod.ts";
import { resolveSchema } from "../../std/mod.ts";
import { seeded } from "../../sandbox/guest/mod.ts";
import { decodeWorld, encodeWorld } from "./world_codec.ts";
import { applyChanges, ChangeLog, decodeChanges, settleChanges } from "./world_changes.ts";

/** Everything a replay must bring back, as comparable values. */
function state(world: World) {
  return {
    entities: world.dump(),
    owners: world.owners.save(),
    usage: ["a.ts", "b.ts"].map((f) => world.usage(f)),
    inits: [...world.initsRun].sort(),
    seed: world.seed,
    resources: world.resources.dump(),
    // The decoder makes objects without a prototype: compared as plain ones.
    events: JSON.parse(JSON.stringify(world.events.pending())),
  };
}

const LABEL = { text: { type: "text" as const, default: [""] as [string], max: 12 } };

Deno.test("a snapshot and the change log after it replay to the same world, through spawns, despawns, adds, removes and id reuse", () => {
  for (const seed of [1, 2, 3]) {
    const next = seeded(seed);
    const world = new World();
    const label = world.registry.resolve({ name: "Label", schema: LABEL, module: null }).key;
    world.resources.declare("Score", resolveSchema("Score", { points: "u32" }, "resource"));
    const live: number[] = [];
    const spawn = (n: number) => {
      for (const id of world.allocator.reserve(n)) {
        const owner = next() < 0.5 ? "a.ts" : "b.ts";
        world.spawn(id, { Transform: { position: [id, next(), 0] } }, owner);
        live.push(id);
      }
    };
    spawn(50);
    const snapshot = encodeWorld(world, 10);
    const log = new ChangeLog(world, 10, 7);
    const entries: Uint8Array[] = [];
    for (let tick = 11; tick <= 40; tick++) {
      world.advanceClock();
      for (let op = 0; op < 12; op++) {
        const roll = next();
        const id = live[Math.floor(next() * live.length)];
        if (roll < 0.15) spawn(1 + Math.floor(next() * 3));
        else if (roll < 0.3 && id !== undefined) {
          world.despawn(id);
          live.splice(live.indexOf(id), 1);
        } else if (roll < 0.45 && id !== undefined) {
          // Paid for by someone else than the owner half the time.
          world.add(id, "Velocity", { linear: [next(), 1, 2] }, next() < 0.5 ? "a.ts" : "b.ts");
        } else if (roll < 0.55 && id !== undefined) world.remove(id, "Velocity");
        else if (roll < 0.65 && id !== undefined) world.add(id, label, { text: [`e${tick}`] });
        else if (roll < 0.9 && id !== undefined) {
          world.add(id, "Transform", { position: [tick, op, next()] }); // a value set in place
        } else if (roll < 0.95) world.resources.set("Score", "points", [tick]);
        else world.events.emit("a.ts", [["Ping", { tick }]]);
      }
      if (tick === 25) world.initsRun.add("door.ts");
      if (tick % 3 === 0 || tick === 40) entries.push(log.take(tick)!);
    }
    // Spawn and despawn between two entries: the id never comes back.
    const [brief] = world.allocator.reserve(1);
    world.spawn(brief!, { Transform: {} }, "a.ts");
    world.despawn(brief!);
    entries.push(log.take(41)!);

    const { world: copy, tick } = decodeWorld(snapshot);
    assert.equal(tick, 10);
    let at = tick;
    for (const bytes of entries) {
      const entry = decodeChanges(bytes);
      assert.equal(entry.chain, 7);
      assert.equal(entry.prev, at, "each entry follows the one before");
      applyChanges(copy, entry);
      at = entry.tick;
    }
    settleChanges(copy);
    assert.equal(at, 41);
    assert.deepEqual(state(copy), state(world), `seed ${seed}`);
    assert.equal(copy.isAlive(brief!), false);
    // Ids handed out after the replay are fresh: none live, none twice, never the brief one.
    const handed = [...copy.allocator.reserve(200)];
    assert.equal(new Set(handed).size, handed.length);
    for (const id of handed) {
      assert.equal(copy.isAlive(id), false);
      assert.notEqual(id, brief);
    }
  }
});

Deno.test("an entry lists only what changed: an unchanged world logs no rows", () => {
  const world = new World();
  const ids = [...world.allocator.reserve(1000)];
  for (const id of ids) world.spawn(id, { Transform: {} }, "a.ts");
  const log = new ChangeLog(world, 0, 1);
  world.advanceClock();
  world.add(ids[5]!, "Transform", { position: [1, 2, 3] });
  const one = decodeChanges(log.take(1)!);
  assert.deepEqual(one.rows.map((r) => r.entities.length / 4), [1]);
  assert.equal(one.resources, undefined, "resources unchanged: not repeated");
  const none = decodeChanges(log.take(2)!);
  assert.deepEqual(none.rows, []);
  assert.equal(none.prev, 1);
});

Deno.test("a change of the component registry cannot be logged: take says a snapshot is needed", () => {
  const world = new World();
  const log = new ChangeLog(world, 0, 1);
  assert.ok(log.take(1) !== null);
  world.registry.resolve({ name: "Label", schema: LABEL, module: null });
  assert.equal(log.take(2), null);
});

Deno.test("a damaged entry is refused with what is wrong with it", () => {
  assert.throws(() => decodeChanges(new Uint8Array([0xc1])), /MessagePack|Malformed|0xc1/i);
  const world = new World();
  const bytes = new ChangeLog(world, 0, 1).take(1)!;
  // The format string is near the start: change one of its letters.
  const damaged = bytes.slice();
  const at = new TextDecoder().decode(bytes).indexOf("syncra.changes");
  damaged[at] = "X".charCodeAt(0);
  assert.throws(() => decodeChanges(damaged), /not a syncra\.changes\/1 entry/);
});

/**
 * The JetStream store's change log (runtime/nats change_stream.ts, store
 * world_changes.ts) against a real nats-server: what is logged after a
 * snapshot comes back, old chains are purged, a damaged entry stops the
 * replay, and what an entry cannot hold becomes a snapshot.
 */
import assert from "node:assert/strict";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { World } from "../ecs/mod.ts";
import { findExecutable } from "../../sandbox/command/mod.ts";
import {
  CHANGES_STREAM,
  connectAs,
  coordinatorPermissions,
  ensureIdentity,
  JetStreamWorldStore,
  startNatsServer,
} from "../nats/mod.ts";

const IN_CI = Deno.env.get("SYNCRA_CI") === "1";
const missing = findExecutable("nats-server") === null;
if (missing && IN_CI) throw new Error(`CI needs nats-server (Debian package "nats-server")`);

/** A real server and the coordinator's connection to it, for one test. */
async function withServer(fn: (nc: NatsConnection, url: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "syncra_js_changes_" });
  const identity = await ensureIdentity(root, "coordinator");
  const server = await startNatsServer(root, [{ identity, permissions: coordinatorPermissions() }]);
  const nc = await connectAs(server.url, identity);
  try {
    await fn(nc, server.url);
  } finally {
    await nc.close();
    await server.stop();
    await Deno.remove(root, { recursive: true });
  }
}

function world(entities: number): { world: World; ids: number[] } {
  const w = new World();
  const ids = [...w.allocator.reserve(entities)];
  for (const id of ids) w.spawn(id, { Transform: { position: [id, 0, 0] } }, "a.ts");
  return { world: w, ids };
}

/** One tick's worth of change: a move, a spawn and a despawn. */
function change(w: World, ids: number[], tick: number): void {
  w.advanceClock();
  w.add(ids[tick % ids.length]!, "Transform", { position: [0, tick, 0] });
  const [id] = w.allocator.reserve(1);
  w.spawn(id!, { Transform: { position: [tick, tick, tick] }, Velocity: {} }, "b.ts");
  ids.push(id!);
  w.despawn(ids.shift()!);
}

/** A world of `entities` saved at `tick` to a new store on `nc`. */
async function savedWorld(nc: NatsConnection, url: string, entities: number, tick: number) {
  const { world: w, ids } = world(entities);
  const store = new JetStreamWorldStore(nc, url);
  await store.save(w, tick);
  /** One tick's change, logged. */
  const step = async (at: number) => {
    change(w, ids, at);
    await store.logChanges(w, at);
  };
  return { w, ids, store, step };
}

async function chains(nc: NatsConnection): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(CHANGES_STREAM, { subjects_filter: ">" });
  return Object.keys(info.state.subjects ?? {});
}

Deno.test({
  name: "the JetStream store brings back the last logged change, not only the last snapshot",
  ignore: missing,
  fn: () =>
    withServer(async (nc, url) => {
      const { w, step } = await savedWorld(nc, url, 100, 10);
      for (let tick = 11; tick <= 15; tick++) await step(tick);
      const saved = await new JetStreamWorldStore(nc, url).load();
      assert.equal(saved?.tick, 15);
      assert.deepEqual(saved.world.dump(), w.dump());
      assert.deepEqual(saved.world.usage("b.ts"), w.usage("b.ts"));
      assert.equal(saved.detail, "the snapshot of tick 10 and 5 logged changes after it");
    }),
});

Deno.test({
  name: "a stored snapshot purges the chains before it, and the log continues from it",
  ignore: missing,
  fn: () =>
    withServer(async (nc, url) => {
      const { w, store, step } = await savedWorld(nc, url, 10, 1);
      await step(2);
      assert.equal((await chains(nc)).length, 1);
      await store.save(w, 3);
      await step(4);
      const left = await chains(nc);
      assert.equal(left.length, 1, `only the new snapshot's chain is left: ${left}`);
      const saved = await new JetStreamWorldStore(nc, url).load();
      assert.equal(saved?.tick, 4);
      assert.deepEqual(saved.world.dump(), w.dump());
    }),
});

Deno.test({
  name: "a damaged entry stops the replay at the tick before it, and the load says so",
  ignore: missing,
  fn: () =>
    withServer(async (nc, url) => {
      const { w, step } = await savedWorld(nc, url, 10, 1);
      await step(2);
      const atTwo = w.dump();
      const [subject] = await chains(nc);
      // Only the coordinator's user may publish there; here it writes garbage itself.
      await jetstream(nc).publish(subject!, new Uint8Array([0x81, 0xa1, 0x61, 0xc1]));
      await step(3);
      const saved = await new JetStreamWorldStore(nc, url).load();
      assert.equal(saved?.tick, 2);
      assert.deepEqual(saved.world.dump(), atTwo);
      assert.match(
        saved.detail ?? "",
        /1 logged change after it; the entry after tick 2 is damaged/,
      );
    }),
});

Deno.test({
  name: "a change larger than a message is saved as a snapshot, and a changed registry too",
  ignore: missing,
  fn: () =>
    withServer(async (nc, url) => {
      const { world: w, ids } = world(40_000);
      const store = new JetStreamWorldStore(nc, url);
      await store.save(w, 1);
      w.advanceClock();
      for (const id of ids) w.add(id, "Transform", { position: [1, 2, 3], rotation: [0, 0, 1, 0] });
      await store.logChanges(w, 2);
      let saved = await new JetStreamWorldStore(nc, url).load();
      assert.equal(saved?.tick, 2);
      assert.equal(saved.detail, "the snapshot of tick 2 and 0 logged changes after it");
      assert.deepEqual(saved.world.dump(), w.dump());
      w.registry.resolve({
        name: "Label",
        schema: { text: { type: "text", default: [""], max: 8 } },
        module: null,
      });
      await store.logChanges(w, 3);
      saved = await new JetStreamWorldStore(nc, url).load();
      assert.equal(saved?.tick, 3);
      assert.equal(saved.detail, "the snapshot of tick 3 and 0 logged changes after it");
    }),
});

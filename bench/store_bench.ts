/**
 * `deno task bench` (stores): what a save of the world costs in local mode
 * (the file store: temp file, fsync, rename) against distributed mode (the
 * JetStream Object Store on the world's own nats-server), for worlds of
 * 10 000 and 100 000 entities, and a load of each; and the encoding alone,
 * which is all a distributed world's tick loop waits for (the JetStream
 * store uploads while the world ticks on). Then the change log of
 * distributed mode: an entry of 100, 1 000 and 10 000 changed rows of a
 * 100 000-entity world, its encoding (what the tick loop waits for) against
 * the snapshot's in the same run, its size, and its append to JetStream;
 * and a load replaying 50 such entries against a load of the snapshot alone.
 * Medians of 5, same run.
 *
 * Writes `bench/store_results.json` (unless `--no-json`).
 *
 * @module
 */
import { join } from "node:path";
import {
  ChangeLog,
  encodeWorld,
  FileWorldStore,
  tickWorld,
  type WorldStore,
} from "../runtime/store/mod.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import type { World } from "../runtime/ecs/mod.ts";
import {
  connectAs,
  coordinatorPermissions,
  ensureIdentity,
  JetStreamWorldStore,
  startNatsServer,
} from "../runtime/nats/mod.ts";

const COUNTS = [10_000, 100_000];
const RUNS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const round = (x: number) => Math.round(x * 100) / 100;

async function time(store: WorldStore, entities: number) {
  const world = tickWorld(1, entities);
  const saves: number[] = [], loads: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let start = performance.now();
    await store.save(world, i);
    saves.push(performance.now() - start);
    start = performance.now();
    await store.load();
    loads.push(performance.now() - start);
  }
  return { saveMs: round(median(saves)), loadMs: round(median(loads)) };
}

const LOG_WORLD = 100_000;
const CHANGED = [100, 1_000, 10_000];
const REPLAYED = 50;

/** The median time of encoding `world` whole, as a snapshot does. */
function encodeMs(world: World): number {
  const encodes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    encodeWorld(world, i);
    encodes.push(performance.now() - start);
  }
  return round(median(encodes));
}

/** `n` rows of `world` moved, as one tick's merge would. */
function move(world: World, ids: Uint32Array, n: number, tick: number): void {
  world.advanceClock();
  for (let i = 0; i < n; i++) {
    const id = ids[(tick * 7919 + i * 104_729) % ids.length]!;
    world.add(id, "Transform", { position: [tick, i, 0] });
  }
}

async function changeLog(nc: NatsConnection, url: string) {
  const world = tickWorld(1, LOG_WORLD);
  const ids = Uint32Array.from(world.dump().map((e) => e.id));
  const snapshotMs = encodeMs(world);
  const rows = [];
  for (const changed of CHANGED) {
    const store = new JetStreamWorldStore(nc, url);
    await store.save(world, 0);
    const log = new ChangeLog(world, 0, 1);
    const takes: number[] = [], appends: number[] = [];
    let bytes = 0;
    for (let i = 1; i <= RUNS; i++) {
      // Both logs took their last entry at the same moment: each sees exactly these rows.
      move(world, ids, changed, i);
      let start = performance.now();
      bytes = log.take(i)!.length;
      takes.push(performance.now() - start);
      start = performance.now();
      await store.logChanges(world, i);
      appends.push(performance.now() - start);
    }
    rows.push({
      changed,
      encodeMs: round(median(takes)),
      bytes,
      appendMs: round(median(appends)),
    });
  }
  // A load replaying entries against a load of the snapshot alone.
  const store = new JetStreamWorldStore(nc, url);
  await store.save(world, 0);
  const loads = async () => {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      await new JetStreamWorldStore(nc, url).load();
      times.push(performance.now() - start);
    }
    return round(median(times));
  };
  const snapshotLoadMs = await loads();
  for (let tick = 1; tick <= REPLAYED; tick++) {
    move(world, ids, 1_000, tick);
    await store.logChanges(world, tick);
  }
  const replayLoadMs = await loads();
  return { entities: LOG_WORLD, snapshotMs, rows, snapshotLoadMs, replayLoadMs };
}

if (import.meta.main) {
  const root = await Deno.makeTempDir({ prefix: "syncra_store_bench_" });
  const identity = await ensureIdentity(root, "coordinator");
  const server = await startNatsServer(root, [{ identity, permissions: coordinatorPermissions() }]);
  const nc = await connectAs(server.url, identity);
  try {
    const rows = [];
    console.log(
      "| entities | file save | JetStream save | ÷ | file load | JetStream load | ÷ | encode only |",
    );
    console.log(
      "| -------: | --------: | -------------: | - | --------: | -------------: | - | ----------: |",
    );
    for (const entities of COUNTS) {
      const file = await time(new FileWorldStore(join(root, `w${entities}.state`)), entities);
      const js = await time(new JetStreamWorldStore(nc, server.url), entities);
      const encoded = encodeMs(tickWorld(1, entities));
      rows.push({ entities, file, jetstream: js, encodeMs: encoded });
      const ratio = (a: number, b: number) => `${round(a / b)}×`;
      console.log(
        `| ${entities} | ${file.saveMs} ms | ${js.saveMs} ms | ${
          ratio(js.saveMs, file.saveMs)
        } | ` +
          `${file.loadMs} ms | ${js.loadMs} ms | ${
            ratio(js.loadMs, file.loadMs)
          } | ${encoded} ms |`,
      );
    }
    const log = await changeLog(nc, server.url);
    console.log(
      `\nChange log of a ${log.entities}-entity world (snapshot encode ${log.snapshotMs} ms):`,
    );
    console.log(
      "| changed rows | entry encode | ÷ snapshot encode | entry bytes | logged to JetStream (encode + append) |",
    );
    console.log(
      "| -----------: | -----------: | ----------------: | ----------: | ------------------------------------: |",
    );
    for (const r of log.rows) {
      console.log(
        `| ${r.changed} | ${r.encodeMs} ms | ${
          round(r.encodeMs / log.snapshotMs)
        }× | ${r.bytes} | ${r.appendMs} ms |`,
      );
    }
    console.log(
      `load: snapshot alone ${log.snapshotLoadMs} ms; with ${REPLAYED} entries of 1000 rows replayed ${log.replayLoadMs} ms (${
        round(log.replayLoadMs / log.snapshotLoadMs)
      }×)`,
    );
    if (!Deno.args.includes("--no-json")) {
      await Deno.writeTextFile(
        new URL("./store_results.json", import.meta.url),
        JSON.stringify({ date: new Date().toISOString(), rows, changeLog: log }, null, 2) + "\n",
      );
    }
  } finally {
    await nc.close();
    await server.stop();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

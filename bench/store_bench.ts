/**
 * `deno task bench` (stores): what a save of the world costs in local mode
 * (the file store: temp file, fsync, rename) against distributed mode (the
 * JetStream Object Store on the world's own nats-server), for worlds of
 * 10 000 and 100 000 entities, and a load of each; and the encoding alone,
 * which is all a distributed world's tick loop waits for (the JetStream
 * store uploads while the world ticks on). Medians of 5, same run.
 *
 * Writes `bench/store_results.json` (unless `--no-json`).
 *
 * @module
 */
import { join } from "node:path";
import { encodeWorld, FileWorldStore, tickWorld, type WorldStore } from "../runtime/store/mod.ts";
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
      const world = tickWorld(1, entities);
      const encodes: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const start = performance.now();
        encodeWorld(world, i);
        encodes.push(performance.now() - start);
      }
      const encodeMs = round(median(encodes));
      rows.push({ entities, file, jetstream: js, encodeMs });
      const ratio = (a: number, b: number) => `${round(a / b)}×`;
      console.log(
        `| ${entities} | ${file.saveMs} ms | ${js.saveMs} ms | ${
          ratio(js.saveMs, file.saveMs)
        } | ` +
          `${file.loadMs} ms | ${js.loadMs} ms | ${
            ratio(js.loadMs, file.loadMs)
          } | ${encodeMs} ms |`,
      );
    }
    if (!Deno.args.includes("--no-json")) {
      await Deno.writeTextFile(
        new URL("./store_results.json", import.meta.url),
        JSON.stringify({ date: new Date().toISOString(), rows }, null, 2) + "\n",
      );
    }
  } finally {
    await nc.close();
    await server.stop();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

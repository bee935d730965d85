/**
 * `deno task bench` (distributed mode): a world on its own nats-server
 * (`--nats auto`, `--hz 0`, ticks back to back) with one system, run three
 * ways in the same run: as the world's own script over its local channel,
 * and on 1 and 3 remote hosts (`deno task system`) over NATS. Every process
 * is the real CLI; tick times come from the coordinator's own
 * `engine.coord.tick` messages, taken after the hosts joined and warmed up.
 *
 * - Light system (4 f32 fields moved per entity), 10 000 and 100 000
 *   entities: tick p50/p99 beside the local channel, and component updates
 *   per second through the distributed path.
 * - CPU-bound system (120 sin/cos per entity), 100 000 entities,
 *   1, 2 and 3 hosts: the scaling curve, with the CPU each process used.
 *
 * Writes `bench/nats_results.json` (unless `--no-json`).
 *
 * @module
 */
import { join } from "node:path";
import {
  connectAs,
  coordinatorPermissions,
  credentialsPath,
  ensureIdentity,
  PartAssembler,
  publishBody,
  readCredentials,
  startNatsServer,
  SUBJECTS,
} from "../runtime/nats/mod.ts";
import { cpuMs, type Stats, stats, treeCpuMs } from "./_bench_tools.ts";
import { decodeMessagePack } from "../runtime/protocol/mod.ts";
import { type CliProcess, spawnCli } from "../tests/_nats.ts";

const WARM_MS = 2500;
const MEASURE_MS = 5000;

/** The component, in a module both the world and the hosts have (the same key everywhere). */
const WORK_MODULE = `
import { defineComponent } from "@syncra/std";
export const Work = defineComponent("Work", { x: "f32", y: "f32", z: "f32", v: "f32" });`;

/** The world's own spawner: the entities exist before the system runs, wherever it runs. */
const spawner = (entities: number) => `
import { defineSystem } from "@syncra/std";
import { Work } from "./_work.ts";
export default defineSystem({
  writes: [Work],
  spawns: true,
  init(ctx) { for (let i = 0; i < ${entities}; i++) ctx.spawn({ Work: { x: i, y: 0, z: 0, v: 1 } }); },
});`;

/** The system under test: `heavy` adds a CPU-bound loop per entity. */
const workSystem = (heavy: boolean) => `
import { defineSystem } from "@syncra/std";
import { Work } from "./_work.ts";
export default defineSystem({
  writes: [Work],
  run(ctx) {
    const { x, y, z, v } = ctx.write(Work);
    for (let i = 0; i < ctx.count; i++) {
      let a = x[i];
      ${heavy ? "for (let k = 0; k < 60; k++) a = Math.sin(a) + Math.cos(a * 0.5);" : ""}
      x[i] = a + v[i] * ctx.dt; y[i] += 0.5 * ctx.dt; z[i] = -z[i];
    }
  },
});`;

/**
 * The same bytes as one shard and its result (ids and 4 f32 out, 3 f32
 * back), round-tripped in parts through a nats-server of its own to a
 * second process that does nothing else: what NATS itself costs here, the
 * floor of the distributed path.
 */
export async function transportFloorMs(entities: number): Promise<number> {
  const root = await Deno.makeTempDir({ prefix: "syncra_nats_floor_" });
  const identity = await ensureIdentity(root, "coordinator");
  const server = await startNatsServer(root, [{ identity, permissions: coordinatorPermissions() }]);
  const echo = spawnCli(
    [
      "run",
      "-A",
      new URL("./_nats_echo.ts", import.meta.url).pathname,
      server.url,
      credentialsPath(root, "coordinator"),
      String(entities * 12),
    ],
    root,
    true,
  );
  try {
    await echo.until(/^ready$/m);
    const nc = await connectAs(server.url, identity);
    let back: () => void = () => {};
    const parts = new PartAssembler();
    nc.subscribe("engine.bench.echo.back", {
      callback: (_, m) => void (parts.take(m) !== null && back()),
    });
    await nc.flush();
    const out = new Uint8Array(entities * 20);
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      const came = new Promise<void>((r) => (back = r));
      publishBody(nc, "engine.bench.echo.out", out, {});
      await came;
      times.push(performance.now() - started);
    }
    await nc.close();
    return stats(times).p50;
  } finally {
    await echo.stop("SIGTERM");
    await server.stop();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

interface Run {
  entities: number;
  heavy: boolean;
  /** 0: the world's own script (local channel). */
  hosts: number;
  tickMs: Stats;
  /** Entities the system moved per second (one component update each). */
  updatesPerSecond: number;
  /** CPU used per second of the measurement, in % of one core, by process. */
  cpu: Record<string, number>;
}

async function measure(entities: number, heavy: boolean, hosts: number): Promise<Run> {
  const root = await Deno.makeTempDir({ prefix: "syncra_nats_bench_" });
  const folder = hosts === 0 ? "scripts" : "hosts";
  await Deno.mkdir(join(root, "scripts"), { recursive: true });
  await Deno.mkdir(join(root, folder), { recursive: true });
  await Deno.writeTextFile(join(root, "scripts", "_work.ts"), WORK_MODULE);
  await Deno.writeTextFile(join(root, "scripts", "spawn.ts"), spawner(entities));
  await Deno.writeTextFile(join(root, folder, "_work.ts"), WORK_MODULE);
  await Deno.writeTextFile(join(root, folder, "work.ts"), workSystem(heavy));
  const limits = { initSpawns: entities, entities, deadlineMs: 20_000 };
  await Deno.writeTextFile(
    join(root, "syncra.json"),
    JSON.stringify({ limits: { default: limits } }),
  );
  const world = spawnCli(
    [
      "world",
      "--nats",
      "auto",
      "--no-viewer",
      "--no-watch",
      "--hz",
      "0",
      "--fresh",
      "--deadline",
      "20000",
      ...(hosts > 0 ? ["--remote", "work"] : []),
    ],
    root,
  );
  const running: CliProcess[] = [];
  try {
    const [, url] = await world.until(/nats: (nats:\/\/\S+)/);
    for (let i = 1; i <= hosts; i++) {
      const host = spawnCli(
        ["system", "hosts/work.ts", "--nats", url!, "--instance", `h${i}`],
        root,
      );
      running.push(host);
      await host.until(/^instance: /m);
      await world.until(new RegExp(`work: host h${i} joined`));
    }
    const nc = await connectAs(url!, await readCredentials(credentialsPath(root, "coordinator")));
    const ticks: number[] = [];
    let recording = false;
    nc.subscribe(SUBJECTS.tick, {
      callback: (_, m) => {
        if (recording) ticks.push((decodeMessagePack(m.data) as { tickMs: number }).tickMs);
      },
    });
    await nc.flush();
    // Spawned (the status line counts them), then warmed up.
    await world.until(new RegExp(`\\| ${entities} entities \\|`), 120_000);
    await new Promise((r) => setTimeout(r, WARM_MS));
    const serverPid = Number(await Deno.readTextFile(join(root, ".syncra", "nats", "server.pid")));
    const sample = () => ({
      coordinator: cpuMs(world.pid),
      "nats-server": cpuMs(serverPid),
      ...(hosts === 0
        ? { scripts: treeCpuMs(world.pid) - cpuMs(world.pid) - cpuMs(serverPid) }
        : Object.fromEntries(running.map((h, i) => [`host h${i + 1} + script`, treeCpuMs(h.pid)]))),
    });
    const before = sample();
    const started = performance.now();
    recording = true;
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    recording = false;
    const seconds = (performance.now() - started) / 1000;
    const after = sample();
    await nc.close();
    const tickMs = stats(ticks);
    const cpu = Object.fromEntries(
      Object.entries(after).map(([k, v]) => [
        k,
        Math.round((v - before[k as keyof typeof before]!) / seconds / 10),
      ]),
    );
    return {
      entities,
      heavy,
      hosts,
      tickMs,
      // Counted where many ticks fit the window; from the mean tick where a few do.
      updatesPerSecond: Math.round(
        ticks.length >= 50 ? entities * ticks.length / seconds : entities * 1000 / tickMs.mean,
      ),
      cpu,
    };
  } finally {
    await world.stop("SIGTERM");
    await Promise.all(running.map((h) => h.stop("SIGKILL")));
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

const fmt = (n: number) => n.toLocaleString("en-US");

if (import.meta.main) {
  const light: Run[] = [];
  // The transport alone first, on a quiet machine: no world is running yet.
  const floors = new Map<number, number>();
  for (const entities of [10_000, 100_000]) floors.set(entities, await transportFloorMs(entities));
  console.log("Light system (4 f32 fields per entity), ticks back to back:");
  console.log(
    "| entities | path | tick p50 | tick p99 | p50 ÷ local | updates/s | NATS round trip of its bytes |",
  );
  console.log(
    "| -------: | ---- | -------: | -------: | ----------: | --------: | ---------------------------: |",
  );
  for (const entities of [10_000, 100_000]) {
    let local = NaN;
    for (const hosts of [0, 1, 3]) {
      const run = await measure(entities, false, hosts);
      light.push(run);
      if (hosts === 0) local = run.tickMs.p50;
      console.log(
        `| ${fmt(entities)} | ${
          hosts === 0 ? "local channel" : `NATS, ${hosts} host${hosts > 1 ? "s" : ""}`
        } | ${run.tickMs.p50.toFixed(2)} ms | ${run.tickMs.p99.toFixed(2)} ms | ${
          (run.tickMs.p50 / local).toFixed(2)
        }× | ${fmt(run.updatesPerSecond)} | ${
          hosts === 1 ? `${floors.get(entities)!.toFixed(2)} ms` : ""
        } |`,
      );
    }
  }
  const heavy: Run[] = [];
  console.log("\nCPU-bound system, 100 000 entities, 1 → 3 hosts on this machine's cores:");
  console.log("| hosts | tick p50 | entities/s | × 1 host | CPU % of one core, by process |");
  console.log("| ----: | -------: | ---------: | -------: | ----------------------------- |");
  for (const hosts of [1, 2, 3]) {
    const run = await measure(100_000, true, hosts);
    heavy.push(run);
    const cpu = Object.entries(run.cpu).map(([k, v]) => `${k} ${v}`).join(", ");
    console.log(
      `| ${hosts} | ${run.tickMs.p50.toFixed(1)} ms | ${fmt(run.updatesPerSecond)} | ${
        (run.updatesPerSecond / heavy[0]!.updatesPerSecond).toFixed(2)
      }× | ${cpu} |`,
    );
  }
  if (!Deno.args.includes("--no-json")) {
    const file = new URL("./nats_results.json", import.meta.url);
    await Deno.writeTextFile(
      file,
      JSON.stringify(
        {
          cores: navigator.hardwareConcurrency,
          transportFloorMs: Object.fromEntries(floors),
          light,
          heavy,
        },
        null,
        2,
      ) + "\n",
    );
  }
}

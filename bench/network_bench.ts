/**
 * `deno run -A bench/network_bench.ts`: what the network driver costs on
 * the wire and on the server, through the real CLI (`deno run -A main.ts
 * world --network 127.0.0.1:0`, a jailed driver process, TLS) and real
 * clients on loopback (bench/_network_clients.ts), in this process. Not part
 * of `deno task test`. The world's syncra.json puts every box in every
 * client's interest (`interestRadius` 100 000 m) and does not throttle
 * (`bytesPerSecond` 10⁹); tokens are the world's own (issueToken with its
 * key, what `deno task token` prints).
 *
 * - **Bytes per changed Transform per client** on the wire: the viewer
 *   bench's scene (bench/_moving_boxes.ts: 1 000 boxes moving at 0–3 m/s,
 *   turning at 0–180°/s), whole WebSocket frames counted (payload and frame
 *   header; TLS adds about 22 B a record — 5 of header, 16 of tag, 1 of type
 *   — not counted), over the measured windows, after the clients' first
 *   state; a changed Transform is one entity's record in a binary frame.
 *   Target: ≤ 8 B.
 * - **Server CPU per client per tick**: the world process and all its
 *   descendants (runtime, network driver, scripts; utime + stime from
 *   /proc/PID/stat) over a 10 s window (600 ticks at 60 Hz) with 0, 1, 10
 *   and 50 clients connected to one world, and 0 again after they left (the
 *   baseline's drift): (cpu(N) − cpu(0)) / N / ticks, µs. The driver is fed
 *   again only once it acknowledged the last feed (the runtime coalesces the
 *   ticks between), so a driver that cannot keep up is fed less often than
 *   the world ticks: the clients' transform frames per second say how
 *   often, and the driver's own CPU per feed it handled, less its cost per
 *   feed with no client, is what a client adds to a feed. From that, the
 *   cores feeding every client at every tick would take; 50 clients at 60 Hz
 *   fit in one core when the world's total share is < 1.0 and the driver is
 *   still fed at ≥ 57 Hz.
 * - **Join to first frame** for a late joiner into a world of 10 000 moving
 *   boxes: from sending the join (the TLS handshake before it timed apart)
 *   to its hello, its first transform frame, and holding all 10 000 boxes
 *   (their JSON components and their transforms), for 5 joins one after the
 *   other; medians. Target: ≤ 500 ms.
 *
 * Writes `bench/network_results.json` (unless `--no-json`).
 *
 * @module
 */
import { join } from "node:path";
import { ensureWorldKey, issueToken } from "../runtime/network/mod.ts";
import { makeScripts, type TestFolder } from "../tests/_world.ts";
import { type NetworkWorld, startNetworkWorld } from "../tests/_network.ts";
import { writeMovingBoxes } from "./_moving_boxes.ts";
import { cpuMs, stats } from "./_bench_tools.ts";
import {
  busyBetween,
  countsBetween,
  cpuBetween,
  type HeardCounts,
  joinClients,
  LoadClient,
  machineCpu,
  stolenShare,
  until,
  untilServing,
  type WorldCpu,
  worldCpu,
  worldPid,
} from "./_network_clients.ts";

const ENTITIES = 1000;
const HZ = 60;
const WINDOW_MS = 10_000;
const WARM_MS = 1500;
/** The client counts measured (besides 0, before and after); 1 shows the codec with a driver that keeps up. */
const CLIENT_COUNTS = [1, 10, 50];
const JOIN_ENTITIES = 10_000;
const JOINS = 5;
const SETTINGS = { interestRadius: 100_000, bytesPerSecond: 1_000_000_000, graceMs: 0 };
const TARGETS = {
  bytesPerChangedTransform: 8,
  joinToAllMs: 500,
  cores: 1.0,
};

const round = (n: number, places = 2) => Math.round(n * 10 ** places) / 10 ** places;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A world of `boxes` moving boxes served on loopback, its pid, and tokens for `names`. */
async function boxWorld(boxes: number, names: readonly string[]): Promise<{
  folder: TestFolder;
  world: NetworkWorld;
  pid: number;
  tokens: { name: string; token: string }[];
  http: Deno.HttpClient;
}> {
  const folder = await makeScripts({});
  await writeMovingBoxes(folder.scripts, boxes);
  await Deno.writeTextFile(
    join(folder.root, "syncra.json"),
    JSON.stringify({ network: SETTINGS }),
  );
  // The world's key, made before it starts (the world loads it): tokens as deno task token's.
  const key = await ensureWorldKey(folder.root);
  const tokens = await Promise.all(
    names.map(async (name) => ({ name, token: await issueToken(key, name) })),
  );
  const world = await startNetworkWorld(folder, ["--report", "report.json"]);
  await untilServing(world);
  const http = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(world.caPath)] });
  return { folder, world, pid: worldPid(folder.scripts), tokens, http };
}

/** One measured window: the world's CPU and what each client heard. */
interface Window {
  clients: number;
  ms: number;
  cpu: WorldCpu;
  /** Ticks the window spanned as the clients saw them (transform frames' ticks), or null. */
  ticksSeen: number | null;
  heard: HeardCounts[];
  /** The share of the machine's CPU time the hypervisor gave to others meanwhile. */
  stolen: number;
  /** CPU time of every other process on the machine meanwhile (neither the world nor this), ms. */
  elsewhere: number;
}

async function measure(pid: number, clients: readonly LoadClient[]): Promise<Window> {
  const countsAt = clients.map((c) => ({ ...c.counts }));
  const tickAt = clients[0]?.lastTick ?? -1;
  const cpuAt = worldCpu(pid);
  const machineAt = machineCpu();
  const selfAt = cpuMs("self");
  const start = performance.now();
  await sleep(WINDOW_MS);
  const cpu = cpuBetween(cpuAt, worldCpu(pid));
  const machine = machineCpu();
  const self = cpuMs("self") - selfAt;
  const ms = performance.now() - start;
  return {
    clients: clients.length,
    ms,
    cpu,
    stolen: stolenShare(machineAt, machine),
    elsewhere: Math.max(0, busyBetween(machineAt, machine) - cpu.total - self),
    ticksSeen: clients[0] ? clients[0].lastTick - tickAt : null,
    heard: clients.map((c, i) => countsBetween(countsAt[i]!, c.counts)),
  };
}

/** Waits until every client heard its first state's transforms (all the boxes). */
function firstStates(clients: readonly LoadClient[]): Promise<number> {
  return until(
    () => clients.every((c) => c.hello !== null && c.counts.transforms >= ENTITIES),
    () =>
      `every client's first state (${
        clients.filter((c) => c.counts.transforms >= ENTITIES).length
      } of ${clients.length})`,
    30_000,
  );
}

/** (a) and (b): one world of ENTITIES boxes, windows with 0, 1, 10, 50 and 0 clients again. */
async function cpuAndBytes() {
  const names = Array.from({ length: Math.max(...CLIENT_COUNTS) }, (_, i) => `c${i}`);
  const { folder, world, pid, tokens, http } = await boxWorld(ENTITIES, names);
  const clients: LoadClient[] = [];
  const windows: Window[] = [];
  try {
    await sleep(3000); // bundled, started, warm
    windows.push(await measure(pid, []));
    for (const n of CLIENT_COUNTS) {
      // Client 0 decodes every frame (the page's decoder); the others count what they hear.
      const decoding = clients.length === 0 ? 1 : 0;
      clients.push(
        ...await joinClients(world, http, tokens.slice(0, decoding)),
        ...await joinClients(world, http, tokens.slice(clients.length + decoding, n), {
          decode: false,
        }),
      );
      await firstStates(clients);
      await sleep(WARM_MS);
      windows.push(await measure(pid, clients));
    }
    const lost = clients.filter((c) => c.closed !== null || c.refusals.length > 0);
    if (lost.length > 0) {
      throw new Error(
        `Clients closed or refused: ${lost.map((c) => c.name + " " + c.closed?.reason)}`,
      );
    }
    if (clients[0]!.transformsHeld < ENTITIES) {
      throw new Error(`The decoding client holds ${clients[0]!.transformsHeld} transforms`);
    }
    await Promise.all(clients.map((c) => c.close()));
    await sleep(WARM_MS);
    windows.push(await measure(pid, []));
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    http.close();
    await world.stop();
  }
  const report = JSON.parse(await Deno.readTextFile(join(folder.root, "report.json")));
  await Deno.remove(folder.root, { recursive: true }).catch(() => {});
  return { windows, report };
}

/** (c): late joiners into a world of JOIN_ENTITIES boxes, one after the other. */
async function lateJoins() {
  const names = Array.from({ length: JOINS }, (_, i) => `late${i}`);
  const { folder, world, pid, tokens, http } = await boxWorld(JOIN_ENTITIES, names);
  const joins: {
    tlsMs: number;
    helloMs: number;
    firstFrameMs: number;
    allMs: number;
    bytes: number;
    jsonBytes: number;
    transformBytes: number;
  }[] = [];
  let idleCpu: WorldCpu | null = null;
  try {
    await sleep(3000);
    const before = worldCpu(pid);
    await sleep(3000);
    idleCpu = cpuBetween(before, worldCpu(pid));
    for (const { name, token } of tokens) {
      let holdsAll = NaN;
      let meshes = 0;
      const onHeard = (c: LoadClient) => {
        if (!Number.isNaN(holdsAll) || c.transformsHeld < JOIN_ENTITIES) return;
        if (meshes < JOIN_ENTITIES) {
          meshes = 0;
          for (const [id, e] of c.entities) if (e.Mesh && c.decoder!.state.has(id)) meshes++;
        }
        if (meshes >= JOIN_ENTITIES) holdsAll = performance.now();
      };
      const client = new LoadClient(world.url, http, name, { onHeard });
      await client.opened;
      client.join(token);
      await until(() => !Number.isNaN(holdsAll), () => `${name} to hold ${JOIN_ENTITIES}`, 30_000);
      const t = client.times;
      joins.push({
        tlsMs: round(t.opened - t.created),
        helloMs: round(t.hello - t.joinSent),
        firstFrameMs: round(t.firstTransform - t.joinSent),
        allMs: round(holdsAll - t.joinSent),
        bytes: client.counts.wireBytes,
        jsonBytes: client.counts.jsonWireBytes,
        transformBytes: client.counts.transformWireBytes,
      });
      await client.close();
      await sleep(1000);
    }
  } finally {
    http.close();
    await world.stop();
  }
  const report = JSON.parse(await Deno.readTextFile(join(folder.root, "report.json")));
  await Deno.remove(folder.root, { recursive: true }).catch(() => {});
  return { joins, report, idleCpu: idleCpu! };
}

const median = (values: number[]) => stats(values).p50;

if (import.meta.main) {
  const { windows, report } = await cpuAndBytes();
  const hz = report.ticks / (report.durationMs / 1000);
  const ticksOf = (w: Window) => w.ticksSeen ?? (w.ms / 1000) * hz;
  const base = windows[0]!;
  const baseAfter = windows[windows.length - 1]!;
  const basePerTick = base.cpu.total / ticksOf(base);
  const rowsCpu = windows.map((w) => {
    const ticks = ticksOf(w);
    const perTickMs = w.cpu.total / ticks;
    const all = w.heard.reduce(
      (n, h) => ({ b: n.b + h.transformWireBytes, t: n.t + h.transforms }),
      { b: 0, t: 0 },
    );
    const frames = w.heard.map((h) => h.transformFrames / (w.ms / 1000));
    const extraUs = w.clients > 0 ? ((perTickMs - basePerTick) * 1000) / w.clients : null;
    const feedHz = w.clients > 0 ? median(frames) : null;
    // The driver's own CPU per feed it handled (each feed sends each client a frame), less its
    // cost per feed with no clients (fed every tick then): what a client adds to a feed.
    const feeds = feedHz === null ? null : feedHz * (w.ms / 1000);
    const perFeedUs = feeds === null
      ? null
      : ((w.cpu.network / feeds - base.cpu.network / ticksOf(base)) * 1000) / w.clients;
    return {
      clients: w.clients,
      windowMs: Math.round(w.ms),
      ticks: Math.round(ticks),
      cores: round(w.cpu.total / w.ms, 3),
      coresByPart: {
        runtime: round(w.cpu.runtime / w.ms, 3),
        network: round(w.cpu.network / w.ms, 3),
        scripts: round(w.cpu.others / w.ms, 3),
      },
      stolenShare: round(w.stolen, 3),
      // The machine's load besides: the clients (this process) and anything else running.
      coresElsewhere: round(w.elsewhere / w.ms, 2),
      cpuMsPerTick: round(perTickMs, 3),
      ratioToNoClients: round(perTickMs / basePerTick),
      usPerClientPerTick: extraUs === null ? null : round(extraUs, 1),
      usPerClientPerFeed: perFeedUs === null ? null : round(perFeedUs, 1),
      driverFeedHz: feedHz === null ? null : round(feedHz, 1),
      // What feeding every client at every tick would take at this cost per client per feed.
      coresNeededAt60Hz: perFeedUs === null
        ? null
        : round((basePerTick * hz) / 1000 + (perFeedUs * w.clients * hz) / 1e6, 2),
      cpuMs: {
        runtime: round(w.cpu.runtime),
        network: round(w.cpu.network),
        scripts: round(w.cpu.others),
      },
      bytesPerChangedTransform: all.t > 0 ? round(all.b / all.t) : null,
      changedTransformsPerClientPerTick: w.clients > 0 ? round(all.t / w.clients / ticks, 1) : null,
      wireBytesPerClientPerTick: w.clients > 0
        ? Math.round(w.heard.reduce((n, h) => n + h.wireBytes, 0) / w.clients / ticks)
        : null,
    };
  });
  const fifty = rowsCpu.find((r) => r.clients === 50)!;
  const ten = rowsCpu.find((r) => r.clients === 10)!;
  const fits = fifty.cores < TARGETS.cores && (fifty.driverFeedHz ?? 0) >= HZ * 0.95;

  const late = await lateJoins();
  const j = late.joins;
  const joinRows = {
    entities: JOIN_ENTITIES,
    joins: j,
    medianMs: {
      tls: median(j.map((x) => x.tlsMs)),
      hello: median(j.map((x) => x.helloMs)),
      firstTransformFrame: median(j.map((x) => x.firstFrameMs)),
      holdsAll: median(j.map((x) => x.allMs)),
    },
    medianBytes: median(j.map((x) => x.bytes)),
    worldIdleCores: {
      total: round(late.idleCpu.total / 3000, 3),
      network: round(late.idleCpu.network / 3000, 3),
    },
    tickMs: late.report.tickMs,
  };

  const one = rowsCpu.find((r) => r.clients === 1)!;
  const rows = {
    entities: ENTITIES,
    hz: round(hz, 2),
    bytesPerChangedTransform: {
      clients1: one.bytesPerChangedTransform,
      clients10: ten.bytesPerChangedTransform,
      clients50: fifty.bytesPerChangedTransform,
    },
    cpu: rowsCpu,
    baselineDriftRatio: round(baseAfter.cpu.total / ticksOf(baseAfter) / basePerTick),
    fiftyClientsFitOneCore: fits,
    tickMs: report.tickMs,
    lateJoin: joinRows,
    targets: TARGETS,
  };

  const pass = (ok: boolean) => (ok ? "pass" : "MISS");
  const dash = (v: number | null, unit = "") => (v === null ? "—" : `${v}${unit}`);
  console.log(
    `${ENTITIES} moving boxes, every one in every client's interest, 10 s windows ` +
      `(world at ${rows.hz} Hz):`,
  );
  console.log(
    "| clients | world cores (runtime / driver / scripts) | CPU ms per tick (× none) | " +
      "µs per client per tick | driver µs per client per feed | driver fed at | " +
      "B per changed Transform | wire B per client per tick | cores to feed all at 60 Hz | " +
      "other processes' cores, CPU stolen |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rowsCpu) {
    console.log(
      `| ${r.clients} | ${r.cores} (${r.coresByPart.runtime} / ${r.coresByPart.network} / ` +
        `${r.coresByPart.scripts}) | ${r.cpuMsPerTick} (${r.ratioToNoClients}×) | ` +
        `${dash(r.usPerClientPerTick)} | ${dash(r.usPerClientPerFeed)} | ` +
        `${dash(r.driverFeedHz, " Hz")} | ${dash(r.bytesPerChangedTransform)} | ` +
        `${dash(r.wireBytesPerClientPerTick)} | ${dash(r.coresNeededAt60Hz)} | ` +
        `${r.coresElsewhere}, ${Math.round(r.stolenShare * 100)} % |`,
    );
  }
  console.log("");
  console.log("| measure | result | target | |");
  console.log("|---|---|---|---|");
  const perTransform = (r: typeof one) => r.bytesPerChangedTransform ?? Infinity;
  console.log(
    `| bytes per changed Transform | ${one.bytesPerChangedTransform} B (1 client), ` +
      `${ten.bytesPerChangedTransform} B (10), ${fifty.bytesPerChangedTransform} B (50) | ≤ 8 B | ` +
      [one, ten, fifty].map((r) => `${pass(perTransform(r) <= 8)} (${r.clients})`).join(", ") +
      " |",
  );
  console.log(
    `| server CPU per client per tick, (cpu(N) − cpu(0)) / N / ticks | ` +
      `${one.usPerClientPerTick} µs (1), ${ten.usPerClientPerTick} µs (10), ` +
      `${fifty.usPerClientPerTick} µs (50); baseline after them ${rows.baselineDriftRatio}× | — | |`,
  );
  console.log(
    `| 50 clients at 60 Hz in one core | ${fifty.cores} cores with the driver fed at ` +
      `${fifty.driverFeedHz} Hz; about ${fifty.coresNeededAt60Hz} cores to feed them all at ` +
      `60 Hz | < 1.0 core at ≥ 57 Hz | ${pass(fits)} |`,
  );
  console.log(
    `| late join, ${JOIN_ENTITIES} boxes (median of ${JOINS}) | from the join: hello ` +
      `${joinRows.medianMs.hello} ms, first transform frame ` +
      `${joinRows.medianMs.firstTransformFrame} ms, holds all ${joinRows.medianMs.holdsAll} ms ` +
      `(${Math.round(joinRows.medianBytes / 1024)} KiB); TLS handshake before it ` +
      `${joinRows.medianMs.tls} ms | ≤ 500 ms | ` +
      `${pass(joinRows.medianMs.holdsAll <= TARGETS.joinToAllMs)} |`,
  );
  console.log(
    `  joins, ms from the join to hello / first frame / all: ` +
      j.map((x) => `${x.helloMs} / ${x.firstFrameMs} / ${x.allMs}`).join(", "),
  );
  console.log(
    `  world tick ms, ${ENTITIES} boxes: p50 ${report.tickMs.p50}, p99 ${report.tickMs.p99}; ` +
      `${JOIN_ENTITIES} boxes: p50 ${late.report.tickMs.p50}, p99 ${late.report.tickMs.p99}; ` +
      `${JOIN_ENTITIES} boxes and no client: ${joinRows.worldIdleCores.total} cores ` +
      `(the driver ${joinRows.worldIdleCores.network})`,
  );
  if (!Deno.args.includes("--no-json")) {
    await Deno.writeTextFile(
      new URL("./network_results.json", import.meta.url),
      JSON.stringify(
        { date: new Date().toISOString(), cores: navigator.hardwareConcurrency, ...rows },
        null,
        2,
      ) + "\n",
    );
  }
}

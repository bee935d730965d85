/**
 * The network driver under load (DESIGN §11): 50 clients on loopback, each
 * joined with its own token (`deno task token`), in a world of 200 moving
 * boxes served by the real CLI with `--network 127.0.0.1:0`. Every client
 * walks its avatar — a `transform` message at 20 Hz, 1.5 m/s on a small
 * circle, well within `maxSpeed` — and sends `input` as often, for
 * `SYNCRA_LOAD_SECONDS` seconds: 20 by default, so that the test stays well
 * under 90 s on a CI machine; the issue's "a minute" is
 * `SYNCRA_LOAD_SECONDS=60`. All avatars stay within 4 m of the origin, so
 * each is in every other client's interest.
 *
 * Asserted, with bounds loose enough for a noisy 2-core machine: every
 * client stays connected and is never refused; once the walking stops,
 * every client holds every other client's avatar within 1 cm of where that
 * client last put it (within 5 s); the world's tick p99 (its `--report`) is
 * under 100 ms; each client's received bandwidth is within its
 * `bytesPerSecond` (+10 %). Printed: those numbers, and the world's CPU
 * over the walk from /proc (its runtime, the network driver's process and
 * the scripts', utime + stime).
 *
 * Each client has a token of its own: the first from `deno task token`
 * (tests/_network.ts's tokenFor, which makes the world's key), the others
 * signed with that key in-process by the function the command runs.
 *
 * The clients are bench/_network_clients.ts's LoadClient (the page's
 * protocol and decoder, without TestClient's record of every message), all
 * in this process.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { IN_CI, makeScripts } from "./_world.ts";
import { startNetworkWorld, tokenFor } from "./_network.ts";
import { issueToken, loadWorldKey } from "../runtime/network/mod.ts";
import { writeMovingBoxes } from "../bench/_moving_boxes.ts";
import { cpuMs } from "../bench/_bench_tools.ts";
import {
  busyBetween,
  countsBetween,
  cpuBetween,
  type HeardCounts,
  joinClients,
  type LoadClient,
  machineCpu,
  stolenShare,
  until,
  untilServing,
  worldCpu,
  worldPid,
} from "../bench/_network_clients.ts";

const CLIENTS = 50;
const BOXES = 200;
const SECONDS = Number(Deno.env.get("SYNCRA_LOAD_SECONDS") ?? 20);
if (!(SECONDS > 0 && SECONDS <= 3600)) {
  throw new Error(`SYNCRA_LOAD_SECONDS must be seconds from 1 to 3600, not "${SECONDS}"`);
}
/** Transform (and input) messages per second per client. */
const SEND_HZ = 20;
/** Walking speed, m/s (the world's maxSpeed is 20). */
const SPEED = 1.5;
/** Each avatar walks a circle of this radius around its own centre on a 3 m ring. */
const WALK_RADIUS = 1;
const RING = 3;
const BYTES_PER_SECOND = 256 * 1024;
/** The whole test's time bound: setup and checks get 70 s besides the walk. */
const BOUND_MS = (SECONDS + 70) * 1000;

const round = (n: number, places = 1) => Math.round(n * 10 ** places) / 10 ** places;

/** Client `i`'s place after `step` steps: position and a yaw facing where it walks. */
function placeOf(i: number, step: number): { position: number[]; rotation: number[] } {
  const around = (2 * Math.PI * i) / CLIENTS;
  const angle = around + (step * SPEED) / SEND_HZ / WALK_RADIUS;
  const position = [
    RING * Math.cos(around) + WALK_RADIUS * Math.cos(angle),
    1.6,
    RING * Math.sin(around) + WALK_RADIUS * Math.sin(angle),
  ];
  const yaw = -angle;
  return { position, rotation: [0, Math.sin(yaw / 2), 0, Math.cos(yaw / 2)] };
}

/** The worst distance (m) between where each avatar was last put and where the others hold it. */
function worstGap(clients: readonly LoadClient[], last: readonly number[][]): number {
  let worst = 0;
  for (let i = 0; i < clients.length; i++) {
    const avatar = clients[i]!.player;
    for (let j = 0; j < clients.length; j++) {
      if (i === j) continue;
      const held = clients[j]!.positionOf(avatar);
      if (!held) return Infinity;
      worst = Math.max(worst, Math.hypot(...held.map((v, k) => v - last[i]![k]!)));
    }
  }
  return worst;
}

/** Percentiles of a few numbers, for the printout. */
function spread(values: number[]): { min: number; p50: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { min: s[0]!, p50: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
}

Deno.test(`${CLIENTS} clients walk their avatars for ${SECONDS} s in a world of ${BOXES} moving boxes: all stay connected and unrefused, everyone converges on everyone's last place within 1 cm, tick p99 stays bounded`, async () => {
  const began = performance.now();
  const left = () => Math.max(1000, BOUND_MS - (performance.now() - began));
  await using folder = await makeScripts({});
  await writeMovingBoxes(folder.scripts, BOXES);
  await Deno.writeTextFile(
    join(folder.root, "syncra.json"),
    JSON.stringify({ network: { bytesPerSecond: BYTES_PER_SECOND, graceMs: 2000 } }),
  );
  const names = Array.from({ length: CLIENTS }, (_, i) => `walker${String(i).padStart(2, "0")}`);
  // Each client its own token: the first from `deno task token` (which makes the world's key),
  // the others with that key in-process — what the command does, without 49 more Deno starts
  // (20–50 s on a busy 2-core machine).
  const tokens = [{ name: names[0]!, token: await tokenFor(folder, names[0]!) }];
  const key = await loadWorldKey(folder.root);
  assert.ok(key, "deno task token made the world's key");
  for (const name of names.slice(1)) tokens.push({ name, token: await issueToken(key, name) });
  const world = await startNetworkWorld(folder, [
    "--report",
    "report.json",
    ...(IN_CI ? ["--jail", "on"] : []),
  ]);
  await using _world = world;
  await untilServing(world);
  const pid = worldPid(folder.scripts);
  const http = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(world.caPath)] });
  let clients: LoadClient[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  try {
    const joinStart = performance.now();
    clients = await joinClients(world, http, tokens);
    const everyoneSeen = () =>
      clients.every((c) =>
        c.hello !== null &&
        clients.every((o) => o === c || (o.player !== 0 && c.positionOf(o.player) !== null))
      );
    await until(
      everyoneSeen,
      () => `every client to hold every avatar (${clients.filter((c) => c.hello).length} joined)`,
      Math.min(30_000, left()),
    );
    const joinedMs = performance.now() - joinStart;
    const setupMs = performance.now() - began;

    // The walk: one timer steps every client, so a stalled event loop never makes a jump.
    let step = 0;
    const last: number[][] = clients.map((_, i) => placeOf(i, 0).position);
    const countsAt: HeardCounts[] = clients.map((c) => ({ ...c.counts }));
    const tickAt = clients[0]!.lastTick;
    const cpuAt = worldCpu(pid);
    const machineAt = machineCpu();
    const selfAt = cpuMs("self");
    const walkStart = performance.now();
    timer = setInterval(() => {
      step++;
      clients.forEach((c, i) => {
        if (!c.open) return;
        const place = placeOf(i, step);
        c.send({ t: "transform", ...place });
        c.send({ t: "input", move: [0, 0, 1], look: [-place.rotation[1]!, 0, 0], buttons: 0 });
        last[i] = place.position;
      });
    }, 1000 / SEND_HZ);
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    clearInterval(timer);
    const walkMs = performance.now() - walkStart;
    const cpu = cpuBetween(cpuAt, worldCpu(pid));
    const machine = machineCpu();
    const stolen = stolenShare(machineAt, machine);
    const self = cpuMs("self") - selfAt;
    const elsewhere = busyBetween(machineAt, machine) - cpu.total - self;
    const ticks = clients[0]!.lastTick - tickAt;
    const heard = clients.map((c, i) => countsBetween(countsAt[i]!, c.counts));

    const closedEarly = clients.filter((c) => c.closed !== null);
    const refused = clients.filter((c) => c.refusals.length > 0);
    assert.deepEqual(
      closedEarly.map((c) => `${c.name}: ${c.closed!.code} ${c.closed!.reason}`),
      [],
      "no client was disconnected",
    );
    assert.deepEqual(
      refused.map((c) => `${c.name}: ${c.refusals.join("; ")}`),
      [],
      "no client was refused",
    );

    // Everyone converges on everyone's last place.
    let gap = worstGap(clients, last);
    const convergeMs = await until(
      () => (gap = worstGap(clients, last)) <= 0.01,
      () => `every client to hold every avatar within 1 cm (worst ${round(gap * 100, 2)} cm)`,
      Math.min(5000, left()),
    );
    await Promise.all(clients.map((c) => c.close()));
    const { code } = await world.stop();
    const report = JSON.parse(await Deno.readTextFile(join(folder.root, "report.json")));
    const network = report.drivers.find((d: { name: string }) => d.name === "network");

    const walkS = walkMs / 1000;
    const rate = spread(heard.map((h) => h.wireBytes / walkS));
    const frames = spread(heard.map((h) => h.transformFrames / walkS));
    const sent = step * clients.length;
    const cores = (ms: number) => round(ms / walkMs, 2);
    const kib = (bytes: number) => round(bytes / 1024);
    const perClientPerTick = round((cpu.network * 1000) / Math.max(1, ticks) / CLIENTS);
    const perClientPerFeed = round((cpu.network * 1000) / (frames.p50 * walkS) / CLIENTS);
    console.log([
      `network load: ${CLIENTS} clients, ${BOXES} moving boxes, ${round(walkS)} s of walking ` +
      `(${sent} transform and ${sent} input messages); setup ${round(setupMs / 1000)} s, all ` +
      `joined and holding every avatar ${round(joinedMs / 1000)} s after the first join`,
      `  world tick ms: p50 ${report.tickMs.p50}, p99 ${report.tickMs.p99}, max ` +
      `${report.tickMs.max} (${report.ticks} ticks); ${ticks} ticks in the walk ` +
      `(${round(ticks / walkS)} Hz)`,
      `  world CPU over the walk: ${cores(cpu.total)} cores — runtime ${cores(cpu.runtime)}, ` +
      `network driver ${cores(cpu.network)}, scripts ${cores(cpu.others)}; the driver's per ` +
      `client: ${perClientPerTick} µs a tick, ${perClientPerFeed} µs a feed`,
      `  the machine: the clients (this process) ${cores(self)} cores, other processes ` +
      `${cores(Math.max(0, elsewhere))} cores, stolen by its host ${Math.round(stolen * 100)} %`,
      `  received per client: ${kib(rate.p50)} KiB/s median (${kib(rate.min)}–` +
      `${kib(rate.max)}) of a ${kib(BYTES_PER_SECOND)} KiB/s budget; transform frames ` +
      `${round(frames.p50)}/s median (${round(frames.min)}–${round(frames.max)})`,
      `  after the walk: every avatar within 1 cm everywhere in ${Math.round(convergeMs)} ms ` +
      `(worst ${round(gap * 1000, 2)} mm); disconnected ${closedEarly.length}, refused ` +
      `${refused.length}`,
    ].join("\n"));

    assert.ok(gap <= 0.01, `worst ${gap} m`);
    assert.equal(code, 0, world.output().slice(-2000));
    assert.deepEqual([network.state, network.restarts, network.violations], ["running", 0, 0]);
    assert.ok(report.tickMs.p99 < 100, `tick p99 ${report.tickMs.p99} ms`);
    assert.ok(ticks > 0 && rate.min > 0, "every client heard the world during the walk");
    assert.ok(
      rate.max <= BYTES_PER_SECOND * 1.1,
      `a client got ${Math.round(rate.max)} B/s, past its budget of ${BYTES_PER_SECOND}`,
    );
    assert.ok(
      performance.now() - began < BOUND_MS,
      `the test took ${Math.round(performance.now() - began)} ms`,
    );
  } finally {
    clearInterval(timer);
    await Promise.all(clients.map((c) => c?.close()));
    http.close();
  }
});

/**
 * Drivers (DESIGN §9) through real children: the change feed (a snapshot,
 * then what changed), writes applied at the next tick boundary and validated
 * like a system's, approvals turned into flags and jail rules, and a crash
 * that never stops the world.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  assertNoTickLost,
  IN_CI,
  makeScriptsWithCounter,
  runTestWorld,
  startLiveWorld,
  type TestFolder,
} from "./_world.ts";
import { runDriverContract } from "./driver_contract.ts";
import { cli } from "./_cli.ts";

const FIXTURES = new URL("./fixtures/drivers/", import.meta.url).pathname;

const SCENE = `
import { defineSystem, Transform, Velocity } from "@syncra/std";
export default defineSystem({
  writes: [Transform, Velocity], spawns: true,
  init(ctx) { for (let i = 0; i < 5; i++) ctx.spawn({ Transform: {}, Velocity: { linear: [1, 0, 0] } }); },
  run(ctx) {
    // One entity more every 10 ticks, one fewer every 15: the feed must follow both.
    if (ctx.tick % 10 === 0) ctx.spawn({ Transform: {} });
    if (ctx.tick % 15 === 0 && ctx.count > 0) ctx.despawn(ctx.entities[0]);
  },
});
`;

/** A test world with the given drivers (fixture file names) enabled in its syncra.json. */
async function worldWithDrivers(
  drivers: Record<string, Record<string, unknown>>,
  more: Record<string, unknown> = {},
): Promise<TestFolder> {
  const folder = await makeScriptsWithCounter({ "scene.ts": SCENE });
  await Deno.mkdir(join(folder.root, "drivers"));
  const config: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(drivers)) {
    const file = String(entry.fixture);
    await Deno.copyFile(join(FIXTURES, file), join(folder.root, "drivers", file));
    const { fixture: _, ...rest } = entry;
    config[name] = { file: `drivers/${file}`, ...rest };
  }
  await Deno.writeTextFile(
    join(folder.root, "syncra.json"),
    JSON.stringify({ drivers: config, ...more }),
  );
  return folder;
}

Deno.test("a driver gets a snapshot and then the changes, and its writes reach the world", async () => {
  await using folder = await worldWithDrivers({ lamp: { fixture: "lamp.ts", color: "warm" } });
  const run = await runTestWorld(folder, { ticks: 40, hz: 60 });
  const lamp = run.report.drivers.find((d) => d.name === "lamp")!;
  assert.deepEqual(
    [lamp.state, lamp.restarts, lamp.violations],
    ["running", 0, 0],
    lamp.lastError ?? "",
  );
  const transforms = run.dump.entities.filter((e) => e.components.Transform).length;
  const beacon = run.dump.entities.find((e) => e.components.Beacon)!.components.Beacon!;
  // Its last write came from the feed of an earlier tick: the count it saw then.
  assert.ok(Math.abs((beacon.seen as number) - transforms) <= 1, `${beacon.seen} vs ${transforms}`);
  assert.ok((beacon.feeds as number) >= 20, `fed ${beacon.feeds} times in 40 ticks`);
  assert.ok(
    run.events.some((e) => e.type === "log" && /started with \{"color":"warm"\}/.test(e.text)),
  );
  assertNoTickLost(run);
});

Deno.test("a driver that changes an entity it did not spawn is refused, and the world is unchanged", async () => {
  await using folder = await worldWithDrivers({ trespasser: { fixture: "trespasser.ts" } });
  // At a real rate: its write must reach a tick boundary before the world ends.
  const run = await runTestWorld(folder, { ticks: 30, hz: 60 });
  const driver = run.report.drivers.find((d) => d.name === "trespasser")!;
  assert.ok(driver.violations >= 1);
  assert.match(driver.lastError ?? "", /the driver did not spawn it/);
  assert.ok(!run.dump.entities.some((e) => e.components.Beacon), "no Beacon was attached");
  assertNoTickLost(run);
});

Deno.test("a driver that asks for an unapproved capability is refused with the exact approval to add", async () => {
  await using folder = await worldWithDrivers({ server: { fixture: "server.ts", port: 18764 } });
  const run = await runTestWorld(folder, { ticks: 3 });
  const server = run.report.drivers.find((d) => d.name === "server")!;
  assert.equal(server.state, "refused");
  assert.match(
    server.lastError ?? "",
    /asks for serve \["127\.0\.0\.1:18764"\], which the world owner has not approved: add \{"drivers":\{"server":\{"approve":\{"serve":\["127\.0\.0\.1:18764"\]\}\}\}\}/,
  );
  assertNoTickLost(run);
});

Deno.test("an approved serve capability lets a driver listen on exactly that address", async () => {
  await using folder = await worldWithDrivers({
    server: { fixture: "server.ts", port: 18764, approve: { serve: ["127.0.0.1:18764"] } },
  });
  const live = startLiveWorld(folder, { watch: false });
  await live.started;
  await live.waitFor((e) => e.type === "log" && /serving on 18764/.test(e.text));
  let body = "";
  for (let i = 0; i < 50 && body === ""; i++) {
    body = await fetch("http://127.0.0.1:18764/").then((r) => r.text()).catch(() => "");
    if (body === "") await new Promise((r) => setTimeout(r, 50));
  }
  const run = await live.stop();
  assert.equal(body, "lamp ok");
  const server = run.report.drivers.find((d) => d.name === "server")!;
  assert.ok(server.command.includes("--allow-net=127.0.0.1:18764"), server.command.join(" "));
});

Deno.test("a driver approved for gpu gets a WebGPU adapter, one that did not ask sees no navigator.gpu, and an unapproved one is refused", async () => {
  await using folder = await worldWithDrivers({
    gpu: { fixture: "gpu.ts", approve: { gpu: true } },
    blind: { fixture: "gpu_blind.ts" },
  });
  const live = startLiveWorld(folder, { watch: false });
  await live.started;
  await live.waitFor((e) => e.type === "log" && e.script === "gpu", 15_000);
  await live.waitFor((e) => e.type === "log" && e.script === "blind");
  const run = await live.stop();
  const said = (name: string) =>
    run.events.filter((e) => e.type === "log" && e.script === name).map((e) =>
      (e as { text: string }).text
    );
  assert.match(
    said("gpu").join("\n"),
    /adapter: \S+/,
    "the approved driver has an adapter (in its jail)",
  );
  assert.deepEqual(said("blind"), ["navigator.gpu is undefined"]);
  const gpu = run.report.drivers.find((d) => d.name === "gpu")!;
  assert.ok(gpu.command.includes("--gpu"), gpu.command.join(" "));
  assert.ok(!gpu.command.some((a) => a.startsWith("--allow")), "WebGPU needs no Deno permission");

  await using refused = await worldWithDrivers({ gpu: { fixture: "gpu.ts" } });
  const second = await runTestWorld(refused, { ticks: 3 });
  const entry = second.report.drivers.find((d) => d.name === "gpu")!;
  assert.equal(entry.state, "refused");
  assert.match(entry.lastError ?? "", /add \{"drivers":\{"gpu":\{"approve":\{"gpu":true\}\}\}\}/);
});

const LIBM = "/usr/lib/x86_64-linux-gnu/libm.so.6";

Deno.test({
  name: "a driver approved for ffi loads exactly the libraries it names, and no other",
  ignore: !IN_CI && !(() => {
    try {
      return Deno.statSync(LIBM).isFile;
    } catch {
      return false;
    }
  })(),
  async fn() {
    await using folder = await worldWithDrivers({
      native: { fixture: "native.ts", approve: { ffi: [LIBM] } },
    });
    const live = startLiveWorld(folder, { watch: false });
    await live.started;
    await live.waitFor((e) => e.type === "log" && e.script === "native" && /libc/.test(e.text));
    const run = await live.stop();
    const said = run.events.filter((e) => e.type === "log" && e.script === "native").map((e) =>
      (e as { text: string }).text
    );
    assert.deepEqual(said, ["cos(0) = 1", "libc refused: NotCapable"]);
    const native = run.report.drivers.find((d) => d.name === "native")!;
    assert.ok(native.command.includes(`--allow-ffi=${LIBM}`), native.command.join(" "));
  },
});

Deno.test("a driver that cannot run here says so once and stays down; the world runs on", async () => {
  await using folder = await worldWithDrivers({ headset: { fixture: "headset.ts" } });
  const run = await runTestWorld(folder, { ticks: 30, hz: 60 });
  const headset = run.report.drivers.find((d) => d.name === "headset")!;
  assert.equal(headset.state, "unavailable");
  assert.equal(headset.restarts, 0);
  assert.match(headset.lastError ?? "", /no headset is connected/);
  const said = run.events.filter((e) => e.type === "warning" && e.script === "headset");
  assert.equal(said.length, 1);
  assertNoTickLost(run);
});

Deno.test("the lamp driver meets the driver contract", async (t) => {
  await runDriverContract(t, { name: "lamp", module: join(FIXTURES, "lamp.ts") });
});

Deno.test("a driver that sends malformed frames is refused frame by frame and restarted; the world keeps ticking", async () => {
  await using folder = await worldWithDrivers({ forger: { fixture: "forger.ts" } });
  const run = await runTestWorld(folder, { ticks: 60, hz: 60 });
  const forger = run.report.drivers.find((d) => d.name === "forger")!;
  assert.ok(forger.violations >= 1, "its garbage write was a violation");
  assert.ok((forger.exits.protocol ?? 0) >= 1, JSON.stringify(forger.exits));
  assert.ok(forger.restarts >= 1);
  assertNoTickLost(run);
});

/** What each listening driver heard, from the dump. */
function heard(run: Awaited<ReturnType<typeof runTestWorld>>): Record<string, number> {
  return Object.fromEntries(
    run.dump.entities.filter((e) => e.components.Heard).map((e) => [
      e.components.Heard!.by,
      e.components.Heard!.count,
    ]),
  );
}

const PORT_DRIVERS = {
  metronome: { fixture: "metronome.ts" },
  listener: { fixture: "listener.ts" },
  deaf: { fixture: "deaf.ts" },
};

Deno.test("ports connect by name and type; a driver never gets a port it did not declare; a burst is bounded", async () => {
  await using folder = await worldWithDrivers(PORT_DRIVERS);
  const run = await runTestWorld(folder, { ticks: 40, hz: 60 });
  const got = heard(run);
  assert.ok((got.listener ?? 0) >= 10, JSON.stringify(got));
  // One beat a feed, plus a burst of 1000 cut at 64 a tick. Its frames reach the world over
  // several ticks on a busy machine (64 more each): still, most of the burst is dropped.
  assert.ok((got.listener ?? 0) <= 40 + 500, `the burst was cut at the budget: ${got.listener}`);
  assert.equal(got.deaf ?? 0, 0, "no port of that name: nothing arrives");
  assert.ok(
    run.events.some((e) =>
      e.type === "warning" && e.script === "metronome" && /more than 64 messages/.test(e.message)
    ),
  );
});

Deno.test("the owner's dataflow wiring replaces the default one", async () => {
  await using folder = await worldWithDrivers(PORT_DRIVERS, {
    dataflow: [{ from: "metronome.beat", to: "deaf.other" }],
  });
  const run = await runTestWorld(folder, { ticks: 30, hz: 60 });
  const got = heard(run);
  assert.ok((got.deaf ?? 0) >= 10, JSON.stringify(got));
  assert.equal(got.listener ?? 0, 0, "not wired: nothing arrives");
});

Deno.test("explain on a driver shows its feed, writes, ports, what it asks for and its command line", async () => {
  await using folder = await worldWithDrivers({ lamp: { fixture: "lamp.ts" } });
  const jail = IN_CI ? ["--jail", "on"] : [];
  const { code, stdout, stderr } = await cli(
    ["explain", join(folder.root, "drivers", "lamp.ts"), ...jail],
    folder.root,
  );
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^driver\s+.*lamp\.ts$/m);
  assert.match(stdout, /^reads\s+Transform/m);
  assert.match(stdout, /^writes\s+Beacon$/m);
  assert.match(stdout, /^asks for\s+\(nothing beyond the ECS\)$/m);
  assert.match(stdout, /^command\s+.*deno run --no-prompt/m);
  assert.doesNotMatch(stdout, /--allow-/);
});

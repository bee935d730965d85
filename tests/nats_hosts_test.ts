/**
 * Remote system hosts (DESIGN §7) with the real nats-server and the real
 * CLI: `deno task system` hosts share a system's shards; a host killed with
 * SIGKILL mid-run leaves no tick lost or half-merged; a system runs locally
 * and on a host at once; and what a host sends that is not a result is
 * dropped with a warning naming the system, the world unchanged.
 *
 * Every entity of the tally system counts the ticks it was run in (`n`),
 * beside the first and last tick it saw: `n === last - first + 1` for every
 * entity, and one `last` for all, hold only if no tick of any shard was lost
 * or merged twice or in part.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { headers } from "@nats-io/transport-node";
import { makeScripts } from "./_world.ts";
import { decodeMessagePack } from "../runtime/protocol/mod.ts";
import {
  type CliProcess,
  includeWorldUsers,
  natsMissing,
  spawnCli,
  spawnHost,
  spawnNatsWorld,
  startOwnerServer,
} from "./_nats.ts";
import { freePort } from "./browser/_browser.ts";
import {
  connectAs,
  credentialsPath,
  fetchBundle,
  type Heartbeat,
  readCredentials,
  SUBJECTS,
} from "../runtime/nats/mod.ts";

const missing = natsMissing();

/**
 * Ticks back to back, each waited for up to 5 s: on two shared cores a host
 * starting up can starve the others for longer than a tick period, and a
 * late tick would be a lost one. What is under test is that a dead host's
 * shards are reissued, in milliseconds, not the wait.
 */
const PATIENT = ["--deadline", "5000"];

/** Enough entities for three shards of at least MIN_SHARD_ROWS (1024). */
const ENTITIES = 6000;

const TALLY = `
import { defineComponent, defineSystem } from "@syncra/std";
const Tally = defineComponent("Tally", { n: "u32", first: "u32", last: "u32" });
export default defineSystem({
  writes: [Tally],
  spawns: true,
  init(ctx) { for (let i = 0; i < ${ENTITIES}; i++) ctx.spawn({ Tally: { n: 0, first: 0, last: 0 } }); },
  run(ctx) {
    const { n, first, last } = ctx.write(Tally);
    for (let i = 0; i < ctx.count; i++) {
      if (n[i] === 0) first[i] = ctx.tick;
      n[i]++;
      last[i] = ctx.tick;
    }
  },
});`;

/** Shards each instance of `system` has answered, from its heartbeats. */
async function watchShards(url: string, root: string, system: string) {
  const nc: NatsConnection = await connectAs(
    url,
    await readCredentials(credentialsPath(root, "coordinator")),
  );
  const shards = new Map<string, number>();
  nc.subscribe(SUBJECTS.heartbeat(system), {
    callback: (_, m) => {
      const beat = decodeMessagePack(m.data) as Heartbeat;
      shards.set(beat.instance, beat.shards);
    },
  });
  await nc.flush();
  return {
    nc,
    of: (instance: string) => shards.get(instance) ?? 0,
    /** Waits until `instance` has answered more than `count` shards. */
    async beyond(instance: string, count: number, ms = 30_000) {
      const deadline = Date.now() + ms;
      while ((shards.get(instance) ?? 0) <= count) {
        if (Date.now() > deadline) {
          throw new Error(
            `${instance} answered ${shards.get(instance) ?? 0} shards, not > ${count}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** One entity's tally: ticks it was run in, and the first and last of them. */
interface Tally {
  n: number;
  first: number;
  last: number;
}

function talliesOf(dumpText: string, count = ENTITIES): Tally[] {
  const dump = JSON.parse(dumpText);
  const tallies = dump.entities.map((e: { components: { Tally: Tally } }) => e.components.Tally);
  assert.equal(tallies.length, count);
  return tallies;
}

/** Every entity went through the same ticks: none was merged for some rows and not others. */
function assertUniform(dump: string): Tally {
  const tallies = talliesOf(dump);
  const differing = tallies.filter((t) => JSON.stringify(t) !== JSON.stringify(tallies[0]));
  assert.equal(
    differing.length,
    0,
    `${JSON.stringify(differing[0])} vs ${JSON.stringify(tallies[0])}`,
  );
  return tallies[0]!;
}

/** Checks the tally invariant over a dump; returns the entities' last tick. */
function assertNoTickLost(dump: string, count = ENTITIES): number {
  const tallies = talliesOf(dump, count);
  const lasts = new Set(tallies.map((t: Tally) => t.last));
  assert.equal(lasts.size, 1, `every entity was run in the same last tick: ${[...lasts]}`);
  const broken = tallies.filter((t: Tally) => t.n !== t.last - t.first + 1);
  assert.equal(broken.length, 0, `ticks lost or merged twice: ${JSON.stringify(broken[0])}`);
  assert.ok(tallies[0]!.n > 50, `the system ran: ${tallies[0]!.n} ticks`);
  return [...lasts][0] as number;
}

/** A running world under test and what it is watched with. */
interface TestWorld {
  root: string;
  world: CliProcess & { url: string };
  watch: Awaited<ReturnType<typeof watchShards>>;
  /** Starts a host (in `cwd`, default the world's root); stopped with the world. */
  host(script: string, instance: string, cwd?: string): Promise<CliProcess>;
  /** Kills a host now. */
  kill(host: CliProcess): Promise<void>;
}

/**
 * Runs `body` against a world (`--hz 0`, patient, its dump and report kept)
 * of `scripts`, with `hosts` written to `hosts/`; stops everything, checks
 * the world exited 0, and returns its dump and report.
 */
async function inWorld(
  setup: { scripts?: Record<string, string>; hosts?: Record<string, string>; args?: string[] },
  body: (t: TestWorld) => Promise<void>,
): Promise<{ dump: string; report: Record<string, unknown> }> {
  await using folder = await makeScripts(setup.scripts ?? {});
  await Deno.mkdir(join(folder.root, "hosts"));
  for (const [name, source] of Object.entries(setup.hosts ?? {})) {
    await Deno.writeTextFile(join(folder.root, "hosts", name), source);
  }
  const dump = join(folder.root, "dump.json"), report = join(folder.root, "report.json");
  const args = [...PATIENT, ...(setup.args ?? []), "--dump", dump, "--report", report];
  const world = await spawnNatsWorld(folder.root, 0, args);
  const hosts = new Set<CliProcess>();
  const watch = await watchShards(world.url, folder.root, "tally");
  try {
    await body({
      root: folder.root,
      world,
      watch,
      async host(script, instance, cwd = folder.root) {
        const host = await spawnHost(cwd, script, world.url, instance);
        hosts.add(host);
        return host;
      },
      async kill(host) {
        hosts.delete(host);
        await host.stop("SIGKILL");
      },
    });
  } finally {
    await watch.nc.close();
    const status = await world.stop("SIGTERM");
    await Promise.all([...hosts].map((h) => h.stop("SIGKILL")));
    assert.equal(status.code, 0, world.logged());
  }
  return {
    dump: await Deno.readTextFile(dump),
    report: JSON.parse(await Deno.readTextFile(report)),
  };
}

Deno.test({
  name:
    "three hosts share a system's shards, and one killed mid-run loses no tick and merges none in part",
  ignore: missing !== null,
  async fn() {
    const { dump } = await inWorld(
      { hosts: { "tally.ts": TALLY }, args: ["--remote", "tally"] },
      async ({ root, world, watch, host, kill }) => {
        const h1 = await host("hosts/tally.ts", "h1");
        await world.until(/tally: host h1 joined \(1 remote instance\)/);
        await watch.beyond("h1", 20);
        // Two more: the coordinator spreads the shards over all three.
        const h2 = await host("hosts/tally.ts", "h2");
        const h3 = await host("hosts/tally.ts", "h3");
        await world.until(/tally: host h3 joined/);
        await world.until(/tally: host h2 joined/);
        const joined = watch.of("h2");
        await Promise.all(["h1", "h2", "h3"].map((h) => watch.beyond(h, joined + 20)));
        // The status line counts them.
        await world.until(/\| tally 3 hosts \|/);

        // What a host sends that is not a result: dropped, said, and the world goes on.
        const forger = await connectAs(
          world.url,
          await readCredentials(credentialsPath(root, "tally")),
        );
        const h = headers();
        h.set("syncra-instance", "h1");
        h.set("syncra-tick", "1");
        h.set("syncra-shard", "0");
        forger.publish(SUBJECTS.componentSet("tally"), new Uint8Array([0xc1, 0xc1]), {
          headers: h,
        });
        const part = headers();
        part.set("syncra-part", "9/3");
        forger.publish(SUBJECTS.componentSet("tally"), new Uint8Array(10), { headers: part });
        await forger.flush();
        await forger.close();
        await world.until(
          /tally: A host \(said to be "h1"\) sent a result that is not MessagePack/,
        );
        await world.until(/tally: A host sent a message part numbered "9\/3"; dropped/);

        // h2 dies mid-run, without a word: its shards go to h1 and h3.
        await kill(h2);
        const before = { h1: watch.of("h1"), h3: watch.of("h3") };
        await watch.beyond("h1", before.h1 + 40);
        await watch.beyond("h3", before.h3 + 40);
        await world.until(/tally: host h2 is silent/);

        // The last hosts gone: the world says it goes on without the system, which stops whole.
        await Promise.all([kill(h1), kill(h3)]);
        await world.until(/tally: no host serves it; it does not run until one does/);
      },
    );
    assertNoTickLost(dump);
  },
});

Deno.test({
  name: "a system runs in the world and on a host at once, its shards shared between them",
  ignore: missing !== null,
  async fn() {
    const { dump, report } = await inWorld(
      { scripts: { "tally.ts": TALLY } },
      async ({ world, watch, host }) => {
        // The same file the world runs: the host is one more instance of it.
        await host("scripts/tally.ts", "remote1");
        await world.until(/tally: host remote1 joined \(1 remote instance and the local script\)/);
        await watch.beyond("remote1", 100);
      },
    );
    assertNoTickLost(dump);
    // The report says what the host did; the local script ran its share too.
    const remote = report.remote as Record<
      string,
      { instance: string; shards: number; meanShardMs: number }[]
    >;
    const [hosted] = remote.tally!;
    assert.equal(hosted!.instance, "remote1");
    assert.ok(hosted!.shards >= 100 && hosted!.meanShardMs > 0, JSON.stringify(hosted));
    const scripts = report.scripts as { name: string; state: string }[];
    assert.equal(scripts.find((s) => s.name === "tally")?.state, "running");
  },
});

Deno.test({
  name:
    "a world's nats-server killed under it is started again; the world pauses, reconnects and goes on, nothing lost",
  ignore: missing !== null,
  async fn() {
    const { dump } = await inWorld(
      { hosts: { "tally.ts": TALLY }, args: ["--remote", "tally"] },
      async ({ root, world, watch, host }) => {
        await host("hosts/tally.ts", "h1");
        await watch.beyond("h1", 50);
        const pidFile = join(root, ".syncra", "nats", "server.pid");
        const pid = Number(await Deno.readTextFile(pidFile));
        Deno.kill(pid, "SIGKILL");
        await world.until(/lost NATS at nats:\/\/\S+: the world pauses until it is back/);
        await world.until(/nats-server exited .*\n[^]*starting it again on the same port/);
        await world.until(/NATS at nats:\/\/\S+ is back after [\d.]+ s: the world goes on/);
        assert.notEqual(Number(await Deno.readTextFile(pidFile)), pid, "a new server process");
        // The host reconnected by itself, and the world's shards reach it again.
        await watch.beyond("h1", watch.of("h1") + 50);
      },
    );
    assertNoTickLost(dump);
  },
});

Deno.test({
  name:
    "a coordinator killed with SIGKILL and started again on the owner's server: its host registers again, the world resumes intact",
  ignore: missing !== null,
  async fn() {
    await using folder = await makeScripts({});
    await Deno.mkdir(join(folder.root, "hosts"));
    await Deno.writeTextFile(join(folder.root, "hosts", "tally.ts"), TALLY);
    const dir = join(folder.root, "server");
    await Deno.mkdir(dir);
    const port = freePort();
    const url = `nats://127.0.0.1:${port}`;
    // A first, open server lets the world write its users' block; the owner's server includes it.
    let server = await startOwnerServer(dir, port, "");
    const once = spawnCli([
      "world",
      "--nats",
      url,
      "--remote",
      "tally",
      "--no-viewer",
      "--ticks",
      "1",
      "--fresh",
    ], folder.root);
    assert.equal((await once.stop("SIGCONT")).code, 0, once.logged());
    server.kill("SIGTERM");
    await server.status;
    server = await startOwnerServer(dir, port, includeWorldUsers(dir, folder.root));
    const dump = join(folder.root, "dump.json");
    const args = [...PATIENT, "--remote", "tally", "--dump", dump];
    let world: CliProcess | null = null;
    let host: CliProcess | null = null;
    const watch = await watchShards(url, folder.root, "tally");
    try {
      world = await spawnNatsWorld(folder.root, 0, args, url);
      host = await spawnHost(folder.root, "hosts/tally.ts", url, "h1");
      await watch.beyond("h1", 300);
      await world.stop("SIGKILL");
      // Started again, not fresh: the state comes back from the owner's JetStream.
      world = await spawnNatsWorld(folder.root, 0, args, url, false);
      await world.until(/restored 6000 entities from JetStream object syncra-world\/world\.state/);
      await world.until(/tally: host h1 joined \(1 remote instance\)/, 10_000);
      await watch.beyond("h1", watch.of("h1") + 100);
    } finally {
      await watch.nc.close();
      const ended: Deno.CommandStatus | null = world ? await world.stop("SIGTERM") : null;
      await host?.stop("SIGKILL");
      server.kill("SIGTERM");
      await server.status;
      assert.equal(ended?.code, 0, world?.logged());
    }
    // The ticks before the host registered again ran without it; every row went through the same.
    const tally = assertUniform(await Deno.readTextFile(dump));
    assert.ok(tally.n > 300, `it went on from the snapshot: ${tally.n} ticks`);
  },
});

Deno.test({
  name:
    "a host started with a system's name runs the world's own copy from its Object Store, and follows it to a new version",
  ignore: missing !== null,
  async fn() {
    // The host's machine: no source, only the credentials handed over.
    await using elsewhere = await makeScripts({});
    const other =
      `import { defineSystem } from "@syncra/std";\nexport default defineSystem({ run() {} });`;
    const { dump } = await inWorld(
      { scripts: { "tally.ts": TALLY, "other.ts": other } },
      async ({ root, world, watch, host }) => {
        await Deno.mkdir(join(elsewhere.root, ".syncra", "nats"), { recursive: true });
        await Deno.copyFile(
          credentialsPath(root, "tally"),
          credentialsPath(elsewhere.root, "tally"),
        );
        const far = await host("tally", "far", elsewhere.root);
        await far.until(/hosting tally \(.*\.syncra\/remote\/tally\/tally\.ts\) as instance far/);
        await world.until(/tally: host far joined \(1 remote instance and the local script\)/);
        await watch.beyond("far", 50);
        // tally's user reads tally's shelf, and no other system's.
        const asTally = await connectAs(
          world.url,
          await readCredentials(credentialsPath(root, "tally")),
        );
        try {
          assert.equal((await fetchBundle(asTally, "tally"))?.file, "tally.ts");
          await assert.rejects(fetchBundle(asTally, "other"), /[Pp]ermission|timeout|denied/);
        } finally {
          await asTally.close();
        }
        // A new version in the world (same queries, one more line): the host fetches and runs it.
        await Deno.writeTextFile(
          join(root, "scripts", "tally.ts"),
          TALLY.replace(
            "run(ctx) {",
            'run(ctx) { if (ctx.tick % 500 === 0) console.log("v2 at", ctx.tick);',
          ),
        );
        await far.until(/↻ the world runs version [0-9a-f]+ of tally: fetching it/);
        await far.until(/\[tally\] v2 at \d+/);
        await watch.beyond("far", watch.of("far") + 50);
      },
    );
    assertNoTickLost(dump);
  },
});

Deno.test({
  name: "a host asking for a system the world has no bundle of is told what to do",
  ignore: missing !== null,
  async fn() {
    await using folder = await makeScripts({});
    const world = await spawnNatsWorld(folder.root, 30, ["--remote", "heavy"]);
    try {
      const host = spawnCli(["system", "heavy", "--nats", world.url], folder.root);
      const status = await host.stop("SIGCONT");
      assert.equal(status.code, 1);
      assert.match(
        host.logged(),
        /The world on nats:\/\/\S+ has no bundle of "heavy" on its shelf: is heavy one of its scripts\? \(A system only hosts run needs its file here/,
      );
    } finally {
      await world.stop("SIGTERM");
    }
  },
});

Deno.test({
  name: "shards and results larger than the server's max payload travel in parts, whole",
  ignore: missing !== null,
  async fn() {
    // 100 000 rows of three u32: 1.2 MB a shard each way, over the 1 MiB max payload.
    const rows = 100_000;
    const module = `import { defineComponent } from "@syncra/std";
export const Tally = defineComponent("Tally", { n: "u32", first: "u32", last: "u32" });`;
    // The world spawns them, from a module both sides have: the same component everywhere.
    const spawn = `import { defineSystem } from "@syncra/std";
import { Tally } from "./_tally.ts";
export default defineSystem({ writes: [Tally], spawns: true,
  init(ctx) { for (let i = 0; i < ${rows}; i++) ctx.spawn({ Tally: { n: 0, first: 0, last: 0 } }); } });`;
    const tally = `import { defineSystem } from "@syncra/std";
import { Tally } from "./_tally.ts";
export default defineSystem({ writes: [Tally], run(ctx) {
  const { n, first, last } = ctx.write(Tally);
  for (let i = 0; i < ctx.count; i++) { if (n[i] === 0) first[i] = ctx.tick; n[i]++; last[i] = ctx.tick; }
} });`;
    const limits = JSON.stringify({ limits: { "spawn.ts": { initSpawns: rows, entities: rows } } });
    const { dump } = await inWorld(
      {
        scripts: { "_tally.ts": module, "spawn.ts": spawn, "../syncra.json": limits },
        hosts: { "_tally.ts": module, "tally.ts": tally },
        args: ["--remote", "tally"],
      },
      async ({ watch, host }) => {
        await host("hosts/tally.ts", "big");
        await watch.beyond("big", 60);
      },
    );
    assertNoTickLost(dump, rows);
  },
});

/**
 * Distributed mode's NATS (DESIGN §7) against the real nats-server (Debian
 * package `nats-server`; where it is missing a test skips, saying why,
 * except in CI, where it fails): `--nats auto` runs the world's own server
 * and stops it with the world; `deno task query` reads a running world; each
 * host's user may use only its own subjects and inbox; and without the
 * server the world says how to install it.
 */
import assert from "node:assert/strict";
import { headers } from "@nats-io/transport-node";
import { join } from "node:path";
import { COUNTER_MODULE, IN_CI, makeScripts, makeScriptsWithCounter } from "./_world.ts";
import { cli } from "./_cli.ts";
import {
  connectAs,
  coordinatorPermissions,
  credentialsPath,
  ensureIdentity,
  readCredentials,
  startNatsServer,
  SUBJECTS,
  systemPermissions,
} from "../runtime/nats/mod.ts";
import { includeWorldUsers, natsMissing, spawnNatsWorld, startOwnerServer } from "./_nats.ts";
import { browserMissing, freePort, launchBrowser, startViewerWorld } from "./browser/_browser.ts";

const missing = natsMissing();

const SPAWNER = `
import { defineSystem } from "@syncra/std";
import { Counter } from "./_counter.ts";
export default defineSystem({ writes: [Counter], spawns: true,
  init(ctx) { for (let i = 0; i < 3; i++) ctx.spawn({ Counter: { value: i * 10 } }); } });`;

Deno.test({
  name:
    "--nats auto runs the world's own nats-server, the query tool reads the world, and the server stops with it",
  ignore: missing !== null,
  async fn() {
    await using folder = await makeScripts({
      "_counter.ts": COUNTER_MODULE,
      "spawner.ts": SPAWNER,
    });
    // A script that tries to read the credentials the world writes (a tick in, they exist).
    const creds = credentialsPath(folder.root, "coordinator");
    await folder.write(
      "snoop.ts",
      `import { defineSystem } from "@syncra/std";
      let tried = false;
      export default defineSystem({ run(ctx) {
        if (tried || ctx.tick < 10) return;
        tried = true;
        try { Deno.readTextFileSync(${
        JSON.stringify(creds)
      }); console.log("READ THE CREDENTIALS"); }
        catch (e) { console.log("credentials refused:", e.name); }
      } });`,
    );
    const world = await spawnNatsWorld(folder.root, 30);
    const url = world.url;
    try {
      // The query tool, as its own user, with the credentials the world wrote.
      const query = await cli(["query", "Counter", "--nats", url], folder.root);
      assert.equal(query.code, 0, query.stderr);
      assert.match(query.stdout, /\tCounter \{"value":10\}/);
      assert.match(query.stdout, /^3 entities match at tick \d+$/m);
      const none = await cli(["query", "Counter,Transform", "--nats", url], folder.root);
      assert.match(none.stdout, /^0 entities match/m);

      // The coordinator says each tick, with its id in a header.
      const owner = await connectAs(
        url,
        await readCredentials(credentialsPath(folder.root, "coordinator")),
      );
      const ticks: number[] = [];
      const sub = owner.subscribe(SUBJECTS.tick, {
        callback: (_, m) => void ticks.push(Number(m.headers?.get("syncra-tick"))),
      });
      await new Promise((r) => setTimeout(r, 400));
      sub.unsubscribe();
      await owner.close();
      assert.ok(ticks.length >= 5, `ticks heard: ${ticks.length}`);
      assert.ok(ticks.every((t, i) => i === 0 || t === ticks[i - 1]! + 1), `in order: ${ticks}`);
      // Credentials are the owner's alone: mode 0600, and no script can read them.
      const mode = (await Deno.stat(credentialsPath(folder.root, "spawner"))).mode! & 0o777;
      assert.equal(mode, 0o600);
      for (let i = 0; i < 50 && !/credentials refused|READ THE/.test(world.logged()); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(world.logged(), /credentials refused: NotCapable/);
      assert.doesNotMatch(world.logged(), /READ THE CREDENTIALS/);
    } finally {
      await world.stop("SIGTERM");
    }
    // The world stopped its server: nothing listens on the port any more.
    const port = Number(new URL(url.replace("nats:", "http:")).port);
    const open = await Deno.connect({ hostname: "127.0.0.1", port }).then((c) => {
      c.close();
      return true;
    }, () => false);
    assert.equal(open, false, "nats-server stopped with the world");
  },
});

Deno.test({
  name:
    "each host's NATS user may use only its own subjects and inbox; the coordinator knows a sender by its subject",
  ignore: missing !== null,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "syncra_nats_" });
    const coordinator = await ensureIdentity(root, "coordinator");
    const alpha = await ensureIdentity(root, "alpha");
    const beta = await ensureIdentity(root, "beta");
    await using server = await startNatsServer(root, [
      { identity: coordinator, permissions: coordinatorPermissions() },
      { identity: alpha, permissions: systemPermissions("alpha") },
      { identity: beta, permissions: systemPermissions("beta") },
    ]);
    const coord = await connectAs(server.url, coordinator);
    const a = await connectAs(server.url, alpha);
    const refusals: string[] = [];
    (async () => {
      for await (const s of a.status()) {
        if (s.type === "error") refusals.push(String((s as { error?: Error }).error?.message));
      }
    })();
    const heard: { subject: string; type: string | undefined }[] = [];
    coord.subscribe("engine.component.set.>", {
      callback: (_, m) =>
        void heard.push({ subject: m.subject, type: m.headers?.get("syncra-type") }),
    });
    await coord.flush();
    const h = headers();
    h.set("syncra-type", "result");
    a.publish(SUBJECTS.componentSet("alpha"), new Uint8Array([1]), { headers: h });
    // Pretending to be beta, listening to beta's schedule, or to every inbox: refused by the server.
    a.publish(SUBJECTS.componentSet("beta"), new Uint8Array([2]));
    const tries = [SUBJECTS.schedule("beta"), "_INBOX.>", "_INBOX_beta.>"].map((subject) => {
      const sub = a.subscribe(subject);
      return (async () => {
        try {
          for await (const _ of sub) { /* nothing may arrive */ }
          return `${subject}: ended`;
        } catch (error) {
          return `${subject}: ${(error as Error).message}`;
        }
      })();
    });
    await a.flush();
    const outcomes = await Promise.all(tries);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(heard, [{ subject: "engine.component.set.alpha", type: "result" }]);
    for (const outcome of outcomes) assert.match(outcome, /Permissions Violation for Subscription/);
    assert.ok(
      refusals.some((r) =>
        /Permissions Violation for Publish to "engine\.component\.set\.beta"/.test(r)
      ),
      refusals.join("; "),
    );
    await a.close();
    await coord.close();
    await Deno.remove(root, { recursive: true });
  },
});

Deno.test("without nats-server, --nats auto says how to install it", async () => {
  await using folder = await makeScripts({ "_counter.ts": COUNTER_MODULE, "spawner.ts": SPAWNER });
  // A PATH without nats-server (it is in /usr/sbin on Debian).
  const { code, stderr } = await cli(
    ["world", "--nats", "auto", "--no-viewer", "--ticks", "5", "--fresh"],
    folder.root,
    { PATH: "/nonexistent", HOME: Deno.env.get("HOME") ?? "/root" },
  );
  assert.notEqual(code, 0);
  assert.match(
    stderr,
    /--nats auto needs nats-server on PATH: install it \(Debian: apt-get install nats-server\)/,
  );
  assert.doesNotMatch(stderr, /at .*\.ts:\d+/, "a message, not a stack trace");
});

Deno.test("explain shows a system's NATS permissions: its own subjects and inbox, never _INBOX.>", async () => {
  await using folder = await makeScripts({ "_counter.ts": COUNTER_MODULE, "spawner.ts": SPAWNER });
  const jail = IN_CI ? ["--jail", "on"] : [];
  const { code, stdout, stderr } = await cli(
    ["explain", "scripts/spawner.ts", ...jail],
    folder.root,
  );
  assert.equal(code, 0, stderr);
  const line = /^nats\s+(.*)$/m.exec(stdout)?.[1] ?? "";
  assert.match(
    line,
    /^publish engine\.system\.register\.spawner, .*engine\.component\.set\.spawner, _INBOX_spawner\.>; subscribe engine\.system\.schedule\.spawner, /,
  );
  assert.doesNotMatch(line, /_INBOX\.>/);
});

Deno.test({
  name:
    "a coordinator killed with SIGKILL resumes from JetStream: its last snapshot and the changes logged after it",
  ignore: missing !== null,
  async fn() {
    await using folder = await makeScriptsWithCounter({});
    const first = await spawnNatsWorld(folder.root, 60);
    const url = first.url;
    const counter = async () => {
      const q = await cli(["query", "Counter", "--nats", url], folder.root);
      return Number(/"value":(\d+)/.exec(q.stdout)?.[1] ?? -1);
    };
    let before = -1;
    for (let i = 0; i < 100 && before < 150; i++) {
      before = await counter();
      if (before < 150) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(before >= 150, `the counter ran: ${before}`);
    // A snapshot on demand, answered once it is in JetStream: a kill right after loses nothing before it.
    const asked = await cli(["query", "--snapshot", "--nats", url], folder.root);
    assert.equal(asked.code, 0, asked.stderr);
    const snapshotTick = Number(
      /^✔ snapshot of tick (\d+) \(1 entity\) in JetStream object syncra-world\/world\.state/m
        .exec(asked.stdout)?.[1],
    );
    assert.ok(snapshotTick > 0, asked.stdout);
    // Well past the snapshot, and past the counter read below by more than a log interval.
    await new Promise((r) => setTimeout(r, 600));
    before = await counter();
    await new Promise((r) => setTimeout(r, 300));
    await first.stop("SIGKILL");

    // Started again (not fresh): the state comes back from JetStream, not from a file.
    const dump = join(folder.root, "dump.json");
    const second = await cli(
      ["world", "--nats", "auto", "--no-viewer", "--ticks", "3", "--dump", dump],
      folder.root,
    );
    assert.equal(second.code, 0, second.stderr);
    const restored =
      /restored 1 entity from JetStream object syncra-world\/world\.state.* at tick (\d+) \(the snapshot of tick (\d+) and (\d+) logged changes after it\)/
        .exec(second.stderr);
    assert.ok(restored, second.stderr);
    const [restoredAt, fromSnapshot, logged] = restored.slice(1).map(Number) as [
      number,
      number,
      number,
    ];
    assert.ok(fromSnapshot >= snapshotTick, `snapshot ${fromSnapshot}, asked at ${snapshotTick}`);
    assert.ok(logged > 0 && restoredAt > fromSnapshot, restored[0]);
    const resumed = JSON.parse(await Deno.readTextFile(dump)).entities[0].components.Counter.value;
    // Nothing the world had 300 ms before the kill is lost (the log interval is 0.1 s).
    assert.ok(
      resumed >= before && resumed <= before + 200,
      `resumed at ${resumed}, the counter read ${before} 300 ms before the kill`,
    );
    assert.equal(
      await Deno.stat(join(folder.root, ".syncra", "world.state")).then(() => true, () => false),
      false,
      "no local state file in distributed mode",
    );
  },
});

Deno.test({
  name: "--nats URL joins a server the owner runs once it includes the world's authorization block",
  ignore: missing !== null,
  async fn() {
    await using folder = await makeScriptsWithCounter({});
    const natsDir = join(folder.root, "server");
    await Deno.mkdir(natsDir);
    // The owner's server, first without the world's users.
    const port = freePort();
    const serve = (body: string) => startOwnerServer(natsDir, port, body);
    const url = `nats://127.0.0.1:${port}`;
    const world = ["world", "--nats", url, "--no-viewer", "--ticks", "30", "--fresh"];
    let server = await serve(`authorization { users: [ { user: someone, password: else } ] }`);
    const refused = await cli(world, folder.root);
    server.kill("SIGTERM");
    await server.status;
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      /Cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+ as coordinator: .*\(its configuration must include .*authorization\.conf, by a path relative to that configuration file\)/,
    );

    // With the block the world wrote included, the same command runs.
    // nats-server resolves an include relative to the including file (an absolute one fails).
    server = await serve(includeWorldUsers(natsDir, folder.root));
    try {
      const joined = await cli([...world, "--report", join(folder.root, "r.json")], folder.root);
      assert.equal(joined.code, 0, joined.stderr);
      assert.match(joined.stdout, new RegExp(`^nats: ${url}$`, "m"));
      const report = JSON.parse(await Deno.readTextFile(join(folder.root, "r.json")));
      assert.equal(report.ticks, 30);
    } finally {
      server.kill("SIGTERM");
      await server.status;
    }
  },
});

Deno.test({
  name: "the viewer and its inspector work in distributed mode too",
  ignore: missing !== null || browserMissing() !== null,
  async fn() {
    await using folder = await makeScriptsWithCounter({});
    const { live, port } = await startViewerWorld(folder, { nats: "auto" });
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(
      () => {
        const s = (globalThis as unknown as {
          syncra?: { connected: boolean; player: number; world: { scripts: unknown[] } | null };
        }).syncra;
        return s?.connected && s.player > 0 && (s.world?.scripts.length ?? 0) === 1;
      },
      null,
      { timeout: 15_000 },
    );
    assert.match(await page.locator("#world").innerText(), /system counter\s+running/);
    const run = await live.stop();
    assert.equal(run.report.scripts[0]!.violations, 0);
  },
});

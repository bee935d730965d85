/**
 * Drivers on remote hosts (syncra.json `"remote": true`, `deno task driver
 * NAME --nats URL`) with the real nats-server and the real CLI: the host
 * runs the world's copy of the driver in its jail, its role stays with the
 * world (feeds, writes), a host killed mid-run is noticed and the driver
 * restarts on the next host; and outside distributed mode the world says
 * why it cannot run it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeScripts } from "./_world.ts";
import { cli } from "./_cli.ts";
import { natsMissing, spawnCli, spawnNatsWorld } from "./_nats.ts";
import { credentialsPath, driverUser, queryWorld } from "../runtime/nats/mod.ts";

const missing = natsMissing();
const LAMP = new URL("./fixtures/drivers/lamp.ts", import.meta.url);
const BOXES = `import { defineSystem, Transform } from "@syncra/std";
export default defineSystem({ writes: [Transform], spawns: true,
  init(ctx) { for (let i = 0; i < 3; i++) ctx.spawn({ Transform: {} }); } });`;

/** A world of three boxes whose `lamp` driver is remote. */
async function lampWorld() {
  const folder = await makeScripts({ "boxes.ts": BOXES });
  await Deno.mkdir(join(folder.root, "drivers"));
  await Deno.copyFile(LAMP, join(folder.root, "drivers", "lamp.ts"));
  await Deno.writeTextFile(
    join(folder.root, "syncra.json"),
    JSON.stringify({ drivers: { lamp: { file: "drivers/lamp.ts", remote: true, color: "warm" } } }),
  );
  return folder;
}

/** The lamp's Beacon, once it has had more than `feeds` feeds. */
async function beaconBeyond(url: string, root: string, feeds: number) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await queryWorld(url, credentialsPath(root, "query"), ["Beacon"]);
    const beacon = answer.entities[0];
    const value = beacon?.components.Beacon as { seen: number; feeds: number } | undefined;
    if (value && value.feeds > feeds) return { id: beacon!.id, ...value };
    if (Date.now() > deadline) {
      throw new Error(`no Beacon past ${feeds} feeds: ${JSON.stringify(answer)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

Deno.test({
  name:
    "a remote driver runs on its host in a jail, fed by the world; its host killed, it restarts on the next",
  ignore: missing !== null,
  async fn() {
    await using folder = await lampWorld();
    // The host's machine: no source, only the driver's credentials.
    await using elsewhere = await makeScripts({});
    const world = await spawnNatsWorld(folder.root, 30);
    const hosts = [];
    try {
      await Deno.mkdir(join(elsewhere.root, ".syncra", "nats"), { recursive: true });
      const creds = credentialsPath(folder.root, driverUser("lamp"));
      await Deno.copyFile(creds, credentialsPath(elsewhere.root, driverUser("lamp")));
      const first = spawnCli(["driver", "lamp", "--nats", world.url], elsewhere.root);
      hosts.push(first);
      await first.until(/✔ hosting driver lamp on nats:/);
      await first.until(/run \S+ of driver lamp: pid \d+, isolation (jail|flags-only)/);
      // Its role is the world's: it was given its settings, fed the world's Transforms, and wrote.
      await world.until(/\[lamp\] started with \{"color":"warm"\}/);
      const before = await beaconBeyond(world.url, folder.root, 10);
      assert.equal(before.seen, 3);

      // Its host dies: the world notices, and the next host runs it again.
      await first.stop("SIGKILL");
      await world.until(/its host went silent/);
      const second = spawnCli(["driver", "lamp", "--nats", world.url], elsewhere.root);
      hosts.push(second);
      await second.until(/run \S+ of driver lamp: pid \d+/);
      // A new run: it started again, with a Beacon of its own, fed again from a snapshot.
      await world.until(/\[lamp\] started with[^]*\[lamp\] started with/);
      const after = await beaconBeyond(world.url, folder.root, 10);
      assert.equal(after.seen, 3);
    } finally {
      const status = await world.stop("SIGTERM");
      await Promise.all(hosts.map((h) => h.stop("SIGKILL")));
      assert.equal(status.code, 0, world.logged());
    }
  },
});

Deno.test("a remote driver outside distributed mode is refused, saying why", async () => {
  await using folder = await lampWorld();
  const { code, stderr } = await cli(["world", "--no-viewer", "--ticks", "1"], folder.root);
  assert.equal(code, 1);
  assert.match(
    stderr,
    /Driver "lamp" is marked "remote" in syncra.json: it runs on its hosts, in distributed mode only \(run the world with --nats\)/,
  );
});

Deno.test("explain and graph describe a world with a remote driver; explain says where it runs", async () => {
  await using folder = await lampWorld();
  const script = await cli(["explain", "scripts/boxes.ts"], folder.root);
  assert.equal(script.code, 0, script.stderr);
  const graph = await cli(["graph", "--no-viewer"], folder.root);
  assert.equal(graph.code, 0, graph.stderr);
  assert.match(graph.stdout, /lamp/);
  const driver = await cli(["explain", "drivers/lamp.ts"], folder.root);
  assert.equal(driver.code, 0, driver.stderr);
  assert.match(
    driver.stdout,
    /^runs on\s+its hosts, in distributed mode \(deno task driver lamp --nats URL\)/m,
  );
});

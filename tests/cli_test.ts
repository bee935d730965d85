import assert from "node:assert/strict";
import { join } from "node:path";
import { IN_CI, makeScripts, makeScriptsWithCounter } from "./_world.ts";
import { cli } from "./_cli.ts";

const jail = IN_CI ? ["--jail", "on"] : [];

Deno.test("the example scripts run 300 ticks cleanly and two fresh runs dump the same world", async () => {
  await using folder = await makeScripts({});
  const scripts = new URL("../scripts", import.meta.url).pathname;
  const dumps: string[] = [];
  for (const n of [1, 2]) {
    const report = join(folder.root, `r${n}.json`);
    const dump = join(folder.root, `d${n}.json`);
    const args = [
      "world",
      "--scripts",
      scripts,
      "--ticks",
      "300",
      "--hz",
      "0",
      "--fresh",
      "--quiet",
    ];
    const { code, stderr } = await cli([
      ...args,
      ...jail,
      "--report",
      report,
      "--dump",
      dump,
      "--state",
      join(folder.root, "s"),
    ]);
    assert.equal(code, 0, stderr);
    const r = JSON.parse(await Deno.readTextFile(report));
    assert.equal(r.ticks, 300);
    assert.ok(r.scripts.length >= 4);
    for (const s of r.scripts) {
      // The fields DESIGN §8 promises outside tests.
      for (const key of ["name", "file", "state", "restarts", "violations", "deadlineMisses"]) {
        assert.ok(key in s, `report field ${key}`);
      }
      for (const key of ["errors", "isolation", "command", "lastError", "stale"]) {
        assert.ok(key in s, `report field ${key}`);
      }
      assert.equal(s.state, "running", `${s.name}: ${s.lastError}`);
      assert.equal(s.restarts, 0, s.name);
      assert.equal(s.violations, 0, s.name);
      assert.equal(s.errors, 0, `${s.name}: ${s.lastError}`);
      assert.equal(s.command[0] === Deno.execPath() || s.isolation === "jail", true);
    }
    for (const name of ["door", "fountain", "label"]) {
      assert.ok(r.scripts.some((s: { name: string }) => s.name === name), `example ${name} ran`);
    }
    dumps.push(await Deno.readTextFile(dump));
  }
  assert.equal(dumps[0], dumps[1]);
  const world = JSON.parse(dumps[0]!);
  const entities: { components: Record<string, Record<string, unknown>> }[] = world.entities;
  assert.ok(entities.length >= 6);
  // The door example's visitor opened the door once; the label says so; the fountain is running.
  assert.equal(world.resources.Score.points, 1);
  const door = entities.find((e) => e.components.Door)!;
  assert.equal(door.components.Label?.text, "Front door · closed · score 1");
  const particles = entities.filter((e) => e.components.Particle).length;
  assert.ok(particles > 50 && particles < 400, `${particles} particles`);
});

Deno.test("bad flags and a missing folder get clear errors and exit 2 or 1", async () => {
  const unknown = await cli(["world", "--tick", "5"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown option '--tick' \(did you mean --ticks\?\)/);
  const ticks = await cli(["world", "--ticks=-3"]);
  assert.equal(ticks.code, 2);
  assert.match(ticks.stderr, /Invalid value for --ticks: "-3" is not a positive integer/);
  const hz = await cli(["world", "--hz", "fast"]);
  assert.match(hz.stderr, /Invalid value for --hz: "fast"/);
  const missing = await cli(["world", "--scripts", "/nonexistent/scripts", "--ticks", "1"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /scripts folder "\/nonexistent\/scripts" does not exist/);
  // The native drivers' flags: checked before anything starts, and for deno task world only.
  const size = await cli(["world", "--frame-size", "10x10"]);
  assert.equal(size.code, 2);
  assert.match(size.stderr, /Invalid value for --frame-size: "10x10" is not WIDTHxHEIGHT, each 16/);
  const batching = await cli(["world", "--frame-batching", "merged"]);
  assert.match(batching.stderr, /"merged" is not one of instanced, batched/);
  const rate = await cli(["world", "--frame-rate", "0"]);
  assert.match(rate.stderr, /Invalid value for --frame-rate: "0"/);
  const elsewhere = await cli(["graph", "--audio-out", "x.wav"]);
  assert.equal(elsewhere.code, 2);
  assert.match(elsewhere.stderr, /The flag --audio-out is for deno task world only/);
});

Deno.test("broken scripts are refused with file and line while the rest of the world runs", async () => {
  await using folder = await makeScriptsWithCounter({
    "syntax.ts":
      `import { defineSystem } from "@syncra/std";\nexport default defineSystem({ run() { let x = ; } });\n`,
    "no_default.ts": `export const x = 1;\n`,
    "bad_manifest.ts":
      `import { defineSystem } from "@syncra/std";\nexport default defineSystem({ reads: ["Transform"] as never });\n`,
    "throws.ts": `throw new Error("boom at load");\n`,
  });
  const report = join(folder.root, "r.json");
  const { code, stderr } = await cli([
    "world",
    "--scripts",
    folder.scripts,
    "--ticks",
    "10",
    "--hz",
    "0",
    "--fresh",
    "--no-watch",
    ...jail,
    "--report",
    report,
    "--state",
    join(folder.root, "s"),
  ], folder.root);
  assert.equal(code, 0, stderr);
  const r = JSON.parse(await Deno.readTextFile(report));
  const byName = Object.fromEntries(r.scripts.map((s: { name: string }) => [s.name, s]));
  assert.equal(byName.counter.state, "running");
  for (const name of ["syntax", "no_default", "bad_manifest", "throws"]) {
    assert.equal(byName[name].state, "refused", name);
  }
  assert.match(byName.syntax.lastError, /syntax\.ts:2:\d+/);
  assert.match(byName.no_default.lastError, /must export a system as its default/);
  assert.match(byName.bad_manifest.lastError, /"reads" must be an array of components/);
  assert.match(byName.throws.lastError, /boom at load/);
  assert.match(stderr, /syntax\.ts refused/);
});

Deno.test("explain shows the grants, the exact command line and the jail", async () => {
  const scripts = new URL("../scripts", import.meta.url).pathname;
  const { code, stdout, stderr } = await cli(["explain", join(scripts, "spinner.ts"), ...jail]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /reads\s+Spin/);
  assert.match(stdout, /writes\s+Transform/);
  assert.match(stdout, /--no-prompt --no-remote --no-npm --no-config --no-lock/);
  assert.doesNotMatch(stdout, /--allow-/);
  assert.match(stdout, /isolation\s+(jail|flags-only)/);
  // Its place among the folder's scripts: spinner writes Transform after mover does.
  assert.match(stdout, /^schedule\s+stage [1-9]/m);
  assert.match(stdout, /^conflict\s+"spinner" runs after "mover"/m);
});

Deno.test("explain on a module of shared code says what it is and which scripts import it", async () => {
  const scripts = new URL("../scripts", import.meta.url).pathname;
  const { code, stdout, stderr } = await cli(["explain", join(scripts, "_components.ts"), ...jail]);
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stdout, /REFUSED/);
  assert.match(stdout, /^module\s+.*_components\.ts$/m);
  assert.match(stdout, /^kind\s+shared code, not a system/m);
  assert.match(stdout, /^imported by .*spinner \(.*spinner\.ts\)/m);
});

Deno.test("a system host's bad flags, missing script and missing credentials are named; so is a bad --nats", async () => {
  const usage = await cli(["system", "scripts/spinner.ts"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /Usage: deno task system <script> --nats nats:\/\/HOST:PORT/);
  const none = await cli(["system", "scripts/nope.ts", "--nats", "nats://127.0.0.1:4222"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /Cannot host "scripts\/nope\.ts": no such file/);
  const foreign = await cli(["system", "scripts/spinner.ts", "--nats", "nats://x:1", "--hz", "3"]);
  assert.match(foreign.stderr, /The flag --hz does not apply to deno task system/);
  const creds = await cli([
    "system",
    "scripts/spinner.ts",
    "--nats",
    "nats://127.0.0.1:4222",
    "--creds",
    "/nonexistent.creds",
    ...jail,
  ]);
  assert.equal(creds.code, 1);
  assert.match(
    creds.stderr,
    /Cannot read the NATS credentials \/nonexistent\.creds: .*pass --creds FILE/,
  );
  assert.doesNotMatch(creds.stderr, /at .*\.ts:\d+/, "a message, not a stack trace");
  const bad = await cli(["world", "--nats", "localhost:4222"]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /Invalid value for --nats: "localhost:4222" is not auto or nats:\/\/HOST:PORT/,
  );
  const remote = await cli(["world", "--remote", "spin"]);
  assert.match(remote.stderr, /The flag --remote needs --nats/);
});

Deno.test("explain shows what a refused script asks for and exactly what to approve", async () => {
  await using folder = await makeScripts({
    "weather.ts": `import { defineSystem } from "@syncra/std";
      export default defineSystem({ net: ["api.example.com:443"], storage: true, run() {} });`,
  });
  const { code, stdout } = await cli(
    ["explain", join(folder.scripts, "weather.ts"), ...jail],
    folder.root,
  );
  assert.equal(code, 1);
  assert.match(
    stdout,
    /REFUSED .*add \{"capabilities":\{"weather\.ts":\{"net":\["api\.example\.com:443"\],"storage":true\}\}\}/,
  );
  assert.match(stdout, /net\s+api\.example\.com:443/);
  assert.match(stdout, /storage\s+requested/);
});

Deno.test("the world says what it restored, what it saved, and when its folder is empty", async () => {
  await using folder = await makeScriptsWithCounter({});
  const state = join(folder.root, "world.state");
  const run = (...extra: string[]) =>
    cli([
      "world",
      ...["--scripts", folder.scripts, "--ticks", "5", "--hz", "0", "--no-watch"],
      ...["--state", state, ...jail, ...extra],
    ], folder.root);
  const first = await run("--fresh");
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /✔ saved 1 entity to .*world\.state at tick 5/);
  assert.doesNotMatch(first.stderr, /restored/);
  const second = await run();
  assert.match(second.stderr, /↺ restored 1 entity from .*world\.state at tick 5/);
  assert.match(second.stderr, /✔ saved 1 entity to .*world\.state at tick 10/);

  await using empty = await makeScripts({});
  const none = await cli(
    ["world", "--scripts", empty.scripts, "--ticks", "1", "--hz", "0", "--no-watch", "--fresh"],
    empty.root,
  );
  assert.equal(none.code, 0, none.stderr);
  assert.match(
    none.stderr,
    /holds no scripts yet: add a \.ts file whose default export is defineSystem/,
  );
});

Deno.test("ctx.random() follows the world's seed and ctx.time is tick × dt: same seed, same world", async () => {
  await using folder = await makeScripts({
    "dice.ts": `
      import { defineComponent, defineSystem } from "@syncra/std";
      const Die = defineComponent("Die", { face: "u32", at: "f64" });
      export default defineSystem({
        writes: [Die], spawns: true,
        init(ctx) { for (let i = 0; i < 20; i++) ctx.spawn({ Die: { face: 0, at: 0 } }); },
        run(ctx) {
          const d = ctx.write(Die);
          for (let i = 0; i < ctx.count; i++) { d.face[i] = Math.floor(ctx.random() * 6) + 1; d.at[i] = ctx.time; }
        },
      });`,
  });
  const dumpWith = async (seed: string, n: number) => {
    const dump = join(folder.root, `d${n}.json`);
    const { code, stderr } = await cli([
      "world",
      ...["--scripts", folder.scripts, "--ticks", "30", "--hz", "0", "--fresh", "--quiet"],
      ...["--no-watch", "--seed", seed, "--dump", dump, ...jail],
    ], folder.root);
    assert.equal(code, 0, stderr);
    const entities = JSON.parse(await Deno.readTextFile(dump)).entities as {
      components: { Die: { face: number; at: number } };
    }[];
    return entities.map((e) => e.components.Die);
  };
  const a = await dumpWith("5", 1);
  const b = await dumpWith("5", 2);
  const c = await dumpWith("6", 3);
  assert.deepEqual(a, b, "the same seed gives the same world");
  assert.notDeepEqual(a.map((d) => d.face), c.map((d) => d.face), "another seed, other numbers");
  assert.ok(a.every((d) => d.face >= 1 && d.face <= 6));
  assert.ok(a.every((d) => d.at === 0.5), "time after 30 ticks at dt 1/60");
  assert.equal(new Set(a.map((d) => d.face)).size > 1, true, "not one number for everyone");
  const bad = await cli(["world", "--seed=-1"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Invalid value for --seed: "-1" is not an integer from 0 to 4294967295/);
});

Deno.test("Parent is a built-in: a child entity names its parent", async () => {
  await using folder = await makeScripts({
    "rig.ts": `
      import { defineSystem, Parent, Transform } from "@syncra/std";
      export default defineSystem({
        writes: [Transform, Parent], spawns: true,
        init(ctx) {
          const root = ctx.spawn({ Transform: {} });
          ctx.spawn({ Transform: { position: [0, 1, 0] }, Parent: { entity: root } });
        },
      });`,
  });
  const dump = join(folder.root, "d.json");
  const { code, stderr } = await cli([
    "world",
    ...["--scripts", folder.scripts, "--ticks", "1", "--hz", "0", "--fresh", "--quiet"],
    ...["--no-watch", "--dump", dump, ...jail],
  ], folder.root);
  assert.equal(code, 0, stderr);
  const entities = JSON.parse(await Deno.readTextFile(dump)).entities as {
    id: number;
    components: Record<string, Record<string, unknown>>;
  }[];
  const child = entities.find((e) => e.components.Parent)!;
  const root = entities.find((e) => !e.components.Parent)!;
  assert.equal(child.components.Parent!.entity, root.id);
});

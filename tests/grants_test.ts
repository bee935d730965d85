import assert from "node:assert/strict";
import {
  assertNoTickLost,
  fieldValues,
  makeScripts,
  makeScriptsWithCounter,
  runTestWorld,
  scriptReport,
} from "./_world.ts";

const HOSTILE = {
  "write_outside_grant.ts": `
    import { defineSystem, Transform } from "@syncra/std";
    import { Counter } from "./_counter.ts";
    export default defineSystem({
      reads: [Counter],
      run(ctx) { ctx.write(Counter).value.fill(999); },
    });`,
  "spawn_without_grant.ts": `
    import { defineSystem, Transform } from "@syncra/std";
    export default defineSystem({
      writes: [Transform],
      run(ctx) { ctx.spawn({ Transform: {} }); },
    });`,
  "attach_outside_writes.ts": `
    import { defineSystem, Transform } from "@syncra/std";
    import { Counter } from "./_counter.ts";
    export default defineSystem({
      reads: [Counter],
      writes: [Transform],
      spawns: true,
      run(ctx) { ctx.add(1, Counter, { value: 5 }); },
    });`,
  "read_outside_grant.ts": `
    import { defineSystem, Velocity } from "@syncra/std";
    import { Counter } from "./_counter.ts";
    export default defineSystem({
      writes: [Counter],
      run(ctx) { ctx.read(Velocity); },
    });`,
};

Deno.test("a script that reaches outside its manifest gets a programming error with its file and line, and the world is unchanged", async () => {
  await using folder = await makeScriptsWithCounter({ ...HOSTILE });
  const run = await runTestWorld(folder, { ticks: 6 });
  const expected: Record<string, RegExp> = {
    write_outside_grant:
      /^GrantViolationError: Cannot write component "Counter" from script "write_outside_grant": it is not in the script's writes; add it to the system's writes\n\s+at .*write_outside_grant\.ts:\d+:\d+/,
    spawn_without_grant:
      /^GrantViolationError: Cannot spawn an entity from script "spawn_without_grant": its manifest does not declare spawns: true; add spawns: true to the system\n\s+at .*spawn_without_grant\.ts:\d+:\d+/,
    attach_outside_writes:
      /^GrantViolationError: Cannot attach component "Counter" .*; add it to the system's writes\n\s+at .*attach_outside_writes\.ts:\d+:\d+/,
    read_outside_grant:
      /^GrantViolationError: Cannot read component "Velocity" .*; add it to the system's reads \(or writes\)\n\s+at .*read_outside_grant\.ts:\d+:\d+/,
  };
  for (const [name, error] of Object.entries(expected)) {
    const s = scriptReport(run, name);
    assert.match(s.lastError ?? "", error, name);
    assert.doesNotMatch(
      s.lastError ?? "",
      /sandbox\/guest/,
      `${name}: the host's frames are not shown`,
    );
    assert.equal(s.errors, 6, `${name} errs every tick`);
    assert.equal(s.violations, 0, `${name}: a mistake, not a violation`);
    assert.deepEqual(s.exits, {}, `${name} is not killed for its mistake`);
  }
  // The world is exactly what the honest script made of it.
  assertNoTickLost(run);
  assert.equal(run.report.entities, 1);
});

Deno.test("every violation is appended to the audit log with script, reason and tick", async () => {
  await using folder = await makeScriptsWithCounter({
    // The counter's entity is never shipped to it: the coordinator refuses the command.
    "despawn_unshipped.ts": `
      import { defineSystem, Transform } from "@syncra/std";
      export default defineSystem({ writes: [Transform], spawns: true, run(ctx) { ctx.despawn(1); } });`,
  });
  await runTestWorld(folder, { ticks: 5 });
  const lines = (await Deno.readTextFile(`${folder.root}/.syncra/audit.jsonl`)).trim().split("\n")
    .map((l) => JSON.parse(l));
  const violations = lines.filter((l) => l.event === "violation");
  assert.ok(violations.length >= 5, `${violations.length} audited violations`);
  assert.ok(
    violations.every((l) => typeof l.tick === "number" && l.tick >= 1 && l.script && l.message),
  );
  assert.ok(violations.every((l) => l.script === "despawn_unshipped"));
});

const NET_SCRIPT = (port: number) => `
  import { defineComponent, defineSystem } from "@syncra/std";
  const Reached = defineComponent("Reached", { ok: "u8" });
  export default defineSystem({
    writes: [Reached], spawns: true, net: ["127.0.0.1:${port}"],
    init(ctx) { ctx.spawn({ Reached: { ok: 0 } }); },
    async run(ctx) {
      if (ctx.tick !== 2) return;
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: ${port} });
      conn.close();
      ctx.write(Reached).ok.fill(1);
    },
  });`;

Deno.test("an unapproved capability refuses the script with the exact approval to add", async () => {
  await using folder = await makeScripts({ "fetcher.ts": NET_SCRIPT(9) });
  const run = await runTestWorld(folder, {
    ticks: 2,
    config: { capabilities: {}, source: "syncra.json" },
  });
  const s = scriptReport(run, "fetcher");
  assert.equal(s.state, "refused");
  assert.match(
    s.lastError ?? "",
    /asks for net \["127\.0\.0\.1:9"\], which the world owner has not approved: add \{"capabilities":\{"fetcher\.ts":\{"net":\["127\.0\.0\.1:9"\]\}\}\} to syncra\.json/,
  );
});

Deno.test("an approved net capability becomes a scoped --allow-net flag and the connection works", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })().catch(() => {});
  await using folder = await makeScripts({ "fetcher.ts": NET_SCRIPT(port) });
  const run = await runTestWorld(folder, {
    ticks: 4,
    deadlineMs: 2000,
    config: {
      capabilities: { "fetcher.ts": { net: [`127.0.0.1:${port}`], storage: false } },
      source: "test",
    },
  });
  const s = scriptReport(run, "fetcher");
  assert.equal(s.state, "running", s.lastError ?? "");
  assert.ok(s.command.includes(`--allow-net=127.0.0.1:${port}`), s.command.join(" "));
  assert.ok(!s.command.some((a) => /^--allow-(run|ffi|env|sys|all)|^-A$/.test(a)));
  assert.deepEqual(fieldValues(run, "Reached", "ok"), [1]);
  listener.close();
  await accepting;
});

Deno.test("an approved storage capability gives the script a private folder and nothing else", async () => {
  await using folder = await makeScripts({
    "notes.ts": `
      import { defineComponent, defineSystem } from "@syncra/std";
      const Saved = defineComponent("Saved", { ok: "u8" });
      export default defineSystem({
        writes: [Saved], spawns: true, storage: true,
        init(ctx) { ctx.spawn({ Saved: { ok: 0 } }); },
        run(ctx) {
          if (ctx.tick !== 1) return;
          Deno.writeTextFileSync(ctx.storage + "/note.txt", "kept");
          let outside = "allowed";
          try { Deno.readTextFileSync(ctx.storage + "/../../audit.jsonl"); } catch (e) { outside = (e as Error).name; }
          ctx.log("outside:", outside);
          ctx.write(Saved).ok.fill(Deno.readTextFileSync(ctx.storage + "/note.txt") === "kept" ? 1 : 0);
        },
      });`,
  });
  const run = await runTestWorld(folder, {
    ticks: 3,
    deadlineMs: 2000,
    config: { capabilities: { "notes.ts": { net: [], storage: true } }, source: "test" },
  });
  const s = scriptReport(run, "notes");
  assert.equal(s.state, "running", s.lastError ?? "");
  assert.deepEqual(fieldValues(run, "Saved", "ok"), [1]);
  // Keyed by the file, like its approval: a declared name cannot reach another script's folder.
  const storage = `${folder.root}/.syncra/storage/notes.ts`;
  assert.equal(await Deno.readTextFile(`${storage}/note.txt`), "kept");
  assert.ok(s.command.includes(`--allow-write=${storage}`), s.command.join(" "));
  const log = run.events.find((e) => e.type === "log" && e.script === "notes");
  assert.match(
    log?.type === "log" ? log.text : "",
    /outside: (NotCapable|NotFound|PermissionDenied)/,
  );
});

Deno.test("writing into an array from read is dropped, and the script is told once per field", async () => {
  await using folder = await makeScriptsWithCounter({
    "scribbler.ts": `
      import { defineSystem } from "@syncra/std";
      import { Counter } from "./_counter.ts";
      export default defineSystem({ reads: [Counter], run(ctx) { ctx.read(Counter).value[0] = 999; } });`,
  });
  const run = await runTestWorld(folder, { ticks: 8 });
  const warnings = run.events.filter((e) => e.type === "log" && e.script === "scribbler");
  assert.deepEqual(warnings.map((e) => e.type === "log" && [e.level, e.text]), [[
    "warn",
    `wrote into "Counter.value", which it only reads: the write is dropped; add Counter to the system's writes to change it`,
  ]]);
  assertNoTickLost(run);
});

/**
 * Hole 2 of the second round: component and name squatting. No definition
 * can get another script refused or reinterpret its data; no declared name
 * can take another script's name, errors or storage folder; and the world
 * owner can say who may write a component.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fieldValues, scriptReport } from "../_world.ts";
import {
  assertConfined,
  assertDenied,
  assertKeptTicking,
  attackFolder,
  runAttacks,
} from "./_attack.ts";

Deno.test("a different definition of Counter in a file that sorts first is a component of its own: nobody is refused, no data is reinterpreted", async () => {
  await using folder = await attackFolder(["aaa_squat_counter"]);
  const ticks = 20;
  const run = await runAttacks(folder, ticks);
  for (const name of ["counter", "aaa_squat_counter"]) {
    const s = scriptReport(run, name);
    assert.equal(s.state, "running", `${name}: ${s.lastError}`);
    assert.equal(s.violations, 0, name);
  }
  // Both exist, so the dump qualifies each name by the module that defines it.
  assert.deepEqual(fieldValues(run, "Counter@_counter.ts", "value"), [ticks]);
  assert.deepEqual(fieldValues(run, "Counter@aaa_squat_counter.ts", "value"), [1000 * 2 ** ticks]);
  assert.deepEqual(fieldValues(run, "Counter@aaa_squat_counter.ts", "extra"), [7]);
  assert.deepEqual(fieldValues(run, "Counter", "value"), [], "no bare name where two collide");
  const warning = run.events.find((e) =>
    e.type === "warning" && /Component "Counter"/.test(e.message)
  );
  assert.ok(warning, "the owner is told");
  assert.match(
    warning.type === "warning" ? warning.message : "",
    /"Counter@_counter\.ts" \{ value: u32 \}, declared by .*counter\.ts; "Counter@aaa_squat_counter\.ts" \{ value: f64, extra: u8 \}, declared by .*aaa_squat_counter\.ts/,
  );
  assertConfined(run, ["aaa_squat_counter"]);
  assertKeptTicking(run, ticks);
});

Deno.test("a script declaring another's system name runs under its own file's name, and its errors stay its own", async () => {
  await using folder = await attackFolder(["aaa_squat_name"]);
  const ticks = 10;
  const run = await runAttacks(folder, ticks);
  const squatter = scriptReport(run, "aaa_squat_name");
  assert.equal(squatter.file, join(folder.scripts, "aaa_squat_name.ts"));
  assert.ok(squatter.errors > 0, "its errors are counted under its own name");
  const counter = scriptReport(run, "counter");
  assert.equal(counter.file, join(folder.scripts, "counter.ts"));
  assert.equal(counter.errors, 0, "nothing was pinned on counter");
  assert.equal(counter.lastError, null);
  assert.equal(run.report.scripts.filter((s) => s.name === "counter").length, 1, "one counter");
  for (const e of run.events) {
    if ("script" in e && e.script === "counter") {
      assert.equal(e.file, join(folder.scripts, "counter.ts"), `${e.type} of counter is counter's`);
    }
  }
  const warning = run.events.find((e) =>
    e.type === "warning" && /System name "counter"/.test(e.message)
  );
  assert.match(
    warning?.type === "warning" ? warning.message : "",
    /declared by .*aaa_squat_name\.ts is also the name of .*counter\.ts: it runs as "aaa_squat_name"/,
  );
  assertKeptTicking(run, ticks);
});

Deno.test("the world owner decides who writes a component: others are refused, and cannot despawn what holds it", async () => {
  await using folder = await attackFolder(["counter_writer", "counter_despawner"]);
  const ticks = 20;
  const run = await runAttacks(folder, ticks, {
    config: {
      capabilities: {},
      components: { Counter: { writers: ["counter.ts"] } },
      source: "syncra.json",
    },
  });
  const writer = scriptReport(run, "counter_writer");
  assert.equal(writer.state, "refused");
  assert.match(
    writer.lastError ?? "",
    /may not write "Counter": the world owner lets only counter\.ts write it \(syncra\.json: "components"\."Counter"\."writers"\)/,
  );
  const despawns = run.events.filter((e) =>
    e.type === "violation" && e.script === "counter_despawner"
  );
  assert.ok(despawns.length > 0);
  for (const d of despawns) {
    assert.match(
      d.type === "violation" ? d.message : "",
      /^Cannot despawn entity \d+: it holds "Counter", and the world owner lets only counter\.ts write it/,
    );
  }
  assertKeptTicking(run, ticks);
});

Deno.test("storage folders follow the file: a script claiming another's name gets its own folder", async () => {
  await using folder = await attackFolder(["squat_storage", "notes"]);
  const run = await runAttacks(folder, 10, {
    deadlineMs: 2000,
    config: {
      capabilities: {
        "notes.ts": { net: [], storage: true },
        "squat_storage.ts": { net: [], storage: true },
      },
      source: "test",
    },
  });
  assert.equal(scriptReport(run, "notes").state, "running");
  const storage = join(folder.root, ".syncra", "storage");
  assertDenied(run, "squat_storage", {
    folder: new RegExp(`^OK: ${storage.replaceAll("/", "\\/")}\\/squat_storage\\.ts$`),
    readNotes: /^NotFound/,
  });
  assert.equal(await Deno.readTextFile(join(storage, "notes.ts", "note.txt")), "private");
  assertConfined(run, ["squat_storage"]);
  assertKeptTicking(run, 10);
});

import assert from "node:assert/strict";
import { SystemNames } from "./system_names.ts";

Deno.test("file names give unique system names, the .ts file keeping the plain one", () => {
  const names = new SystemNames();
  names.setFiles(["s/counter.ts", "s/counter.mts", "s/counter.js", "s/my-mover.ts"]);
  assert.equal(names.of("s/counter.ts"), "counter");
  assert.equal(names.of("s/counter.mts"), "counter_mts");
  assert.equal(names.of("s/counter.js"), "counter_js");
  assert.equal(names.of("s/my-mover.ts"), "my_mover");
  assert.equal(names.fileOf("counter"), "s/counter.ts");
});

Deno.test("a declared name that is another script's file name falls back to the declarer's own", () => {
  const names = new SystemNames();
  names.setFiles(["s/aaa_squat.ts", "s/counter.ts"]);
  assert.equal(names.declare("s/aaa_squat.ts", "counter"), "aaa_squat");
  assert.equal(names.of("s/counter.ts"), "counter", "the file that is counter stays counter");
  assert.deepEqual(names.conflicts(), [
    { file: "s/aaa_squat.ts", wanted: "counter", given: "aaa_squat", with: ["s/counter.ts"] },
  ]);
});

Deno.test("two scripts declaring one name both run under their file names, whatever the order", () => {
  for (const order of [["s/a.ts", "s/b.ts"], ["s/b.ts", "s/a.ts"]]) {
    const names = new SystemNames();
    names.setFiles(["s/a.ts", "s/b.ts"]);
    for (const file of order) names.declare(file, "ticker");
    assert.equal(names.of("s/a.ts"), "a");
    assert.equal(names.of("s/b.ts"), "b");
    assert.equal(names.fileOf("ticker"), null);
    assert.equal(names.conflicts().length, 2);
  }
});

Deno.test("a unique declared name is used, and given up when its file's name arrives", () => {
  const names = new SystemNames();
  names.setFiles(["s/spin.ts"]);
  assert.equal(names.declare("s/spin.ts", "spinner"), "spinner");
  names.setFiles(["s/spin.ts", "s/spinner.ts"]);
  assert.equal(names.of("s/spin.ts"), "spin");
  assert.equal(names.of("s/spinner.ts"), "spinner");
  names.setFiles(["s/spin.ts"]);
  assert.equal(names.of("s/spin.ts"), "spinner", "a deleted file frees the name");
});

import assert from "node:assert/strict";
import { join } from "node:path";
import { auditLine, AuditLog } from "./audit_log.ts";

Deno.test("the audit log rotates at its size and keeps only the newest files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "syncra_audit_" });
  try {
    const path = join(dir, "audit.jsonl");
    {
      await using log = new AuditLog(path, { maxBytes: 4096, keep: 2 });
      for (let i = 0; i < 1000; i++) log.write(auditLine({ i, message: "x".repeat(100) }));
    }
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"]);
    const lines: number[][] = [];
    for (const name of ["audit.jsonl.2", "audit.jsonl.1", "audit.jsonl"]) {
      const text = await Deno.readTextFile(join(dir, name));
      assert.ok(new TextEncoder().encode(text).length <= 4096, `${name} is within its size`);
      lines.push(text.trim().split("\n").map((l) => JSON.parse(l).i));
    }
    // The newest lines, in order, across the files; the oldest were removed with their file.
    const all = lines.flat();
    assert.equal(all.at(-1), 999);
    assert.deepEqual(all, all.map((_, k) => all[0]! + k));
    assert.ok(all[0]! > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the audit log appends to an existing file and counts its size", async () => {
  const dir = await Deno.makeTempDir({ prefix: "syncra_audit_" });
  try {
    const path = join(dir, "audit.jsonl");
    await Deno.writeTextFile(path, "x".repeat(2000) + "\n");
    {
      await using log = new AuditLog(path, { maxBytes: 2048, keep: 1 });
      log.write(auditLine({ message: "y".repeat(100) }));
    }
    assert.equal((await Deno.readTextFile(`${path}.1`)).length, 2001, "the old file was rotated");
    assert.match(await Deno.readTextFile(path), /^\{"message":"y+"\}\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("audit lines escape the controls JSON.stringify leaves raw: DEL, C1, separators, bidi", () => {
  const hostile = "a\u009b2Kb\u009d52;c;x\u0007\u007f\u2028\u202e\u2066\x1b[2K\n";
  const line = auditLine({ message: hostile });
  assert.equal(JSON.parse(line).message, hostile, "the text survives a round trip");
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  assert.equal(
    line,
    '{"message":"a\\u009b2Kb\\u009d52;c;x\\u0007\\u007f\\u2028\\u202e\\u2066\\u001b[2K\\n"}',
  );
});

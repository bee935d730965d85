import assert from "node:assert/strict";
import { join } from "node:path";
import { AuditLog } from "./audit_log.ts";
import { eventLines, lineBytes, type OutputScript, ScriptOutput } from "./script_output.ts";

const FORGED = "\n✖ counter stopped (cpu): forged\r\x1b[2K\x1b]52;c;aGk=\x07\u009b2J\u202eevil";
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** A ScriptOutput over a real audit log in a temporary folder, writing lines to an array. */
async function output(tick: { now: number }, quiet = false) {
  const dir = await Deno.makeTempDir({ prefix: "syncra_output_" });
  const lines: string[] = [];
  const script: OutputScript = { file: "/w/x.ts", name: "x", droppedLogs: 0, droppedOutput: 0 };
  const audit = new AuditLog(join(dir, "audit.jsonl"));
  const out = new ScriptOutput({
    write: quiet ? null : (l) => lines.push(l),
    audit,
    currentTick: () => tick.now,
    scripts: () => [script],
    summaryMs: 60_000,
  });
  return {
    lines,
    script,
    out,
    async auditText() {
      await audit[Symbol.asyncDispose]();
      return await Deno.readTextFile(join(dir, "audit.jsonl")).catch(() => "");
    },
    async [Symbol.asyncDispose]() {
      out[Symbol.dispose]();
      await audit[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const who = { script: "x", file: "/w/x.ts" };

Deno.test("a script's multi-line log becomes prefixed lines with every control character escaped", () => {
  const lines = eventLines({ type: "log", ...who, level: "log", text: `hi${FORGED}` });
  assert.deepEqual(lines, [
    "[x] hi",
    "[x] ✖ counter stopped (cpu): forged\\r\\x1b[2K\\x1b]52;c;aGk=\\x07\\x9b2J\\u202eevil",
  ]);
  const many = eventLines({ type: "log", ...who, level: "log", text: "a\n".repeat(1000) });
  assert.equal(many.length, 65);
  assert.equal(many.at(-1), "[x] …(937 more lines)");
  const violation = eventLines({
    type: "violation",
    ...who,
    tick: 3,
    message: `Cannot write component "${"N".repeat(65536)}${FORGED}"`,
  });
  assert.equal(violation.length, 1);
  assert.ok(violation[0]!.length < 1200, `${violation[0]!.length} characters`);
  assert.match(
    violation[0]!,
    /^⚠ x violation at tick 3: Cannot write component "N+…\(65\d+ chars\)$/,
  );
});

Deno.test("a flood of huge violations writes at most 64 KiB a tick, and a summary says what was dropped", async () => {
  const tick = { now: 1 };
  await using o = await output(tick);
  const message = `Cannot write component "${"N".repeat(65536)}${FORGED}"`;
  const perTick: number[] = [];
  for (; tick.now <= 20; tick.now++) {
    const before = o.lines.reduce((n, l) => n + lineBytes(l), 0);
    for (let i = 0; i < 200; i++) {
      o.out.handle({ type: "violation", ...who, tick: tick.now, message });
    }
    perTick.push(o.lines.reduce((n, l) => n + lineBytes(l), 0) - before);
  }
  o.out.handle({
    type: "exit",
    ...who,
    reason: "violation",
    code: null,
    signal: "SIGTERM",
    detail: `broke its grants${FORGED}`,
    restartInMs: 250,
  });
  o.out.summarize();
  // stderr alone: the audit log takes its share of the same budget.
  assert.ok(Math.max(...perTick) <= 64 * 1024, `${perTick}`);
  assert.ok(Math.max(...perTick) > 0);
  const total = o.lines.reduce((n, l) => n + lineBytes(l), 0);
  const audit = await o.auditText();
  const auditBytes = new TextEncoder().encode(audit).length;
  assert.ok(total + auditBytes <= 256 * 1024 + 8 * 1024, `${total} + ${auditBytes} bytes`);
  assert.ok(o.script.droppedOutput > 3000, `${o.script.droppedOutput} dropped`);
  assert.equal(o.lines.filter((l) => l.startsWith("✖ ")).length, 1, "the kill is always written");
  assert.ok(o.lines.every((l) => /^(\[x\] |⚠ x |✖ x | {2}│ |… \d+ lines from x )/.test(l)));
  const kill = o.lines.indexOf("✖ x stopped (violation): broke its grants");
  assert.ok(kill >= 0, "the kill's first line");
  assert.equal(
    o.lines[kill + 1],
    "  │ ✖ counter stopped (cpu): forged\\r\\x1b[2K\\x1b]52;c;aGk=\\x07\\x9b2J\\u202eevil; restarting in 250 ms",
    "its next line cannot pass for the world's own",
  );
  assert.equal(o.lines.at(-1), `… ${o.script.droppedOutput} lines from x dropped: output budget`);
  for (const l of o.lines) assert.doesNotMatch(l, CONTROL);
  assert.doesNotMatch(audit.replaceAll("\n", ""), CONTROL);
  const entries = audit.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(entries.at(-1).event, "dropped");
  assert.equal(entries.at(-1).count, o.script.droppedOutput);
});

Deno.test("a quiet world charges the audit log alone, where logs cost nothing", async () => {
  const tick = { now: 1 };
  await using o = await output(tick, true);
  for (let i = 0; i < 1000; i++) o.out.handle({ type: "log", ...who, level: "log", text: "x" });
  const message = `Cannot write component "${"N".repeat(65536)}"`;
  for (let i = 0; i < 1000; i++) o.out.handle({ type: "violation", ...who, tick: 1, message });
  const audit = await o.auditText();
  assert.deepEqual(o.lines, []);
  const bytes = new TextEncoder().encode(audit).length;
  assert.ok(bytes <= 64 * 1024 && bytes > 32 * 1024, `${bytes} bytes of audit in one tick`);
  assert.equal(o.script.droppedOutput, 1000 - audit.trim().split("\n").length);
});

Deno.test("the world's own lines: a kill says why once, a late tick, scripts added and removed", () => {
  const exit = {
    type: "exit" as const,
    ...who,
    reason: "deadline" as const,
    code: null,
    signal: "SIGTERM",
    detail: "Killed (deadline): tick 3 ran past the deadline of 250 ms",
    restartInMs: 250,
  };
  assert.deepEqual(eventLines(exit), [
    "✖ x stopped (deadline): tick 3 ran past the deadline of 250 ms; restarting in 250 ms",
  ]);
  assert.deepEqual(eventLines({ type: "late", ...who, tick: 4, waitedMs: 16.7 }), [
    "⏱ x was late for tick 4: not done after 17 ms, its result is dropped",
  ]);
  assert.deepEqual(eventLines({ type: "added", ...who }), ["+ x (/w/x.ts) added"]);
  assert.deepEqual(eventLines({ type: "removed", ...who }), ["− x (/w/x.ts) removed"]);
});

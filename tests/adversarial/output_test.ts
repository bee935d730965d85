/**
 * Hole 5 of issue 6: output the world writes on a script's behalf. Before the
 * fix, 20 violations a tick quoting 64 KiB component names grew the audit log
 * and the world's stderr by 176 MB each in 2 s, and a log line holding a
 * newline and terminal escapes printed a forged "✖ counter stopped (cpu)".
 * Now everything written because of a script goes through its output budget
 * (runtime/script_output.ts, runtime/output_budget.ts): at most 64 KiB a tick
 * and 64 KiB a second sustained (256 KiB burst), stderr and the audit log
 * together; its text is escaped and cut, a multi-line log is several lines
 * each with the script's prefix, and the audit log rotates.
 *
 * Measured here through the real CLI (`deno run -A main.ts world …`, stderr
 * captured) and, for rotation, a world with a small audit size.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { IN_CI, scriptReport, type TestRun } from "../_world.ts";
import { assertKeptTicking, attackFolder, exitsOf, runAttacks } from "./_attack.ts";
import { DEFAULT_OUTPUT_BUDGET } from "../../runtime/supervision/mod.ts";
import type { SupervisorEvent } from "../../runtime/supervision/mod.ts";
import { cli } from "../_cli.ts";

const BOMBS = ["output_log_bomb", "output_violation_bomb", "output_stderr_bomb"];
/** Escape, C1 controls, DEL, carriage return, separators and bidi controls: none may reach stderr. */
const CONTROL =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const KiB = 1024;

const bytes = (text: string) => new TextEncoder().encode(text).length;

/** Which script a line of the world's stderr speaks for, and the tick it names, if any. */
function attribute(line: string): { script: string; tick: number | null } | null {
  const patterns: [RegExp, boolean][] = [
    [/^\[(\w+)\] T(\d+) /, true],
    [/^⚠ (\w+) violation at tick (\d+): /, true],
    [/^⏱ (\w+) missed the deadline of tick (\d+) /, true],
    [/^\[(\w+)\] /, false],
    [/^✖ (\w+) stopped \(/, false],
    [/^… \d+ lines from (\w+) dropped: output budget$/, false],
  ];
  for (const [pattern, ticked] of patterns) {
    const m = pattern.exec(line);
    if (m) return { script: m[1]!, tick: ticked ? Number(m[2]) : null };
  }
  return null;
}

/** Bytes per script and per (script, tick): lines without a tick count toward the script's last one. */
function account(lines: { script: string; tick: number | null; bytes: number }[]) {
  const total = new Map<string, number>();
  const perTick = new Map<string, number>();
  const last = new Map<string, number>();
  for (const l of lines) {
    total.set(l.script, (total.get(l.script) ?? 0) + l.bytes);
    if (l.tick !== null) last.set(l.script, l.tick);
    const key = `${l.script} ${l.tick ?? last.get(l.script) ?? 0}`;
    perTick.set(key, (perTick.get(key) ?? 0) + l.bytes);
  }
  return { total, perTick };
}

function maxOf(perTick: Map<string, number>, script: string): [string, number] {
  let best: [string, number] = ["", 0];
  for (const [key, n] of perTick) if (key.startsWith(`${script} `) && n > best[1]) best = [key, n];
  return best;
}

Deno.test("floods of huge, multi-line, escape-laden logs, violations and stderr write at most 64 KiB a tick per script through the CLI, nothing forged", async () => {
  await using folder = await attackFolder(BOMBS);
  const ticks = 300;
  const report = join(folder.root, "report.json");
  const dump = join(folder.root, "dump.json");
  const started = performance.now();
  const out = await cli([
    "world",
    ...["--scripts", folder.scripts, "--ticks", String(ticks), "--hz", "0", "--fresh"],
    ...["--no-watch", "--report", report, "--dump", dump],
    ...["--state", join(folder.root, "world.state"), ...(IN_CI ? ["--jail", "on"] : [])],
  ], folder.root);
  const seconds = (performance.now() - started) / 1000;
  const stderr = out.stderr;
  assert.equal(out.code, 0, stderr.slice(-2000));
  // A CLI run: its report and dump, no in-process events; the runtime's own peak memory,
  // where the report has it.
  const parsed = JSON.parse(await Deno.readTextFile(report));
  const run = {
    report: parsed,
    dump: JSON.parse(await Deno.readTextFile(dump)),
    events: [] as SupervisorEvent[],
    peakRssBytes: (parsed.runtimePeakRssMb ?? 0) * 1024 * KiB,
  } as TestRun;
  assertKeptTicking(run, ticks);

  // Nothing a script sent reaches the terminal raw, and no line passes for the world's own.
  const lines = stderr.split("\n");
  assert.equal(lines.pop(), "", "stderr ends with a newline");
  for (const line of lines) assert.doesNotMatch(line, CONTROL, JSON.stringify(line.slice(0, 200)));
  assert.deepEqual(lines.filter((l) => l.startsWith("✖ counter")), [], "no forged line");
  const counterLines = lines.filter((l) =>
    /^(\[counter\]|⚠ counter|✖ counter|… .* counter )/.test(l)
  );
  assert.deepEqual(counterLines, [], "the counter itself printed nothing");
  const forged = lines.filter((l) => l.includes("✖ counter stopped (cpu)"));
  assert.ok(forged.length > 0, "the forgeries were printed, as the script's own text");
  for (const l of forged) {
    assert.match(
      l,
      /^(\[output_\w+_bomb\] |⚠ output_violation_bomb |✖ output_stderr_bomb stopped \(crash\): | {2}│ )/,
    );
  }
  for (const name of BOMBS) {
    assert.ok(
      lines.some((l) => new RegExp(`^… \\d+ lines from ${name} dropped: output budget$`).test(l)),
      `a summary says ${name}'s lines were dropped`,
    );
  }

  // The audit log: valid JSON lines, escaped, within the budgets.
  const auditText = await Deno.readTextFile(join(folder.root, ".syncra", "audit.jsonl"));
  assert.doesNotMatch(
    auditText.replaceAll("\n", ""),
    CONTROL,
    "no raw control character in the audit log",
  );
  const audit = auditText.trim().split("\n").map((l) => ({ line: l, entry: JSON.parse(l) }));
  assert.ok(
    audit.some(({ entry }) => entry.event === "dropped" && entry.reason === "output budget"),
  );

  // Bytes per script: stderr lines (with their newline) and audit lines, by the tick they name.
  // A kill's or refusal's further lines ("  │ …") belong to the line above them.
  let previous: { script: string; tick: number | null } | null = null;
  const unattributed: string[] = [];
  const attributed = lines.flatMap((l) => {
    const who = l.startsWith("  │ ") ? previous : attribute(l);
    previous = who;
    if (!who && !/^(• |⚠ |↺ |✔ |\[syncra\] )/.test(l)) unattributed.push(l);
    return who ? [{ ...who, bytes: bytes(l) + 1 }] : [];
  });
  assert.deepEqual(unattributed, [], "every line is the world's own or a script's");
  const stderrOnly = account(attributed);
  const both = account([
    ...attributed,
    ...audit.map(({ line, entry }) => ({
      script: entry.script as string,
      tick: entry.tick as number,
      bytes: bytes(line) + 1,
    })),
  ]);
  const { burstBytes, bytesPerSecond, bytesPerTick } = DEFAULT_OUTPUT_BUDGET;
  const measured: Record<string, unknown> = { seconds: seconds.toFixed(1), ticks };
  for (const name of BOMBS) {
    const total = both.total.get(name) ?? 0;
    // The bucket: its burst and a second's worth per second, plus the few lines that are
    // always written (kills, summaries), which it lends.
    const bound = burstBytes + bytesPerSecond * seconds + 32 * KiB;
    assert.ok(total <= bound, `${name}: ${total} bytes in ${seconds.toFixed(1)} s, bound ${bound}`);
    assert.ok(total > 16 * KiB, `${name} did write: ${total} bytes`);
    measured[name] = {
      stderrBytes: stderrOnly.total.get(name),
      auditBytes: total - (stderrOnly.total.get(name) ?? 0),
      maxStderrTick: maxOf(stderrOnly.perTick, name),
      maxTick: maxOf(both.perTick, name),
      dropped: scriptReport(run, name).droppedOutput,
    };
  }
  // The scripts that name their ticks: at most 64 KiB a tick, stderr and audit log together.
  for (const name of ["output_log_bomb", "output_violation_bomb"]) {
    const [tick, n] = maxOf(both.perTick, name);
    assert.ok(n <= bytesPerTick, `${tick}: ${n} bytes in one tick`);
  }
  assert.ok(bytes(stderr) < 2 * 1024 * KiB, `${bytes(stderr)} bytes of stderr in all`);
  measured.stderrBytes = bytes(stderr);
  measured.auditBytes = bytes(auditText);
  console.log(JSON.stringify(measured));

  // Counted in full although most of their text was dropped.
  const bomber = scriptReport(run, "output_violation_bomb");
  assert.ok(bomber.violations >= ticks - ticks / 10, `${bomber.violations} violations counted`);
  assert.deepEqual(bomber.exits, {}, "the violation bomb was never killed");
  assert.ok(bomber.droppedOutput > 0);
  const logger = scriptReport(run, "output_log_bomb");
  assert.equal(logger.droppedLogs, ticks * 52, "past 100 lines a tick");
  assert.ok(logger.droppedOutput > 0);
  assert.ok((scriptReport(run, "output_stderr_bomb").exits.crash ?? 0) >= 1);
});

Deno.test("the audit log rotates at its size and keeps a bounded number of files while a script floods it", async () => {
  await using folder = await attackFolder(["output_violation_bomb"]);
  const ticks = 200;
  const maxBytes = 16 * KiB;
  const run = await runAttacks(folder, ticks, { audit: { maxBytes, keep: 2 } });
  const dir = join(folder.root, ".syncra");
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("audit"));
  assert.deepEqual(files.sort(), ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"]);
  let entries = 0;
  for (const name of files) {
    const text = await Deno.readTextFile(join(dir, name));
    assert.ok(bytes(text) <= maxBytes, `${name}: ${bytes(text)} bytes`);
    for (const line of text.trim().split("\n")) {
      const entry = JSON.parse(line);
      assert.equal(entry.script, "output_violation_bomb");
      entries++;
    }
  }
  const bomber = scriptReport(run, "output_violation_bomb");
  assert.ok(bomber.violations >= ticks - ticks / 10, "violations are counted in full");
  assert.ok(entries < bomber.violations, `${entries} audited of ${bomber.violations}`);
  assert.deepEqual(exitsOf(run, "output_violation_bomb"), []);
  assertKeptTicking(run, ticks);
});

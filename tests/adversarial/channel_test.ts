import assert from "node:assert/strict";
import { scriptReport } from "../_world.ts";
import {
  assertConfined,
  assertDenied,
  assertKeptTicking,
  attackFolder,
  exitsOf,
  notCapable,
  runAttacks,
} from "./_attack.ts";

/** Scripts that forge frames on the channel, and the protocol error each must end in. */
const FORGERS: Record<string, RegExp> = {
  process_stdout_forge: /^Killed \(protocol\): Frame of 4294967295 bytes exceeds the limit of \d+$/,
  encoder_length_forge: /^Killed \(protocol\): Frame of 4294967280 bytes exceeds the limit of \d+$/,
  encoder_truncated_forge:
    /^Killed \(protocol\): Malformed MessagePack: needs \d+ bytes at offset \d+, only 0 left$/,
  encoder_trailing_forge:
    /^Killed \(protocol\): Malformed MessagePack: 1 trailing bytes after the value$/,
  result_tick_forge: /^Killed \(protocol\): sent a result for tick 999999 that was not asked for$/,
};

const ATTACKS = [
  "raw_stdio_access",
  ...Object.keys(FORGERS),
  "forged_result_columns",
  "log_frame_injection",
];

Deno.test("scripts cannot reach the frame channel, and whatever they forge on it ends their process, never the world", async (t) => {
  await using folder = await attackFolder(ATTACKS);
  const ticks = 60;
  const run = await runAttacks(folder, ticks, { hz: 50, deadlineMs: 1000 });

  await t.step("the raw streams and the host's internals are out of reach", () => {
    assertDenied(run, "raw_stdio_access", {
      stdout: /^TypeError: Cannot read properties of undefined \(reading 'writeSync'\)$/,
      stderr: /^TypeError: Cannot read properties of undefined \(reading 'writeSync'\)$/,
      stdin: /^TypeError: Cannot read properties of undefined \(reading 'readSync'\)$/,
      redefine: /^TypeError: Cannot redefine property: stdout$/,
      internal: /^TypeError: Cannot read properties of undefined \(reading 'core'\)$/,
      writeSync: /^TypeError: D\.writeSync is not a function$/,
      fsFile: /^TypeError: 'Deno\.FsFile' cannot be constructed/,
      devStdout: notCapable("write", "/dev/stdout"),
      procFd1: notCapable("write", "/proc/self/fd/1"),
      procFd0: notCapable("read", "/proc/self/fd/0"),
      consoleReplaced: /^TypeError: Cannot redefine property: log$/,
    });
  });

  await t.step("forged bytes are a protocol kill, then a restart", () => {
    for (const [name, detail] of Object.entries(FORGERS)) {
      const exits = exitsOf(run, name);
      if (name === "process_stdout_forge" && exits.length === 0) {
        // Once Node's process is gone from scripts (holes_test.ts), this one cannot even write.
        assert.match(
          scriptReport(run, name).lastError ?? "",
          /^ReferenceError: process is not defined/,
        );
        continue;
      }
      assert.ok(exits.length >= 1, `${name} was killed`);
      for (const exit of exits) {
        assert.equal(exit.reason, "protocol", `${name}: ${exit.detail}`);
        assert.match(exit.detail, detail, name);
        assert.notEqual(exit.restartInMs, null);
      }
      const ready = run.events.filter((e) => e.type === "ready" && e.script === name);
      assert.ok(ready.length >= 2, `${name} was restarted: ${ready.length} starts`);
      assert.ok(scriptReport(run, name).restarts >= 1);
    }
  });

  await t.step(
    "a result forged past the host's grant checks is a violation, and is dropped",
    () => {
      const violations = run.events.filter((e) =>
        e.type === "violation" && e.script === "forged_result_columns"
      );
      assert.ok(violations.length >= 10, `${violations.length} violations`);
      for (const v of violations) {
        assert.equal(
          v.type === "violation" && v.message,
          `Cannot write component "Counter" from script "forged_result_columns": it is not in the script's writes`,
        );
      }
      assert.equal(exitsOf(run, "forged_result_columns")[0]?.reason, "violation");
    },
  );

  await t.step("frames hidden in a log line stay text", () => {
    const texts = run.events.filter((e) => e.type === "log" && e.script === "log_frame_injection")
      .map((e) => e.type === "log" ? e.text : "");
    assert.ok(
      texts.includes("\u0005\u0000\u0000\u0000\u0081\u00a1t\u00a6result\u00ff\u00ff\u00ff\u00ff"),
      "the forged bytes arrived as the text they were",
    );
    assert.ok(texts.includes(`tick ${ticks}`));
    assert.deepEqual(exitsOf(run, "log_frame_injection"), []);
    assert.equal(scriptReport(run, "log_frame_injection").state, "running");
  });

  await t.step("the world kept ticking and the counter lost no tick", () => {
    assertConfined(run, ATTACKS);
    assertKeptTicking(run, ticks);
  });
});

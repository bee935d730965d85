import assert from "node:assert/strict";
import { decodeWaitStatus } from "./exit_watcher.ts";
import { signalName, signalNumber } from "./signal_numbers.ts";

Deno.test("wait statuses decode into an exit code or a signal name", () => {
  assert.deepEqual(decodeWaitStatus(0), { code: 0, signal: null });
  assert.deepEqual(decodeWaitStatus(3 << 8), { code: 3, signal: null });
  assert.deepEqual(decodeWaitStatus(9), { code: null, signal: "SIGKILL" });
  // A core dump sets 0x80 on top of the signal.
  assert.deepEqual(decodeWaitStatus(0x80 | 11), { code: null, signal: "SIGSEGV" });
});

Deno.test("signal names and Linux numbers map both ways", () => {
  for (
    const [name, n] of [["SIGHUP", 1], ["SIGKILL", 9], ["SIGTERM", 15], ["SIGSYS", 31]] as const
  ) {
    assert.equal(signalNumber(name), n);
    assert.equal(signalName(n), name);
  }
  assert.equal(signalNumber("SIGPOLL"), 29);
  assert.throws(() => signalNumber("SIGINFO"), TypeError);
  assert.equal(signalName(36), "SIGRTMIN+2");
});

/**
 * Holes this suite found in the runtime and sandbox code (README.md, "Holes
 * found"), written as the secure behaviour they should have: regression tests
 * for the ones fixed, `ignore: true` for the ones still open. Every other
 * layer still stops what these scripts can do with them: the flags, the jail
 * and the coordinator's validation are asserted by the tests next to this file.
 *
 * @module
 */
import assert from "node:assert/strict";
import { assertKeptTicking, attackFolder, probes, runAttacks } from "./_attack.ts";

/** Asserts that every listed attempt failed (none starts with "OK:"). */
function assertAllFailed(results: Record<string, string>, keys: readonly string[]): void {
  for (const key of keys) {
    // A probe that never reported proves nothing: it must have run and failed.
    assert.ok(key in results, `${key} was never reported: ${JSON.stringify(Object.keys(results))}`);
    assert.ok(!results[key]!.startsWith("OK:"), `${key} must fail: ${results[key]}`);
  }
}

Deno.test({
  // Was a hole (fixed: the host deletes Node's globals): Deno 2 puts Node's `process` on
  // globalThis, and `process.getBuiltinModule("node:vm")` needs no import, so the bundler never
  // sees it; vm compiles strings as the embedder, which --disallow-code-generation-from-strings
  // does not cover, and with `importModuleDynamically: USE_MAIN_CONTEXT_DEFAULT_LOADER` it runs
  // import() of computed specifiers at run time.
  name: "code built from strings cannot run through node:vm",
  async fn() {
    await using folder = await attackFolder(["node_vm_eval"]);
    const run = await runAttacks(folder, 4, { deadlineMs: 2000 });
    const results = probes(run, "node_vm_eval");
    assert.equal(results.processType, "OK: undefined");
    assertAllFailed(results, [
      "runInThisContext",
      "runInNewContext",
      "script",
      "compileFunction",
      "dynamicImport",
    ]);
    assertKeptTicking(run, 4);
  },
});

Deno.test({
  // Was a hole (fixed as above): the host deleted globalThis.Worker, but
  // `process.getBuiltinModule("node:worker_threads")` started Workers anyway (from a string with
  // `eval: true`, or a data: URL); inside one the host's hiding did not apply (Deno.stdout, Worker
  // and Deno[Deno.internal] were all there), and each Worker is an isolate with a heap cap of its
  // own, burning CPU outside the script's ticks.
  name: "no Worker can be started through node:worker_threads",
  async fn() {
    await using folder = await attackFolder(["worker_threads_escape"]);
    const run = await runAttacks(folder, 4, { deadlineMs: 2000 });
    assertAllFailed(probes(run, "worker_threads_escape"), ["worker"]);
    assertKeptTicking(run, 4);
  },
});

Deno.test({
  // Was a hole (fixed as above): the host hid Deno.stdin/stdout/stderr, but Node's
  // process.stdout, process.stdin and process.stderr reached the same descriptors: a script
  // could write forged frames (the coordinator then killed it for protocol, see
  // channel_test.ts) or read the runtime's frames meant for the host.
  name: "the frame channel cannot be reached through Node's process object",
  async fn() {
    await using folder = await attackFolder(["process_stdio"]);
    const run = await runAttacks(folder, 4, { deadlineMs: 2000 });
    const results = probes(run, "process_stdio");
    assert.equal(results.process, "OK: undefined");
    assertAllFailed(results, ["stdout", "stdin", "stderr", "getBuiltinModule", "binding"]);
    assertKeptTicking(run, 4);
  },
});

Deno.test({
  // Was a hole: a net grant "host:port" (documented as "pairs the system may connect to")
  // becomes --allow-net=host:port, which Deno also takes as leave to listen on that address,
  // and with --share-net the jail does not stop it either: a script granted a service's
  // address could take the port while the service was down. The in-child host now removes
  // Deno.listen, listenTls, listenDatagram and serve before user code runs (node:net is
  // unreachable: no node: imports, no process object), and the jail's seccomp filter makes
  // bind(2) and listen(2) fail underneath (sandbox/jail_test.ts proves that layer alone).
  name: "a net grant lets a script connect to its address, not listen on it",
  async fn() {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = probe.addr.port;
    probe.close();
    await using folder = await attackFolder(["net_grant_listen"], {
      replace: { __GRANTED_PORT__: String(port) },
    });
    const run = await runAttacks(folder, 4, {
      deadlineMs: 2000,
      config: {
        capabilities: { "net_grant_listen.ts": { net: [`127.0.0.1:${port}`], storage: false } },
        source: "test",
      },
    });
    assert.match(
      probes(run, "net_grant_listen").listen ?? "",
      /^TypeError: Deno\.listen is not a function/,
    );
    assertKeptTicking(run, 4);
  },
});

Deno.test({
  // Was a hole: localStorage and the Cache API need no permission and write to Deno's
  // location-data folder, which a flags-only child (no jail) finds in the runtime user's
  // cache: a script kept state across its restarts, and the Cache API has no quota. The
  // in-child host now removes localStorage, sessionStorage and caches; in the jail they
  // would land on a fresh tmpfs charged to the cgroup anyway (files_test.ts).
  name: "without the jail, localStorage and the Cache API keep no state across restarts",
  async fn() {
    await using folder = await attackFolder(["web_storage_persist"]);
    const run = await runAttacks(folder, 30, { hz: 20, deadlineMs: 2000, jail: "off" });
    const results = probes(run, "web_storage_persist");
    for (const key of ["localStorage", "cache"]) {
      assert.ok(!results[key]?.includes("left by the previous process"), `${key}: ${results[key]}`);
    }
    assertKeptTicking(run, 30);
  },
});

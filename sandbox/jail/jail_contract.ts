/**
 * The contract every `Jail` implementation keeps (STYLE 4): run by the test
 * of each implementation, so a new jail cannot weaken what scripts rely on.
 * What a jail adds beyond the contract (mount and network namespaces) is
 * tested in `jail_test.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Jail } from "./jail.ts";
import { fixture, report, runBundle, spawnJailed } from "./_jail_test_helpers.ts";

/** Registers the contract tests for one jail. */
export function runJailContract(name: string, makeJail: () => Promise<Jail>): void {
  const test = (what: string, fn: (jail: Jail) => Promise<void> | void) =>
    Deno.test(`${name} jail contract: ${what}`, async () => fn(await makeJail()));

  test("the wrapped command runs the script, with its stdout, stderr and exit code", async (jail) => {
    await using bundle = await fixture(`console.log("out"); console.error("err"); Deno.exit(7);`);
    const run = await runBundle(jail, bundle.bundlePath);
    assert.deepEqual([run.code, run.stdout, run.stderr], [7, "out\n", "err\n"]);
  });

  test("the script has no more permission than its flags give", async (jail) => {
    await using bundle = await fixture(`
      const out = {};
      for (const [k, f] of Object.entries({
        read: () => Deno.readTextFileSync("/etc/hostname"),
        env: () => Deno.env.get("HOME"),
        run: () => new Deno.Command("/bin/true").outputSync(),
        net: () => Deno.connect({ hostname: "127.0.0.1", port: 9 }),
      })) {
        try { await f(); out[k] = "allowed"; } catch (e) { out[k] = e.name; }
      }
      console.log(JSON.stringify(out));`);
    const got = report<Record<string, string>>(await runBundle(jail, bundle.bundlePath));
    assert.deepEqual(got, {
      read: "NotCapable",
      env: "NotCapable",
      run: "NotCapable",
      net: "NotCapable",
    });
  });

  test("the environment is the command's, with nothing inherited from the runtime", async (jail) => {
    Deno.env.set("SYNCRA_CONTRACT_SECRET", "leaked");
    try {
      await using bundle = await fixture(`console.log(JSON.stringify(Deno.env.toObject()));`);
      const env = report<Record<string, string>>(
        await runBundle(jail, bundle.bundlePath, { denoArgs: ["--allow-env"] }),
      );
      assert.equal(env.NO_COLOR, "1");
      assert.equal(env.SYNCRA_CONTRACT_SECRET, undefined);
      assert.equal(env.DENO_PERMISSION_BROKER_PATH, undefined);
      // Deno itself adds PATH (its node_compat_bin shim folder) and DENO_NODE_SHIM_ACTIVE;
      // nothing else may appear.
      const allowed = new Set([
        "NO_COLOR",
        "DENO_NO_UPDATE_CHECK",
        "DENO_DIR",
        "PWD",
        "PATH",
        "DENO_NODE_SHIM_ACTIVE",
      ]);
      assert.deepEqual(Object.keys(env).filter((k) => !allowed.has(k)), []);
    } finally {
      Deno.env.delete("SYNCRA_CONTRACT_SECRET");
    }
  });

  test("a granted storage folder is readable and writable at its own path", async (jail) => {
    await using bundle = await fixture(`
      const dir = Deno.args.find((a) => a.startsWith("--storage="))!.slice(10);
      Deno.writeTextFileSync(dir + "/kept.txt", "kept");
      console.log(JSON.stringify({ read: Deno.readTextFileSync(dir + "/kept.txt") }));`.replace(
      "!",
      "",
    ));
    const storage = await Deno.makeTempDir({ prefix: "syncra_contract_storage_" });
    try {
      const got = report<{ read: string }>(
        await runBundle(jail, bundle.bundlePath, { grants: { storageDir: storage } }),
      );
      assert.equal(got.read, "kept");
      assert.equal(await Deno.readTextFile(`${storage}/kept.txt`), "kept");
    } finally {
      await Deno.remove(storage, { recursive: true });
    }
  });

  test("isolation names what the jail gives: a jail is its own mount namespace, flags-only is not", async (jail) => {
    assert.ok(jail.description.length > 0);
    // Seen from outside, as the child cannot look: the namespace of the deno process inside.
    await using bundle = await fixture("await new Promise((r) => setTimeout(r, 5000));\n");
    const child = spawnJailed(jail, bundle.bundlePath);
    try {
      let inner: number | null = null;
      for (let i = 0; i < 200 && inner === null; i++) {
        inner = findDescendant(child.pid, bundle.bundlePath);
        if (inner === null) await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(inner !== null, "the script's deno process is found");
      const ours = Deno.readLinkSync("/proc/self/ns/mnt");
      const theirs = Deno.readLinkSync(`/proc/${inner}/ns/mnt`);
      if (jail.isolation === "jail") {
        assert.notEqual(theirs, ours);
      } else {
        assert.equal(jail.isolation, "flags-only");
        assert.equal(theirs, ours);
      }
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
  });
}

/** The pid of a descendant of `pid` whose command line mentions `needle`, or null. */
function findDescendant(pid: number, needle: string): number | null {
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${next}/cmdline`);
      const argv = cmdline.split("\0");
      if (argv[0]?.endsWith("deno") && argv.includes(needle)) return next;
      for (const task of Deno.readDirSync(`/proc/${next}/task`)) {
        const children = Deno.readTextFileSync(`/proc/${next}/task/${task.name}/children`);
        for (const c of children.trim().split(/\s+/)) if (c) queue.push(Number(c));
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return null;
}

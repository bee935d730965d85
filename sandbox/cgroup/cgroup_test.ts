/**
 * Control group budgets against real processes: a memory bomb is killed by
 * the kernel, a thread bomb hits pids.max, and every group is removed again.
 * Without a writable hierarchy the tests are skipped, unless SYNCRA_CI=1
 * makes them fail.
 */
import assert from "node:assert/strict";
import { type ChildCommand, deriveChildCommand } from "../command/mod.ts";
import { type CgroupManager, DEFAULT_BUDGET, detectCgroups, probeCgroups } from "./cgroup.ts";
import { detectJail } from "../jail/mod.ts";

const CI = Deno.env.get("SYNCRA_CI") === "1";
const probe = await probeCgroups();
if (probe.manager === null && !CI) console.warn(`Skipping the cgroup tests: ${probe.reason}`);
// The budgets must hold through the jail the runtime really uses.
const jail = await detectJail();

function cgroupTest(name: string, fn: (cgroups: CgroupManager) => Promise<void>): void {
  const manager = probe.manager;
  if (manager !== null) {
    Deno.test(`${name} (cgroup v${manager.version}, ${jail.isolation})`, async () => {
      await fn(manager);
      for (const parent of manager.parentPaths) {
        await assert.rejects(Deno.stat(parent), Deno.errors.NotFound, `${parent} left behind`);
      }
    });
  } else if (CI) {
    Deno.test(name, () => {
      throw new Error(`SYNCRA_CI=1 requires writable cgroups: ${probe.reason}`);
    });
  } else {
    Deno.test({ name: `${name} (skipped: no cgroups)`, ignore: true, fn() {} });
  }
}

let counter = 0;
function uniqueName(prefix: string): string {
  return `${prefix}-${Deno.pid}-${counter++}`;
}

/** A temp folder holding `bundle.js`, removed on dispose. */
async function fixture(source: string) {
  const dir = await Deno.makeTempDir({ prefix: "syncra_cgroup_test_" });
  const bundlePath = `${dir}/bundle.js`;
  await Deno.writeTextFile(bundlePath, source);
  return { bundlePath, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

/** The script's command, jailed when this machine can, not yet in a group. */
function scriptCommand(bundlePath: string): ChildCommand {
  const derived = deriveChildCommand({
    denoPath: Deno.execPath(),
    bundlePath,
    heapMb: 64,
    grants: { net: [], storageDir: null },
  });
  return jail.wrap(derived, { bundlePath, storageDir: null, net: false });
}

function spawn(command: ChildCommand, stdin: "null" | "piped" = "null"): Deno.ChildProcess {
  return new Deno.Command(command.program, {
    args: command.args,
    env: command.env,
    clearEnv: true,
    stdin,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
}

cgroupTest(
  "a script filling ArrayBuffers past its memory budget is OOM-killed",
  async (cgroups) => {
    await using group = await cgroups.create(uniqueName("oom"), {
      memoryBytes: 200 * 1000 * 1000,
      maxPids: 64,
    });
    // --max-old-space-size does not count ArrayBuffers: only the group stops this.
    await using bundle = await fixture(`const kept = [];
for (;;) {
  kept.push(new Uint8Array(8 << 20).fill(1));
  console.log(kept.length * 8);
}`);
    const output = await spawn(group.wrap(scriptCommand(bundle.bundlePath))).output();
    const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
    const reached = Number(lines.at(-1));
    assert.ok(
      output.signal === "SIGKILL" || output.code === 137,
      `expected a SIGKILL, got code ${output.code}: ${new TextDecoder().decode(output.stderr)}`,
    );
    assert.ok(reached >= 64 && reached <= 200, `the script got to ${reached} MiB`);
    const { oomKills } = await group.memoryEvents();
    if (oomKills !== null) assert.ok(oomKills >= 1, `oom kills: ${oomKills}`);
  },
);

cgroupTest(
  "a script spawning Workers past pids.max gets an error, not the machine",
  async (cgroups) => {
    await using group = await cgroups.create(uniqueName("pids"), {
      memoryBytes: DEFAULT_BUDGET.memoryBytes,
      maxPids: 32,
    });
    await using bundle = await fixture(`const workers = [];
let error = null;
try {
  while (workers.length < 500) {
    workers.push(new Worker("data:text/javascript,setInterval(() => {}, 1000)", { type: "module" }));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
} catch (e) { error = e.name + ": " + e.message; }
console.log(JSON.stringify({ spawned: workers.length, error }));
Deno.exit(0);`);
    const output = await spawn(group.wrap(scriptCommand(bundle.bundlePath))).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    const { limitHits } = await group.pidsEvents();
    assert.ok(limitHits >= 1, `pids.max was never hit: ${stdout}${stderr}`);
    if (output.code === 0) {
      const report = JSON.parse(stdout.trim().split("\n").at(-1)!);
      assert.ok(report.spawned < 32, `spawned ${report.spawned} workers`);
      assert.match(report.error, /Resource temporarily unavailable|WouldBlock/);
    }
    // The host still creates processes and threads.
    const after = await new Deno.Command("/bin/true").output();
    assert.equal(after.code, 0);
  },
);

cgroupTest("a wrapped command is in its group before its first instruction", async (cgroups) => {
  await using group = await cgroups.create(uniqueName("join"), DEFAULT_BUDGET);
  await using bundle = await fixture(`console.log("ready");
for await (const _ of Deno.stdin.readable) { /* until the host closes stdin */ }`);
  const child = spawn(group.wrap(scriptCommand(bundle.bundlePath)), "piped");
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assert.equal((await reader.read()).value, "ready\n");
  const members = await group.pids();
  assert.ok(members.includes(child.pid), `${child.pid} not in ${members}`);
  // Under bwrap the jail's init and deno are in it too: they were born inside.
  if (jail.isolation === "jail") assert.ok(members.length >= 3, `members: ${members}`);
  const own = await Deno.readTextFile(`/proc/${child.pid}/cgroup`);
  assert.ok(own.includes(`/syncra-${Deno.pid}/${group.name}`), own);
  await child.stdin.close();
  await reader.cancel();
  await child.stderr.cancel();
  assert.equal((await child.status).code, 0);
});

cgroupTest("dispose kills what is left in a group and removes its folders", async (cgroups) => {
  const group = await cgroups.create(uniqueName("dispose"), DEFAULT_BUDGET);
  const child = spawn(group.wrap({ program: "/bin/sleep", args: ["60"], env: {} }));
  for (let i = 0; (await group.pids()).length === 0; i++) {
    assert.ok(i < 100, "sleep never joined the group");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await group.dispose();
  const status = await child.status;
  await child.stdout.cancel();
  await child.stderr.cancel();
  assert.equal(status.signal, "SIGKILL");
  for (const file of group.procsFiles) {
    await assert.rejects(Deno.stat(file), Deno.errors.NotFound);
  }
});

cgroupTest("add moves a running process into its group", async (cgroups) => {
  await using group = await cgroups.create(uniqueName("add"), DEFAULT_BUDGET);
  const child = spawn({ program: "/bin/sleep", args: ["60"], env: {} });
  await group.add(child.pid);
  assert.deepEqual(await group.pids(), [child.pid]);
  child.kill("SIGKILL");
  await child.status;
  await child.stdout.cancel();
  await child.stderr.cancel();
});

cgroupTest("create refuses bad names and budgets too small for deno", async (cgroups) => {
  for (const name of ["", "..", "a/b", "x".repeat(65)]) {
    await assert.rejects(cgroups.create(name, DEFAULT_BUDGET), TypeError, name);
  }
  await assert.rejects(
    cgroups.create("tiny", { memoryBytes: 1 << 20, maxPids: 64 }),
    RangeError,
  );
  await assert.rejects(
    cgroups.create("few", { memoryBytes: DEFAULT_BUDGET.memoryBytes, maxPids: 8 }),
    RangeError,
  );
  await using group = await cgroups.create(uniqueName("twice"), DEFAULT_BUDGET);
  await assert.rejects(cgroups.create(group.name, DEFAULT_BUDGET), /Cannot create control group/);
  assert.ok((await Deno.stat(group.path)).isDirectory, "a clash must not remove the first group");
});

Deno.test("detectCgroups says null where there is no hierarchy", async () => {
  assert.equal(await detectCgroups("/nonexistent"), null);
  const probe = await probeCgroups("/nonexistent");
  assert.match(probe.reason ?? "", /no cgroup v2/);
});

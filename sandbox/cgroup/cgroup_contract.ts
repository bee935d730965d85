/**
 * The contract every {@linkcode CgroupManager} keeps, as one suite each
 * implementation runs against a real hierarchy: names and budgets are
 * checked, a wrapped command is inside before it runs, members are listed,
 * killed and their folders removed, and the budgets hold against a memory
 * bomb and a thread bomb.
 *
 * A case needs the hierarchy, and some also the memory or pids controller.
 * Where the machine cannot give one, the case is skipped and says why; when
 * the reason is a missing dependency (not a property of the machine, such as
 * "this host is cgroup v1"), `SYNCRA_CI=1` makes it fail instead.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type ChildCommand, deriveChildCommand } from "../command/mod.ts";
import { detectJail } from "../jail/mod.ts";
import { type CgroupManager, DEFAULT_BUDGET } from "./cgroup.ts";

/** What a contract case needs from the machine. */
export type CgroupNeed = "hierarchy" | "memory" | "pids";

/** Why this machine cannot give an implementation something its cases need. */
export interface CgroupUnavailable {
  reason: string;
  /**
   * True: the machine lacks something it should have (fails under
   * `SYNCRA_CI=1`); false: a property of the machine (the skip is printed).
   */
  missingDependency: boolean;
}

/** One implementation under the contract. */
export interface CgroupContractOptions {
  /** Shown in each test's name, e.g. `cgroup v1`. */
  name: string;
  /** A manager on a real hierarchy; called once per case. */
  makeManager: () => Promise<CgroupManager>;
  /** What this machine cannot give; the cases needing it are skipped. */
  unavailable?: Partial<Record<CgroupNeed, CgroupUnavailable>>;
}

const CI = Deno.env.get("SYNCRA_CI") === "1";
// The budgets must hold through the jail the runtime really uses.
const jail = await detectJail();
const decoder = new TextDecoder();

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

async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; !await ok(); i++) {
    assert.ok(i < 100, what);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface ContractCase {
  name: string;
  needs: CgroupNeed[];
  fn(cgroups: CgroupManager, has: (need: CgroupNeed) => boolean): Promise<void>;
}

const CASES: ContractCase[] = [
  {
    name: "create refuses bad names and budgets too small for deno",
    needs: ["hierarchy"],
    async fn(cgroups) {
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
      await assert.rejects(
        cgroups.create(group.name, DEFAULT_BUDGET),
        /Cannot create control group/,
      );
      assert.ok((await Deno.stat(group.path)).isDirectory, "a clash must not remove the first");
    },
  },
  {
    name: "a wrapped command is in its group before its first instruction",
    needs: ["hierarchy"],
    async fn(cgroups) {
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
    },
  },
  {
    name: "a wrapped command whose group is gone never runs",
    needs: ["hierarchy"],
    async fn(cgroups) {
      const group = await cgroups.create(uniqueName("gone"), DEFAULT_BUDGET);
      await using _keep = await cgroups.create(uniqueName("keep"), DEFAULT_BUDGET);
      await group.dispose();
      const command = group.wrap({ program: "/bin/echo", args: ["ran"], env: {} });
      const output = await spawn(command).output();
      assert.equal(output.code, 125, decoder.decode(output.stderr));
      assert.equal(decoder.decode(output.stdout), "");
    },
  },
  {
    name: "dispose kills what is left in a group and removes its folders",
    needs: ["hierarchy"],
    async fn(cgroups) {
      const group = await cgroups.create(uniqueName("dispose"), DEFAULT_BUDGET);
      const child = spawn(group.wrap({ program: "/bin/sleep", args: ["60"], env: {} }));
      await until("sleep never joined the group", async () => (await group.pids()).length > 0);
      await group.dispose();
      const status = await child.status;
      await child.stdout.cancel();
      await child.stderr.cancel();
      assert.equal(status.signal, "SIGKILL");
      for (const file of group.procsFiles) {
        await assert.rejects(Deno.stat(file), Deno.errors.NotFound);
      }
    },
  },
  {
    name: "add moves a running process into its group",
    needs: ["hierarchy"],
    async fn(cgroups) {
      await using group = await cgroups.create(uniqueName("add"), DEFAULT_BUDGET);
      const child = spawn({ program: "/bin/sleep", args: ["60"], env: {} });
      await group.add(child.pid);
      assert.deepEqual(await group.pids(), [child.pid]);
      await assert.rejects(group.add(0), RangeError);
      child.kill("SIGKILL");
      await child.status;
      await child.stdout.cancel();
      await child.stderr.cancel();
    },
  },
  {
    name: "the syncra-<pid> folders stay while a group is open and go with the last one",
    needs: ["hierarchy"],
    async fn(cgroups) {
      const first = await cgroups.create(uniqueName("first"), DEFAULT_BUDGET);
      const second = await cgroups.create(uniqueName("second"), DEFAULT_BUDGET);
      assert.equal(cgroups.parentPaths.length, second.procsFiles.length);
      for (const parent of cgroups.parentPaths) {
        assert.ok(parent.endsWith(`/syncra-${Deno.pid}`), parent);
        assert.ok(first.procsFiles.some((file) => file.startsWith(`${parent}/`)), parent);
      }
      await first.dispose();
      await first.dispose(); // twice is fine
      for (const parent of cgroups.parentPaths) assert.ok((await Deno.stat(parent)).isDirectory);
      await second.dispose();
      for (const parent of cgroups.parentPaths) {
        await assert.rejects(Deno.stat(parent), Deno.errors.NotFound);
      }
    },
  },
  {
    name: "a fresh group reports no OOM kills and no pids limit hits",
    needs: ["hierarchy"],
    async fn(cgroups, has) {
      await using group = await cgroups.create(uniqueName("fresh"), DEFAULT_BUDGET);
      const { oomKills } = await group.memoryEvents();
      // Without the memory controller there is nothing to count: null, never a number.
      if (has("memory")) assert.ok(oomKills === 0 || oomKills === null, `${oomKills}`);
      else assert.equal(oomKills, null);
      assert.deepEqual(await group.pidsEvents(), { limitHits: 0 });
    },
  },
  {
    name: "a script filling ArrayBuffers past its memory budget is OOM-killed",
    needs: ["hierarchy", "memory"],
    async fn(cgroups) {
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
      const lines = decoder.decode(output.stdout).trim().split("\n");
      const reached = Number(lines.at(-1));
      assert.ok(
        output.signal === "SIGKILL" || output.code === 137,
        `expected a SIGKILL, got code ${output.code}: ${decoder.decode(output.stderr)}`,
      );
      assert.ok(reached >= 64 && reached <= 200, `the script got to ${reached} MiB`);
      const { oomKills, peakBytes } = await group.memoryEvents();
      if (oomKills !== null) assert.ok(oomKills >= 1, `oom kills: ${oomKills}`);
      // Where the kernel reports a peak, it is the budget the bomb ran into.
      if (peakBytes !== null) {
        assert.ok(peakBytes >= 150e6 && peakBytes <= 200e6, `peak ${peakBytes} bytes`);
      }
    },
  },
  {
    name: "a script spawning Workers past pids.max gets an error, not the machine",
    needs: ["hierarchy", "pids"],
    async fn(cgroups) {
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
      const stdout = decoder.decode(output.stdout);
      const stderr = decoder.decode(output.stderr);
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
  },
];

/**
 * Registers the contract's cases for one implementation. Each case gets a
 * fresh manager and must leave no `syncra-<pid>` folder behind.
 */
export function runCgroupContract(options: CgroupContractOptions): void {
  const unavailable = options.unavailable ?? {};
  const skipped: string[] = [];
  for (const c of CASES) {
    const name = `${c.name} (${options.name}, ${jail.isolation})`;
    const missing = c.needs.find((need) => unavailable[need] !== undefined);
    const why = missing === undefined ? undefined : unavailable[missing];
    if (why?.missingDependency && CI) {
      Deno.test(name, () => {
        throw new Error(`SYNCRA_CI=1 requires the ${missing} of ${options.name}: ${why.reason}`);
      });
    } else if (why !== undefined) {
      skipped.push(`  - ${c.name}: needs the ${missing}, skipped: ${why.reason}`);
      Deno.test({ name: `${name} (skipped: ${why.reason})`, ignore: true, fn() {} });
    } else {
      Deno.test(name, async () => {
        const cgroups = await options.makeManager();
        await c.fn(cgroups, (need) => unavailable[need] === undefined);
        for (const parent of cgroups.parentPaths) {
          await assert.rejects(Deno.stat(parent), Deno.errors.NotFound, `${parent} left behind`);
        }
      });
    }
  }
  if (skipped.length > 0) {
    console.warn(
      `${options.name}: ${skipped.length} of ${CASES.length} contract cases cannot run on this ` +
        `machine:\n${skipped.join("\n")}`,
    );
  }
}

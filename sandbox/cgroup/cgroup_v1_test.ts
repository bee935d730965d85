/**
 * The cgroup contract on the v1 hierarchies, for real where this machine
 * mounts them. A v2 host has none (a property of the host, printed); a v1
 * host whose hierarchies are not writable lacks a dependency, which fails
 * under SYNCRA_CI=1.
 */
import assert from "node:assert/strict";
import { DEFAULT_BUDGET } from "./cgroup.ts";
import { type CgroupUnavailable, runCgroupContract } from "./cgroup_contract.ts";
import { probeCgroupV1 } from "./cgroup_v1.ts";

const ROOT = "/sys/fs/cgroup";

async function unavailable(): Promise<CgroupUnavailable | null> {
  try {
    await probeCgroupV1(ROOT);
    return null;
  } catch (error) {
    const reason = (error as Error).message;
    const v2Host = await Deno.stat(`${ROOT}/cgroup.controllers`).then(() => true, () => false);
    return v2Host
      ? { reason: `this host is cgroup v2 (${reason})`, missingDependency: false }
      : { reason, missingDependency: true };
  }
}

const hierarchy = await unavailable();
runCgroupContract({
  name: "cgroup v1",
  makeManager: () => probeCgroupV1(ROOT),
  ...(hierarchy ? { unavailable: { hierarchy } } : {}),
});

Deno.test({
  name: "cgroup v1 writes the budget into memory.limit_in_bytes and pids.max",
  ignore: hierarchy !== null,
  async fn() {
    const cgroups = await probeCgroupV1(ROOT);
    await using group = await cgroups.create(`limits-${Deno.pid}`, {
      memoryBytes: 64 * 1024 * 1024,
      maxPids: 20,
    });
    const [memoryDir, pidsDir] = group.procsFiles.map((f) => f.replace(/\/cgroup\.procs$/, ""));
    assert.equal(memoryDir, group.path);
    const limit = Number(await Deno.readTextFile(`${memoryDir}/memory.limit_in_bytes`));
    assert.equal(limit, 64 * 1024 * 1024);
    assert.equal((await Deno.readTextFile(`${pidsDir}/pids.max`)).trim(), "20");
    assert.ok(DEFAULT_BUDGET.maxPids >= 16);
  },
});

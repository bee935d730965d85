/**
 * The cgroup contract on the kernel's cgroup2 hierarchy, as much of it as
 * this machine runs for real. On a v2 host that is all of it. On a v1 host
 * the cgroup2 hierarchy still exists (mounted beside the v1 ones, or here in
 * a temp folder) but memory and pids are bound to v1, so it offers neither:
 * the folder, join, kill and events cases run for real there, and the
 * memory and pids bombs are skipped, saying so.
 */
import assert from "node:assert/strict";
import { type CgroupNeed, type CgroupUnavailable, runCgroupContract } from "./cgroup_contract.ts";
import {
  cgroupV2Controllers,
  probeCgroupV2,
  readV2MemoryEvents,
  readV2PidsEvents,
} from "./cgroup_v2.ts";
import { probeCgroups } from "./detect_cgroups.ts";

const HOST_IS_V2 = await Deno.stat("/sys/fs/cgroup/cgroup.controllers").then(
  () => true,
  () => false,
);

/** A mounted cgroup2 hierarchy: an existing mount, else one mounted in a temp folder. */
async function cgroup2Root(): Promise<{ root: string } | { root: null; reason: string }> {
  const mounts = await Deno.readTextFile("/proc/self/mounts");
  for (const line of mounts.split("\n")) {
    const [, mountPoint, type] = line.split(" ");
    if (type === "cgroup2" && mountPoint) {
      // /proc/self/mounts escapes spaces and the like as octal.
      return {
        root: mountPoint.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8))),
      };
    }
  }
  const dir = await Deno.makeTempDir({ prefix: "syncra_cgroup2_" });
  const mount = await new Deno.Command("mount", { args: ["-t", "cgroup2", "none", dir] })
    .output().catch((error) => ({
      success: false,
      stderr: new TextEncoder().encode(String(error)),
    }));
  if (!mount.success) {
    await Deno.remove(dir);
    return {
      root: null,
      reason: `no cgroup2 hierarchy is mounted and "mount -t cgroup2" failed: ${
        new TextDecoder().decode(mount.stderr).trim()
      }`,
    };
  }
  globalThis.addEventListener("unload", () => {
    new Deno.Command("umount", { args: [dir] }).outputSync();
    Deno.removeSync(dir);
  });
  return { root: dir };
}

const found = await cgroup2Root();
const unavailable: Partial<Record<CgroupNeed, CgroupUnavailable>> = {};
let offered: ("memory" | "pids")[] = [];
if (found.root === null) {
  unavailable.hierarchy = { reason: found.reason, missingDependency: HOST_IS_V2 };
} else {
  const controllers = await cgroupV2Controllers(found.root);
  offered = controllers.offered;
  for (const [controller, why] of controllers.missing) {
    unavailable[controller] = { reason: why.reason, missingDependency: !why.boundToV1 };
  }
}
const root = found.root;

runCgroupContract({
  name: `cgroup v2 at ${root ?? "(none)"}`,
  // Only the controllers offered here: on a v1 host none, and the budget cases are skipped.
  makeManager: () => probeCgroupV2(root!, { controllers: offered }),
  unavailable,
});

Deno.test({
  name: "on a v1 host, probing cgroup2 says memory and pids are bound to v1",
  ignore: root === null || HOST_IS_V2,
  async fn() {
    const probe = await probeCgroups(root!);
    if (offered.length < 2) {
      assert.equal(probe.manager, null);
      assert.match(probe.reason ?? "", /this host is cgroup v1: the "(memory|pids)" controller/);
    }
  },
});

Deno.test("v2 reads OOM kills and pids limit hits from memory.events and pids.events", async () => {
  // The files as a v2 kernel writes them (Linux 6.x), in a temp folder laid out like a group.
  const group = await Deno.makeTempDir({ prefix: "syncra_cgroup_v2_events_" });
  try {
    assert.deepEqual(
      await readV2MemoryEvents(group),
      { oomKills: null, peakBytes: null },
      "no memory controller",
    );
    assert.deepEqual(await readV2PidsEvents(group), { limitHits: 0 }, "no pids controller");
    await Deno.writeTextFile(
      `${group}/memory.events`,
      "low 0\nhigh 0\nmax 118\noom 3\noom_kill 2\noom_group_kill 0\n",
    );
    await Deno.writeTextFile(`${group}/pids.events`, "max 7\n");
    await Deno.writeTextFile(`${group}/memory.peak`, "134217728\n");
    assert.deepEqual(await readV2MemoryEvents(group), { oomKills: 2, peakBytes: 134217728 });
    assert.deepEqual(await readV2PidsEvents(group), { limitHits: 7 });
  } finally {
    await Deno.remove(group, { recursive: true });
  }
});

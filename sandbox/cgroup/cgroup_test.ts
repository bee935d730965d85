/**
 * Detection: which implementation this machine gets, or why none. The
 * implementations' behaviour is the contract, run by cgroup_v1_test.ts and
 * cgroup_v2_test.ts.
 */
import assert from "node:assert/strict";
import { detectCgroups, probeCgroups } from "./detect_cgroups.ts";

const CI = Deno.env.get("SYNCRA_CI") === "1";

Deno.test("detectCgroups says null where there is no hierarchy", async () => {
  assert.equal(await detectCgroups("/nonexistent"), null);
  const probe = await probeCgroups("/nonexistent");
  assert.match(probe.reason ?? "", /no cgroup v2/);
});

Deno.test("detection picks the implementation of the host's hierarchy", async () => {
  const v2 = await Deno.stat("/sys/fs/cgroup/cgroup.controllers").then(() => true, () => false);
  const probe = await probeCgroups();
  if (probe.manager === null) {
    if (CI) assert.fail(`SYNCRA_CI=1 requires writable cgroups: ${probe.reason}`);
    console.warn(`No cgroups on this machine: ${probe.reason}`);
    return;
  }
  assert.equal(probe.manager.version, v2 ? 2 : 1);
  assert.equal(probe.manager.parentPaths.length, v2 ? 1 : 2);
  for (const parent of probe.manager.parentPaths) {
    await assert.rejects(Deno.stat(parent), Deno.errors.NotFound, "the probe cleans up");
  }
});

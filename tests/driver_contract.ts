/**
 * The contract every driver meets (DESIGN §9), run against a real child of
 * the driver: it starts and declares its manifest, it is fed and the world
 * keeps ticking, it exits cleanly when the world stops, and it restarts after
 * SIGKILL from a fresh snapshot without the world missing a tick. Each
 * driver's tests call {@linkcode runDriverContract} with its module.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  assertNoTickLost,
  makeScriptsWithCounter,
  scriptReport,
  startLiveWorld,
} from "./_world.ts";
import type { WorldOptions } from "../runtime/app/mod.ts";

/** A driver to hold to the contract: its module and how a world enables it. */
export interface DriverUnderTest {
  name: string;
  /** Absolute path of a user driver's module (copied into a test world's `drivers/`). */
  module?: string;
  /** Its entry in syncra.json besides `file` (settings, `approve`). */
  entry?: Record<string, unknown>;
  /** World options that enable a built-in driver instead (`{ viewer: true }`). */
  world?: Partial<WorldOptions>;
  /** Folders made in the world (relative to its root) first: the jail binds a `write` folder. */
  folders?: readonly string[];
}

/** Runs the contract as steps of the calling test. */
export async function runDriverContract(t: Deno.TestContext, driver: DriverUnderTest) {
  await using folder = await makeScriptsWithCounter({});
  for (const path of driver.folders ?? []) {
    await Deno.mkdir(join(folder.root, path), { recursive: true });
  }
  if (driver.module) {
    await Deno.mkdir(join(folder.root, "drivers"));
    const base = driver.module.split("/").pop()!;
    await Deno.copyFile(driver.module, join(folder.root, "drivers", base));
    await Deno.writeTextFile(
      join(folder.root, "syncra.json"),
      JSON.stringify({ drivers: { [driver.name]: { file: `drivers/${base}`, ...driver.entry } } }),
    );
  }
  const live = startLiveWorld(folder, { watch: false, ...driver.world });
  await live.started;
  const ready = (pid?: number) => (e: (typeof live.events)[number]) =>
    e.type === "ready" && e.script === driver.name && (pid === undefined || e.pid !== pid);

  await t.step("it starts and declares its manifest", async () => {
    await live.waitFor(ready());
  });
  const first = live.events.find(ready());
  if (first?.type !== "ready") throw new Error("no ready event");

  await t.step("it restarts after SIGKILL while the world keeps ticking", async () => {
    await new Promise((r) => setTimeout(r, 200));
    Deno.kill(first.pid, "SIGKILL");
    await live.waitFor((e) => e.type === "exit" && e.script === driver.name);
    await live.waitFor(ready(first.pid), 10_000);
    await new Promise((r) => setTimeout(r, 300));
  });

  const run = await live.stop();
  await t.step("it exits cleanly when the world stops, and no tick was lost", () => {
    const report = run.report.drivers.find((d) => d.name === driver.name)!;
    assert.equal(
      report.stoppedCleanly,
      true,
      "it exited on the shutdown frame, code 0, unsignalled",
    );
    assert.ok(report.restarts >= 1, `restarts: ${report.restarts}`);
    assert.equal(report.violations, 0, report.lastError ?? "");
    assertNoTickLost(run);
    assert.equal(scriptReport(run, "counter").restarts, 0);
  });
}

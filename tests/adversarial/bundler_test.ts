import assert from "node:assert/strict";
import { join } from "node:path";
import { IN_CI, scriptReport, startLiveWorld } from "../_world.ts";
import { DEFAULT_BUNDLE_TIME_BUDGET_MS } from "../../sandbox/bundle/mod.ts";
import { type BundlerStatus, bundlerStatus, configureBundler } from "../../sandbox/bundle/mod.ts";
import type { SupervisorEvent } from "../../runtime/supervision/mod.ts";
import {
  assertKeptTicking,
  assertNoLeak,
  attackFolder,
  escape,
  fixture,
  runAttacks,
} from "./_attack.ts";

const MIB = 1024 * 1024;
const REMOVE = "remove the comment (bundles carry their own source map)";

/** Each attack: the file holding the comment, the comment's start, and the URL it names. */
const SOURCE_MAPS: Record<string, { file: string; at: string; url: (root: string) => string }> = {
  source_map_leak: {
    file: "source_map_leak.ts",
    at: "//# sourceMappingURL",
    url: (root) => `${root}/private.map`,
  },
  source_map_relative: {
    file: "source_map_relative.ts",
    at: "//@ sourceMappingURL",
    url: () => "../private.map",
  },
  source_map_block_comment: {
    file: "source_map_block_comment.ts",
    at: "/*# sourceMappingURL",
    url: (root) => `file://${root}/private.map`,
  },
  source_map_in_import: {
    file: "_map_carrier.mts",
    at: "//# sourceMappingURL",
    url: () => "../private.map",
  },
  source_map_dev_zero: { file: "source_map_dev_zero.ts", at: "//#", url: () => "/dev/zero" },
  source_map_data_url: {
    file: "source_map_data_url.ts",
    at: "//#",
    url: () =>
      "data:application/json;base64,eyJ2ZXJzaW9uIjozLCJzb3VyY2VzIjpbIlNPVVJDRSJdLCJtYXBwaW5n",
  },
};

/** `line:column` (from 1) of `needle` in a fixture. */
async function locate(name: string, needle: string): Promise<string> {
  const lines = (await fixture(name)).split("\n");
  const line = lines.findIndex((l) => l.startsWith(needle));
  assert.ok(line >= 0, `"${needle}" is in ${name}`);
  return `${line + 1}:1`;
}

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...await filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** The bundler's status when an event first matches, taken while the world still runs. */
function statusWhen(match: (e: SupervisorEvent) => boolean) {
  const started = performance.now();
  let seen: Promise<BundlerStatus & { afterMs: number }> | null = null;
  return {
    onEvent(e: SupervisorEvent) {
      if (seen === null && match(e)) {
        const afterMs = performance.now() - started;
        seen = bundlerStatus().then((s) => ({ ...s, afterMs }));
      }
    },
    get status() {
      assert.ok(seen !== null, "the event arrived");
      return seen;
    },
  };
}

/** The memory budget held: exactly under a cgroup, within one sampling period's growth otherwise. */
function assertInsideMemoryBudget(status: BundlerStatus): void {
  if (IN_CI) assert.equal(status.memoryEnforcement, "cgroup", status.description);
  const peak = status.peakMemoryBytes;
  assert.ok(peak !== null && peak > 0, "esbuild's peak memory was measured");
  // The kernel's max_usage may pass the limit by a page or so before it reclaims or kills.
  const allowed = status.memoryEnforcement === "cgroup"
    ? status.memoryBytes + 64 * 1024
    : status.memoryBytes * 1.5;
  assert.ok(peak <= allowed, `esbuild peaked at ${peak} bytes, budget ${status.memoryBytes}`);
}

Deno.test("source map comments that would make esbuild read a private map, /dev/zero or a data: URL are refused with file:line before anything runs", async () => {
  configureBundler({ jail: IN_CI ? "on" : "auto" });
  await using folder = await attackFolder(Object.keys(SOURCE_MAPS), {
    extra: { "_map_carrier.mts": await fixture("_map_carrier.mts") },
  });
  const { root, secret } = folder;
  // The private map names the secret as its source and holds it as the source's text.
  const map = {
    version: 3,
    sources: [secret.token],
    sourcesContent: [secret.token],
    mappings: "AAAA",
  };
  await Deno.writeTextFile(join(root, "private.map"), JSON.stringify(map));

  const ticks = 5;
  const probe = statusWhen((e) => e.type === "refused" && e.script === "source_map_dev_zero");
  const run = await runAttacks(folder, ticks, { onEvent: probe.onEvent });
  for (const [name, { file, at, url }] of Object.entries(SOURCE_MAPS)) {
    const s = scriptReport(run, name);
    const where = `scripts/${escape(file)}:${await locate(file, at)}`;
    assert.equal(s.state, "refused", `${name}: ${s.lastError}`);
    assert.match(
      s.lastError ?? "",
      new RegExp(
        `^Cannot use a source map comment in \\S*${where}: esbuild would load the map it names, ` +
          `"${escape(url(root))}[^"]*", outside the confined resolver; ${escape(REMOVE)}$`,
      ),
      name,
    );
    assert.equal(s.isolation, null, `${name} never started a process`);
  }
  // Refused before esbuild saw the comment: nothing was read, esbuild never died.
  const status = await probe.status;
  assert.ok(status.afterMs < DEFAULT_BUNDLE_TIME_BUDGET_MS, `refused after ${status.afterMs} ms`);
  assert.equal(status.restarts, 0);
  if (IN_CI) assert.equal(status.isolation, "jail", status.description);
  assertInsideMemoryBudget(status);
  console.log(
    `/dev/zero map refused ${status.afterMs.toFixed(0)} ms into the run; esbuild peak ` +
      `${((status.peakMemoryBytes ?? 0) / MIB).toFixed(1)} MiB (${status.memoryEnforcement})`,
  );
  // The secret is in no bundle, event, report or dump.
  for (const path of await filesUnder(join(root, ".syncra", "bundles"))) {
    assert.ok(!(await Deno.readTextFile(path)).includes(secret.token), `the secret is in ${path}`);
  }
  assertNoLeak(run, [secret.token]);
  assertKeptTicking(run, ticks);
});

const LATE = `import { defineSystem } from "@syncra/std";
export default defineSystem({ run(ctx) { ctx.log(\`late ran tick \${ctx.tick}\`); } });
`;

Deno.test("a script that kills esbuild is refused inside the bundler's time and memory budgets, and a script added after it bundles and ticks", async () => {
  configureBundler({ jail: IN_CI ? "on" : "auto" });
  const nesting = "[".repeat(1_000_000) + "]".repeat(1_000_000);
  await using folder = await attackFolder(["bundler_nesting_bomb"], {
    replace: { "__NESTING__": nesting },
  });
  const started = performance.now();
  const world = startLiveWorld(folder);
  let run;
  let status: BundlerStatus & { afterMs: number };
  try {
    await world.waitFor((e) => e.type === "refused" && e.script === "bundler_nesting_bomb", 20_000);
    // While the world runs, so the group that measured the bomb is still there.
    status = { ...await bundlerStatus(), afterMs: performance.now() - started };
    await world.waitFor((e) => e.type === "ready" && e.script === "counter", 20_000);
    // Give the world time to start watching the folder.
    await new Promise((r) => setTimeout(r, 500));
    await folder.write("late.ts", LATE);
    await world.waitFor((e) => e.type === "ready" && e.script === "late", 10_000);
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    run = await world.stop();
  }
  const bomb = scriptReport(run, "bundler_nesting_bomb");
  assert.equal(bomb.state, "refused");
  assert.match(
    bomb.lastError ?? "",
    /^Cannot bundle "\S*scripts\/bundler_nesting_bomb\.ts": (esbuild ran past its memory budget of \d+ MiB and was killed|the esbuild service died while bundling it[^;]*); the bundler restarted it for the other scripts$/,
  );
  if (IN_CI || status.memoryEnforcement === "cgroup") {
    assert.match(bomb.lastError ?? "", /memory budget of 512 MiB/);
  }
  assert.ok(status.afterMs < DEFAULT_BUNDLE_TIME_BUDGET_MS, `refused after ${status.afterMs} ms`);
  assert.equal(status.restarts, 1);
  assertInsideMemoryBudget(status);
  console.log(
    `nesting bomb refused ${status.afterMs.toFixed(0)} ms into the run; esbuild peak ` +
      `${((status.peakMemoryBytes ?? 0) / MIB).toFixed(0)} MiB (${status.memoryEnforcement})`,
  );
  // The script added after the restart bundled, started and ticked.
  const late = scriptReport(run, "late");
  assert.equal(late.state, "running", late.lastError ?? "");
  const ran = run.events.filter((e) => e.type === "log" && e.script === "late");
  assert.ok(ran.length > 0, "late ran ticks");
  assertKeptTicking(run, run.report.ticks);
});

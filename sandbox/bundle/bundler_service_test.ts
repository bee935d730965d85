/**
 * The esbuild service: its jail, its memory budget and its restarts, with
 * the real esbuild binary. Without bubblewrap or cgroups the tests that need
 * them are skipped, unless SYNCRA_CI=1 makes them fail.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { bundleScript, stopBundler } from "./bundle.ts";
import { refusal } from "./_bundle_test_helpers.ts";
import { isRunning } from "./_process_tree.ts";
import {
  bundlerStatus,
  configureBundler,
  DEFAULT_BUNDLER_MEMORY_BYTES,
  runBuild,
} from "./bundler_service.ts";

const CI = Deno.env.get("SYNCRA_CI") === "1";
const MIB = 1024 * 1024;
const IDLE =
  `import { defineSystem } from "@syncra/std";\nexport default defineSystem({ run() {} });\n`;
/** 1 000 000 nested arrays: esbuild's recursive parser grows its stack until killed. */
const BOMB = `export const a = ${"[".repeat(1_000_000)}${"]".repeat(1_000_000)};\n`;

interface Folder extends AsyncDisposable {
  root: string;
  scripts: string;
  bundle(name: string): ReturnType<typeof bundleScript>;
}

async function folder(files: Record<string, string>): Promise<Folder> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "syncra_service_" }));
  const scripts = join(root, "scripts");
  await Deno.mkdir(scripts);
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(join(scripts, name), text);
  }
  return {
    root,
    scripts,
    bundle: (name) =>
      bundleScript(join(scripts, name), { scriptsDir: scripts, outDir: join(root, "out") }),
    [Symbol.asyncDispose]: async () => {
      await stopBundler();
      configureBundler({ memoryBytes: DEFAULT_BUNDLER_MEMORY_BYTES, jail: "auto", cgroups: true });
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** Whether the machine jails esbuild in a group; in CI it must. */
async function confined(what: string): Promise<boolean> {
  const status = await bundlerStatus();
  const ok = status.isolation === "jail" && status.memoryEnforcement === "cgroup";
  if (!ok && CI) throw new Error(`SYNCRA_CI=1 requires ${what}: ${status.description}`);
  if (!ok) console.warn(`skipped: ${status.description}`);
  return ok;
}

Deno.test("esbuild runs in a jail where no host file exists, not even one it is asked for by path", async () => {
  await using f = await folder({ "main.ts": IDLE });
  await Deno.writeTextFile(join(f.root, "secret.ts"), `export const secret = "SECRET";\n`);
  await f.bundle("main.ts");
  if (!await confined("the esbuild jail")) return;
  const attempt = runBuild({ file: "secret.ts", timeMs: 5000 }, (api) =>
    api.build({
      entryPoints: [join(f.root, "secret.ts")],
      bundle: true,
      write: false,
      logLevel: "silent",
    }));
  await assert.rejects(attempt, /Could not resolve ".*secret\.ts"/);
  const status = await bundlerStatus();
  assert.match(status.description, /^esbuild in a bubblewrap jail holding only its static binary/);
  assert.equal(status.restarts, 0);
});

Deno.test("a build that kills esbuild is refused alone, inside its memory budget, and the next build gets a new service", async () => {
  await using f = await folder({ "bomb.ts": BOMB, "main.ts": IDLE });
  await using other = await folder({ "other.ts": IDLE });
  configureBundler({ memoryBytes: 256 * MIB });
  await f.bundle("main.ts");
  await other.bundle("other.ts");
  const start = performance.now();
  const error = await refusal(f.bundle("bomb.ts"));
  const took = performance.now() - start;
  const bomb = relative(Deno.cwd(), join(f.scripts, "bomb.ts"));
  const status = await bundlerStatus();
  assert.match(
    error.message,
    new RegExp(
      `^Cannot bundle "${bomb}": (esbuild ran past its memory budget of 256 MiB and was killed|` +
        `the esbuild service died while bundling it[^;]*); the bundler restarted it for the other scripts$`,
    ),
  );
  assert.equal(error.location, bomb);
  assert.equal(status.restarts, 1);
  assert.ok(took < 10_000, `refused after ${took.toFixed(0)} ms`);
  console.log(
    `bomb refused after ${took.toFixed(0)} ms; esbuild peak ${
      ((status.peakMemoryBytes ?? 0) / MIB).toFixed(0)
    } MiB (${status.memoryEnforcement})`,
  );
  if (await confined("a control group for esbuild")) {
    assert.match(error.message, /memory budget of 256 MiB/);
    assert.ok(status.peakMemoryBytes !== null && status.peakMemoryBytes <= 256 * MIB);
  }
  // Both folders' contexts died with the service; both bundle again.
  assert.ok((await f.bundle("main.ts")).bytes > 0);
  assert.ok((await other.bundle("other.ts")).bytes > 0);
  assert.equal((await bundlerStatus()).restarts, 1);
});

Deno.test("without a control group esbuild's memory is sampled and a runaway killed past its budget", async () => {
  await using f = await folder({ "bomb.ts": BOMB, "main.ts": IDLE });
  configureBundler({ memoryBytes: 128 * MIB, cgroups: false });
  await f.bundle("main.ts");
  assert.equal((await bundlerStatus()).memoryEnforcement, "sampled");
  const start = performance.now();
  const error = await refusal(f.bundle("bomb.ts"));
  const took = performance.now() - start;
  const status = await bundlerStatus();
  assert.match(error.message, /esbuild ran past its memory budget of 128 MiB and was killed/);
  const peak = status.peakMemoryBytes ?? 0;
  console.log(`sampled: refused after ${took.toFixed(0)} ms; peak ${(peak / MIB).toFixed(0)} MiB`);
  // Sampled every 20 ms: the overshoot is what esbuild allocates in one period.
  assert.ok(peak > 0 && peak < 128 * MIB * 1.5, `peak ${peak} bytes`);
  assert.ok((await f.bundle("main.ts")).bytes > 0);
});

Deno.test("a service killed from outside between builds is replaced without refusing the next build", async () => {
  await using f = await folder({ "main.ts": IDLE });
  await f.bundle("main.ts");
  const { pid } = await bundlerStatus();
  assert.ok(pid !== null);
  Deno.kill(pid, "SIGKILL");
  // Between builds: the kill has landed (a signal is delivered when the process next runs).
  for (let i = 0; i < 200 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 10));
  await Deno.writeTextFile(join(f.scripts, "main.ts"), `${IDLE}// edited\n`);
  assert.ok((await f.bundle("main.ts")).bytes > 0);
  const status = await bundlerStatus();
  assert.equal(status.restarts, 1);
  assert.notEqual(status.pid, pid);
});

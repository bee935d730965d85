/**
 * The OpenXR driver (drivers/openxr/) and FFI mediation, through real
 * children: Debian's OpenXR loader bound with Deno's FFI, its API layers, the
 * path of a machine with no runtime, and a full pose round trip through a
 * small OpenXR runtime built here from C (tests/fixtures/openxr_runtime/) and
 * selected with XR_RUNTIME_JSON from the owner's `env` approval — a real
 * loader, real FFI, the real loader-runtime ABI, a jailed driver in a world.
 * Without the loader, gcc, the OpenXR headers or bubblewrap these tests skip,
 * unless SYNCRA_CI=1: then they fail.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Layouts } from "../drivers/openxr/openxr_layouts.ts";
import { parseDrivers } from "../runtime/policy/mod.ts";
import {
  assertNoTickLost,
  IN_CI,
  makeScripts,
  makeScriptsWithCounter,
  runTestWorld,
  startLiveWorld,
  type TestFolder,
} from "./_world.ts";
import { cli } from "./_cli.ts";
import { runDriverContract } from "./driver_contract.ts";

const LOADER = `/usr/lib/${Deno.build.arch}-linux-gnu/libopenxr_loader.so.1`;
const LAYER_MANIFESTS = "/usr/share/openxr/1/api_layers/explicit.d";
const HEADERS = "/usr/include/openxr/openxr.h";
const DRIVER = new URL("../drivers/openxr/openxr.ts", import.meta.url).pathname;
const RUNTIME_SOURCE = new URL("./fixtures/openxr_runtime/test_runtime.c", import.meta.url)
  .pathname;
const TRACK_FRAMES = new URL("./fixtures/openxr_runtime/track_frames.ts", import.meta.url).pathname;
const ESCAPE = new URL("./fixtures/drivers/openxr_escape.ts", import.meta.url).pathname;
const CORE_VALIDATION = "XR_APILAYER_LUNARG_core_validation";

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function onPath(program: string): boolean {
  return (Deno.env.get("PATH") ?? "").split(":").some((dir) => exists(join(dir, program)));
}

/** Skips a test when something it needs is missing, except in CI, where it must fail. */
const missing = (...needs: boolean[]) => !IN_CI && needs.some((has) => !has);
const HAS_LOADER = exists(LOADER) && exists(LAYER_MANIFESTS);
const HAS_GCC = onPath("gcc") && exists(HEADERS);
const HAS_BWRAP = onPath("bwrap");

async function run(program: string, args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(program, {
    args,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  if (!output.success) {
    throw new Error(`${program} ${args.join(" ")} failed (${output.code}): ${text(output.stderr)}`);
  }
  return text(output.stdout);
}

/** The C test runtime, built into a temporary folder with its manifest. */
interface TestRuntime extends AsyncDisposable {
  dir: string;
  manifest: string;
  library: string;
}

async function buildTestRuntime(): Promise<TestRuntime> {
  const dir = await Deno.makeTempDir({ prefix: "syncra-openxr-" });
  const library = join(dir, "libsyncra_test_runtime.so");
  await run("gcc", [
    ...["-shared", "-fPIC", "-fvisibility=hidden", "-O2", "-Wall", "-Wextra", "-Werror"],
    ...["-o", library, RUNTIME_SOURCE, "-lm"],
  ], { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" });
  const manifest = join(dir, "test_runtime.json");
  await Deno.writeTextFile(
    manifest,
    JSON.stringify({
      file_format_version: "1.0.0",
      runtime: { name: "Syncra test runtime", library_path: "./libsyncra_test_runtime.so" },
    }),
  );
  return {
    dir,
    manifest,
    library,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Logs the Player's head x and tracked bits every tick, for the round trip. */
const POSE_WATCH = `
import { defineSystem, Player } from "@syncra/std";
export default defineSystem({
  reads: [Player],
  run(ctx) {
    const p = ctx.read(Player);
    for (let i = 0; i < ctx.count; i++) {
      console.log("pose " + ctx.tick + " " + p.headPosition[i * 3] + " " + p.tracked[i]);
    }
  },
});
`;

/** A world whose syncra.json enables the OpenXR driver with these approvals and settings. */
async function openxrWorld(
  entry: Record<string, unknown>,
  scripts: Record<string, string> = {},
): Promise<TestFolder> {
  const folder = await makeScriptsWithCounter(scripts);
  await Deno.writeTextFile(
    join(folder.root, "syncra.json"),
    JSON.stringify({ drivers: { openxr: { file: DRIVER, ...entry } } }),
  );
  return folder;
}

const APPROVE_LOADER = { ffi: [LOADER], read: ["/usr/share/openxr", "/etc/xdg/openxr"] };

const logsOf = (events: { type: string }[], name: string) =>
  events.filter((e) => e.type === "log" && (e as { script?: string }).script === name)
    .map((e) => (e as unknown as { text: string }).text);

Deno.test({
  name: "the OpenXR structures the driver packs by hand have openxr.h's sizes and offsets",
  ignore: missing(HAS_GCC),
  async fn() {
    await using dir = await (async () => {
      const path = await Deno.makeTempDir({ prefix: "syncra-openxr-layout-" });
      return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
    })();
    const lines = ["#include <stdio.h>", "#include <stddef.h>", "#include <openxr/openxr.h>"];
    lines.push("int main(void) {");
    const expected: string[] = [];
    for (const [name, layout] of Object.entries(Layouts)) {
      lines.push(`  printf("${name} size %zu\\n", sizeof(${name}));`);
      expected.push(`${name} size ${layout.size}`);
      for (const [field, offset] of Object.entries(layout.fields)) {
        lines.push(`  printf("${name} ${field} %zu\\n", offsetof(${name}, ${field}));`);
        expected.push(`${name} ${field} ${offset}`);
      }
    }
    lines.push("  return 0;", "}");
    await Deno.writeTextFile(join(dir.path, "layouts.c"), lines.join("\n"));
    const binary = join(dir.path, "layouts");
    await run("gcc", ["-o", binary, join(dir.path, "layouts.c")], {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    });
    assert.deepEqual((await run(binary, [])).trim().split("\n"), expected);
  },
});

Deno.test({
  name:
    "the tracker drives the C test runtime through the real loader: headless, poses per frame, every handle destroyed",
  ignore: missing(HAS_LOADER, HAS_GCC),
  async fn() {
    await using runtime = await buildTestRuntime();
    const trace = join(runtime.dir, "trace.txt");
    const frames = 300;
    // Only the loader is allowed: the runtime is loaded by the loader's own dlopen.
    const out = await run(Deno.execPath(), [
      "run",
      "--no-prompt",
      `--allow-ffi=${LOADER}`,
      TRACK_FRAMES,
      LOADER,
      String(frames),
      CORE_VALIDATION,
    ], {
      XR_RUNTIME_JSON: runtime.manifest,
      TEST_RUNTIME_TRACE: trace,
      TEST_RUNTIME_PACE: "0",
      NO_COLOR: "1",
    });
    const result = JSON.parse(out);
    assert.equal(result.runtime, "Syncra test runtime 0.1.0");
    assert.equal(result.headless, true);
    assert.ok(result.layers.includes(CORE_VALIDATION), result.layers.join(", "));
    assert.equal(result.frames, frames);
    // The scripted poses, frame 1 and frame N (through the validation layer, unpaced).
    assert.ok(Math.abs(result.first.head.position[0] - 0.01) < 1e-6, JSON.stringify(result.first));
    assert.ok(Math.abs(result.last.head.position[0] - 0.01 * frames) < 1e-4);
    assert.deepEqual(result.first.left.position.map((v: number) => Math.round(v * 100) / 100), [
      -0.2,
      1.2,
      -0.3,
    ]);
    assert.ok(Math.abs(result.first.right.rotation[1] - Math.SQRT1_2) < 1e-6);
    assert.deepEqual((await Deno.readTextFile(trace)).trim().split("\n"), [
      "xrNegotiateLoaderRuntimeInterface",
      "xrCreateInstance syncra headless",
      "xrCreateSession",
      "xrBeginSession",
      "xrEndSession",
      "xrDestroySession",
      `xrDestroyInstance after ${frames} frames`,
    ]);
    console.log(
      `  ${frames} frames in ${result.frameMs.toFixed(1)} ms: ` +
        `${(result.frameMs * 1000 / frames).toFixed(0)} µs per frame (validation layer on)`,
    );
  },
});

Deno.test({
  name:
    "with no OpenXR runtime the driver loads the loader in its jail, lists the API layers, says so once and stays down; the world runs on",
  ignore: missing(HAS_LOADER, HAS_BWRAP),
  async fn() {
    await using folder = await openxrWorld({ approve: APPROVE_LOADER });
    const run = await runTestWorld(folder, { ticks: 40, hz: 60 });
    const driver = run.report.drivers.find((d) => d.name === "openxr")!;
    assert.equal(driver.state, "unavailable", driver.lastError ?? "");
    assert.equal(driver.restarts, 0);
    assert.match(
      driver.lastError ?? "",
      /no OpenXR runtime: \S+ returned XR_ERROR_RUNTIME_UNAVAILABLE \(-51\)/,
    );
    assert.equal(driver.isolation, "jail");
    assert.ok(driver.command.includes(`--allow-ffi=${LOADER}`), driver.command.join(" "));
    const said = run.events.filter((e) => e.type === "warning" && e.script === "openxr");
    assert.equal(said.length, 1, JSON.stringify(said));
    assert.match(
      logsOf(run.events, "openxr").join("\n"),
      new RegExp(`API layers: .*${CORE_VALIDATION}`),
    );
    assertNoTickLost(run);
  },
});

Deno.test({
  name:
    "the Player's poses in the world are the test runtime's, frame by frame, through a jailed driver",
  ignore: missing(HAS_LOADER, HAS_GCC, HAS_BWRAP),
  async fn() {
    await using runtime = await buildTestRuntime();
    await using folder = await openxrWorld({
      approve: {
        ...APPROVE_LOADER,
        env: { XR_RUNTIME_JSON: runtime.manifest },
        mount: [runtime.dir],
      },
      playerId: 3,
    }, { "pose_watch.ts": POSE_WATCH });
    const live = startLiveWorld(folder, { watch: false, hz: 60 });
    await live.started;
    const poses = () =>
      logsOf(live.events, "pose_watch").map((t) => t.split(" ").map(Number)).filter((p) =>
        p[3] === 7
      );
    try {
      await live.waitFor(() => poses().length >= 30, 15_000);
    } finally {
      const run = await live.stop();
      if (poses().length < 30) {
        assert.fail(
          `no poses: ${JSON.stringify(run.report.drivers)} ${logsOf(run.events, "openxr")}`,
        );
      }
    }
    const run = await live.stop();
    const driver = run.report.drivers.find((d) => d.name === "openxr")!;
    assert.equal(driver.restarts, 0, driver.lastError ?? "");
    assert.deepEqual(driver.exits, {}, "it never crashed");
    assert.equal(driver.stoppedCleanly, true, "every handle destroyed, then exit 0");
    assert.match(
      logsOf(run.events, "openxr").join("\n"),
      /runtime Syncra test runtime 0\.1\.0 \(headless\)/,
    );

    // Each tick's head x is 0.01 × a frame number, and it grows: the runtime's frames reach the world.
    const xs = poses().map((p) => p[2]!);
    for (const x of xs) assert.ok(Math.abs(x * 100 - Math.round(x * 100)) < 1e-3, `x = ${x}`);
    const frames = xs.map((x) => Math.round(x * 100));
    assert.ok(frames.every((f, i) => i === 0 || f >= frames[i - 1]!), frames.join(" "));
    assert.ok(
      frames.at(-1)! - frames[0]! >= 20,
      `moved from frame ${frames[0]} to ${frames.at(-1)}`,
    );
    const seconds = (frames.length - 1) / 60;
    console.log(
      `  head moved ${frames.at(-1)! - frames[0]!} frames over ${frames.length} ticks (${
        seconds.toFixed(2)
      } s at 60 Hz): ` +
        `${((frames.at(-1)! - frames[0]!) / seconds).toFixed(0)} poses/s reached the world`,
    );

    // The last state: every field as the runtime scripted it.
    const player = run.dump.entities.find((e) => e.components.Player)!.components.Player!;
    const k = Math.round((player.headPosition as number[])[0]! * 100);
    const near = (a: unknown, b: number[]) =>
      assert.ok((a as number[]).every((v, i) => Math.abs(v - b[i]!) < 1e-5), `${a} vs ${b}`);
    assert.equal(player.id, 3);
    assert.equal(player.tracked, 7);
    near(player.headPosition, [0.01 * k, 1.6, 0]);
    near(player.headRotation, [0, Math.sin(0.005 * k), 0, Math.cos(0.005 * k)]);
    near(player.leftPosition, [-0.2, 1.2, -0.3]);
    near(player.leftRotation, [0, 0, 0, 1]);
    near(player.rightPosition, [0.2, 1.2, -0.3]);
    near(player.rightRotation, [0, Math.SQRT1_2, 0, Math.SQRT1_2]);
    const wrapped = run.report.drivers.find((d) => d.name === "openxr")!.command;
    assert.ok(!wrapped.some((a) => a.startsWith("--allow-env")), wrapped.join(" "));
  },
});

Deno.test({
  name:
    "a driver approved for the loader cannot dlopen another library nor the runtime, and libc reached through the loader finds no host file in its jail",
  ignore: missing(HAS_LOADER, HAS_GCC, HAS_BWRAP),
  async fn() {
    await using runtime = await buildTestRuntime();
    await using folder = await makeScripts({});
    await Deno.writeTextFile(
      join(folder.root, "syncra.json"),
      JSON.stringify({
        drivers: {
          escape: {
            file: ESCAPE,
            approve: { ffi: [LOADER], mount: [runtime.dir] },
            runtimeLibrary: runtime.library,
            hostFile: join(folder.root, "syncra.json"),
          },
        },
      }),
    );
    const live = startLiveWorld(folder, { watch: false });
    await live.started;
    await live.waitFor((e) =>
      e.type === "log" && e.script === "escape" && /syncra\.json$/.test(e.text)
    );
    const run = await live.stop();
    assert.deepEqual(logsOf(run.events, "escape"), [
      "loader: loaded",
      "libc: NotCapable",
      "runtime: NotCapable",
      // --allow-ffi names a file, not the code reachable from it: libc's open() is one dlsym away.
      // What holds is the jail, which has neither file.
      "libc open through the loader: absent /etc/passwd",
      `libc open through the loader: absent ${join(folder.root, "syncra.json")}`,
    ]);
  },
});

Deno.test("a script that asks for ffi is refused with the reason, and gets no flag", async () => {
  await using folder = await makeScriptsWithCounter({
    "native_script.ts": `
      import { defineSystem } from "@syncra/std";
      const manifest = { ffi: ["${LOADER}"], run() {} };
      export default defineSystem(manifest);`,
  });
  const run = await runTestWorld(folder, { ticks: 5 });
  const script = run.report.scripts.find((s) => s.file.endsWith("native_script.ts"))!;
  assert.equal(script.state, "refused");
  assert.match(
    script.lastError ?? "",
    /asks for "ffi", which no script may have: ffi, gpu, serve, read and write are for drivers/,
  );
  assert.ok(!script.command.some((a) => a.startsWith("--allow-ffi")), script.command.join(" "));
  assertNoTickLost(run);
});

Deno.test("an owner cannot approve ffi for a script: the world refuses the configuration", async () => {
  await using folder = await makeScriptsWithCounter({});
  await Deno.writeTextFile(
    join(folder.root, "syncra.json"),
    JSON.stringify({ capabilities: { "counter.ts": { ffi: [LOADER] } } }),
  );
  await assert.rejects(
    () => runTestWorld(folder, { ticks: 1 }),
    /"capabilities"\."counter\.ts" approves ffi, which no script may be given/,
  );
});

Deno.test("ffi is given only inside the OS jail: with --jail off the driver is refused", async () => {
  await using folder = await openxrWorld({ approve: APPROVE_LOADER });
  const run = await runTestWorld(folder, { ticks: 5, jail: "off" });
  const driver = run.report.drivers.find((d) => d.name === "openxr")!;
  assert.equal(driver.state, "refused");
  assert.match(
    driver.lastError ?? "",
    /ffi \[".*libopenxr_loader\.so\.1"\]: a native library runs with the process's rights, so ffi is given only inside the OS jail, and this world runs flags-only/,
  );
  assertNoTickLost(run);
});

Deno.test("the owner's env approval refuses names that steer Deno, the dynamic loader or glibc", () => {
  const parse = (env: unknown, mount: unknown = []) =>
    parseDrivers({ x: { file: "x.ts", approve: { ffi: [LOADER], env, mount } } }, (why) => {
      throw new Error(why);
    });
  assert.deepEqual(parse({ XR_RUNTIME_JSON: "/opt/xr/rt.json" })[0]!.approve.env, {
    XR_RUNTIME_JSON: "/opt/xr/rt.json",
  });
  for (
    const name of ["LD_PRELOAD", "DENO_PERMISSION_BROKER_PATH", "GCONV_PATH", "PATH", "HTTPS_PROXY"]
  ) {
    assert.throws(
      () => parse({ [name]: "/x" }),
      new RegExp(`Cannot approve environment variable "${name}"`),
    );
  }
  assert.throws(() => parse({ "bad name": "x" }), /Invalid environment variable name "bad name"/);
  assert.throws(() => parse({ XR_A: 1 }), /Invalid value for environment variable "XR_A"/);
  assert.throws(
    () => parse({}, ["relative/dir"]),
    /approve\.mount must list normalized absolute paths/,
  );
});

Deno.test({
  name:
    "deno task world --openxr-runtime FILE runs the built-in OpenXR driver on that runtime; --openxr without one says so and runs on",
  ignore: missing(HAS_LOADER, HAS_GCC, HAS_BWRAP),
  async fn() {
    await using runtime = await buildTestRuntime();
    await using folder = await makeScriptsWithCounter({});
    const dump = join(folder.root, "dump.json");
    const tracked = await cli(
      [
        "world",
        "--no-viewer",
        "--ticks",
        "90",
        "--hz",
        "60",
        "--dump",
        dump,
        "--openxr-runtime",
        runtime.manifest,
      ],
      folder.root,
    );
    assert.equal(tracked.code, 0, tracked.stderr);
    assert.match(
      tracked.stderr,
      /driver openxr \(.*drivers\/openxr\/openxr\.ts\): running, isolation jail/,
    );
    const player = JSON.parse(await Deno.readTextFile(dump)).entities
      .find((e: { components: Record<string, unknown> }) => e.components.Player)?.components.Player;
    assert.ok(player, tracked.stderr);
    assert.equal(player.tracked, 7);
    assert.ok(player.headPosition[0] > 0 && Math.abs(player.headPosition[1] - 1.6) < 1e-5);

    // This machine has no runtime of its own: the driver says so once and the world runs on.
    const alone = await cli(["world", "--no-viewer", "--ticks", "30", "--openxr"], folder.root);
    assert.equal(alone.code, 0, alone.stderr);
    assert.equal(alone.stderr.match(/no OpenXR runtime/g)?.length, 1, alone.stderr);
  },
});

Deno.test({
  name: "the OpenXR driver, tracking through the test runtime, meets the driver contract",
  ignore: missing(HAS_LOADER, HAS_GCC, HAS_BWRAP),
  async fn(t) {
    await using runtime = await buildTestRuntime();
    await runDriverContract(t, {
      name: "openxr",
      world: { openxr: { runtime: runtime.manifest } },
    });
  },
});

import assert from "node:assert/strict";
import { join } from "node:path";
import { IN_CI } from "../_world.ts";
import { detectJail } from "../../sandbox/jail/mod.ts";
import {
  assertConfined,
  assertDenied,
  assertKeptTicking,
  assertNoLeak,
  attackFolder,
  escape,
  exitsOf,
  notCapable,
  orNoProcess,
  probes,
  runAttacks,
  withEnv,
} from "./_attack.ts";

const JAILED = (await detectJail()).isolation === "jail";

const FILE_ATTACKS = [
  "read_file_api",
  "write_file_api",
  "list_dir_api",
  "env_read",
  "proc_environ",
  "node_fs_via_process",
  "runtime_import_bypass",
];

Deno.test("scripts can neither read, write nor list files, nor read the environment, by any API; the world keeps ticking", async () => {
  await using folder = await attackFolder(FILE_ATTACKS);
  const { root, secret } = folder;
  using _env = withEnv("SYNCRA_TEST_SECRET", secret.token);
  const ticks = 8;
  const run = await runAttacks(folder, ticks, { deadlineMs: 2000 });
  const at = (name: string) => join(root, name);
  const read = (path: string) => notCapable("read", path);
  const write = (path: string) => notCapable("write", path);

  assertDenied(run, "read_file_api", {
    readTextFile: read(at("secret.txt")),
    readFileSync: read(at("secret.json")),
    open: read(at("secret.txt")),
    stat: read(at("secret.txt")),
    realPath: read(at("secret.txt")),
    etcPasswd: read("/etc/passwd"),
    fetchFile: read(at("secret.txt")),
  });
  assertDenied(run, "write_file_api", {
    writeTextFile: write(at("pwned.txt")),
    create: read(at("pwned.txt")),
    mkdir: write(at("pwned")),
    remove: write(at("secret.txt")),
    rename: read(at("secret.txt")),
    truncate: write(at("secret.txt")),
    chmod: write(at("secret.txt")),
    symlink: /^NotCapable: Deno\.symlink\(\) requires unscoped --allow-read and --allow-write/,
    writeTmp: write("/tmp/pwned.txt"),
    makeTempFile: /^NotCapable: Requires write access to <TMP>/,
  });
  assertDenied(run, "list_dir_api", {
    root: read("/"),
    world: read(root),
    scripts: read(at("scripts")),
    cwd: read("."),
    proc: read("/proc"),
    watchFs: read(root),
  });
  assertDenied(run, "env_read", {
    get: notCapable("env", "SYNCRA_TEST_SECRET"),
    toObject: notCapable("env"),
    has: notCapable("env", "HOME"),
    set: notCapable("env", "DENO_PERMISSION_BROKER_PATH"),
    processEnv: orNoProcess(notCapable("env", "SYNCRA_TEST_SECRET")),
    processEnvKeys: orNoProcess(notCapable("env")),
  });
  assertDenied(run, "proc_environ", {
    selfEnviron: read("/proc/self/environ"),
    parentEnviron: /^NotCapable: Requires read access to "\/proc\/\d+\/environ"/,
    initEnviron: read("/proc/1/environ"),
    selfCmdline: read("/proc/self/cmdline"),
    mountinfo: read("/proc/self/mountinfo"),
    fetchEnviron: read("/proc/self/environ"),
  });
  // process.getBuiltinModule reaches node:fs without an import: the flags still hold.
  assertDenied(run, "node_fs_via_process", {
    readFileSync: orNoProcess(read(at("secret.txt"))),
    readdirSync: orNoProcess(read(root)),
    writeFileSync: orNoProcess(write(at("pwned.txt"))),
    require: orNoProcess(read(at("secret.json"))),
    execSync: orNoProcess(notCapable("env")),
  });
  // Imports built at run time (node:vm, see holes_test.ts) get past the bundler;
  // Deno checks run-time imports against the flags, and the jail has no such files.
  const importDenied = (path: string) =>
    orNoProcess(new RegExp(`^TypeError: Requires read access to "${escape(path)}"`));
  assertDenied(run, "runtime_import_bypass", {
    json: importDenied(at("secret.json")),
    text: importDenied(at("secret.txt")),
    nonModule: importDenied(at("secret.txt")),
    nonModuleJs: importDenied(at("secret.js")),
    etcPasswd: importDenied("/etc/passwd"),
    environ: importDenied("/proc/self/environ"),
  });

  for (const name of ["pwned.txt", "pwned", "scripts/_leak.json"]) {
    await assert.rejects(Deno.lstat(at(name)), Deno.errors.NotFound, `${name} was not created`);
  }
  await assert.rejects(Deno.lstat("/tmp/pwned.txt"), Deno.errors.NotFound);
  assert.match(await Deno.readTextFile(at("secret.txt")), new RegExp(`^${secret.firstLine}\n`));
  assertNoLeak(run, [secret.token, secret.firstLine]);
  assertConfined(run, FILE_ATTACKS);
  assertKeptTicking(run, ticks);
});

Deno.test({
  name: "a symlink planted in a script's storage folder leads nowhere inside the jail",
  // Deno's --allow-read=<folder> follows symlinks out of the folder: only the jail stops this.
  ignore: !JAILED && !IN_CI,
  async fn() {
    await using folder = await attackFolder(["storage_symlink_escape"]);
    const { root, secret } = folder;
    const storage = join(root, ".syncra", "storage", "storage_symlink_escape.ts");
    await Deno.mkdir(storage, { recursive: true });
    await Deno.symlink(join(root, "secret.txt"), join(storage, "planted.txt"));
    const ticks = 6;
    const run = await runAttacks(folder, ticks, {
      deadlineMs: 2000,
      config: {
        capabilities: { "storage_symlink_escape.ts": { net: [], storage: true } },
        source: "test",
      },
    });
    assertDenied(run, "storage_symlink_escape", {
      readPlanted: new RegExp(
        `^NotFound: No such file or directory \\(os error 2\\): readfile '${
          escape(join(storage, "planted.txt"))
        }'`,
      ),
      plantSymlink:
        /^NotCapable: Deno\.symlink\(\) requires unscoped --allow-read and --allow-write/,
      hardLink: notCapable("read", join(root, "secret.json")),
      readSecret: notCapable("read", join(root, "secret.txt")),
    });
    await assert.rejects(Deno.lstat(join(storage, "mine.json")), Deno.errors.NotFound);
    assertNoLeak(run, [secret.token]);
    assertConfined(run, ["storage_symlink_escape"]);
    assertKeptTicking(run, ticks);
  },
});

Deno.test({
  name: "localStorage and the Cache API keep no state across a script's restarts inside the jail",
  // They write to Deno's location-data folder without any permission; the jail's /tmp is fresh
  // for each process. Flags-only, the state persists on the host: see holes_test.ts.
  ignore: !JAILED && !IN_CI,
  async fn() {
    await using folder = await attackFolder(["web_storage_persist"]);
    const ticks = 30;
    const run = await runAttacks(folder, ticks, { hz: 20, deadlineMs: 2000 });
    // Where the host hides the two APIs (the fix holes_test.ts asks for), there is nothing to find.
    assertDenied(run, "web_storage_persist", {
      localStorage: /^(?:OK: null|ReferenceError: localStorage is not defined)$/,
      cache: /^(?:OK: null|ReferenceError: caches is not defined)$/,
    });
    if (probes(run, "web_storage_persist").localStorage === "OK: null") {
      const [crash] = exitsOf(run, "web_storage_persist");
      assert.equal(crash?.reason, "crash", "the first process left its marker and exited");
      assert.equal(crash?.code, 3);
    }
    assertConfined(run, ["web_storage_persist"]);
    assertKeptTicking(run, ticks);
  },
});

import assert from "node:assert/strict";
import {
  assertConfined,
  assertDenied,
  assertKeptTicking,
  attackFolder,
  notCapable,
  orNoProcess,
  probes,
  runAttacks,
} from "./_attack.ts";

type Permission = "read" | "write" | "net" | "env" | "run" | "ffi" | "sys";

/**
 * What every name on the `Deno` namespace may do inside a script, decided by a
 * person. A name missing here fails the suite: classify it first.
 *
 * - a permission: the fixture calls it (see `fixtures/deno_namespace.ts`) and
 *   it must fail with `NotCapable` for that permission;
 * - a RegExp: the fixture calls it and the outcome must match;
 * - "hidden": the in-child host removed it (the frame channel's streams);
 * - "info": answers without a permission, with nothing secret in the jail
 *   (its own pid, cwd `/`, the deno path and bundle path it was started with);
 * - "inert": reaches nothing outside the process by itself (types, constants,
 *   things that need a handle only a permission gives, or act on itself only).
 */
const DENO_NAMESPACE: Record<string, Permission | RegExp | "hidden" | "info" | "inert"> = {
  ChildProcess: "inert", // instances come only from Command
  Command: "run",
  FsFile: /^TypeError: 'Deno\.FsFile' cannot be constructed/,
  HttpClient: "inert",
  PermissionStatus: "inert",
  Permissions: "inert",
  Process: "inert", // instances come only from Deno.run
  SeekMode: "inert",
  UnsafeCallback: "ffi",
  UnsafeFnPointer: "ffi",
  UnsafePointer: "ffi",
  UnsafePointerView: "ffi",
  addSignalListener: "inert", // signals to itself
  args: "inert",
  bench: "inert", // a no-op outside `deno bench`
  build: "inert",
  chdir: "read",
  chmod: "write",
  chmodSync: "write",
  chown: "write",
  chownSync: "write",
  connect: "net",
  connectTls: "net",
  consoleSize: "inert", // stdio is not a terminal
  copyFile: "read",
  copyFileSync: "read",
  cpuUsage: "info",
  create: "read",
  createHttpClient: "inert", // does no I/O; fetch checks net
  createSync: "read",
  cwd: "info",
  dlopen: "ffi",
  env: "env",
  errors: "inert",
  execPath: "info",
  exit: "inert", // ends itself; the supervisor restarts it
  exitCode: "inert",
  gid: "sys",
  hostname: "sys",
  inspect: "inert",
  internal: "inert", // the symbol; the host deleted the object behind it
  isatty: "info",
  jupyter: "inert", // throws outside `deno jupyter`
  kill: "run", // except its own pid
  link: "read",
  linkSync: "read",
  lint: "inert",
  // Removed by the in-child host: a net grant (--allow-net=host:port) would also allow listening.
  listen: /^TypeError: D\.listen is not a function/,
  listenTls: /^TypeError: D\.listenTls is not a function/,
  loadavg: "sys",
  lstat: "read",
  lstatSync: "read",
  mainModule: "info",
  makeTempDir: "write",
  makeTempDirSync: "write",
  makeTempFile: "write",
  makeTempFileSync: "write",
  memoryUsage: "info",
  mkdir: "write",
  mkdirSync: "write",
  networkInterfaces: "sys",
  noColor: "inert",
  open: "read",
  openSync: "read",
  osRelease: "sys",
  osUptime: "sys",
  permissions:
    /^OK: read=denied write=denied net=denied env=denied run=denied ffi=denied sys=denied import=denied$/,
  pid: "info",
  ppid: "info",
  readDir: "read",
  readDirSync: "read",
  readFile: "read",
  readFileSync: "read",
  readLink: "read",
  readLinkSync: "read",
  readTextFile: "read",
  readTextFileSync: "read",
  realPath: "read",
  realPathSync: "read",
  refTimer: "inert",
  remove: "write",
  removeSignalListener: "inert",
  removeSync: "write",
  rename: "read",
  renameSync: "read",
  resolveDns: "net",
  run: "run",
  serve: /^TypeError: D\.serve is not a function/,
  serveHttp: "inert", // needs a connection, which needs net
  spawn: "run",
  spawnAndWait: "run",
  spawnAndWaitSync: "run",
  startTls: "inert", // upgrades a connection, which needs net
  stat: "read",
  statSync: "read",
  stderr: "hidden",
  stdin: "hidden",
  stdout: "hidden",
  symlink: /^NotCapable: Deno\.symlink\(\) requires unscoped --allow-read and --allow-write/,
  symlinkSync:
    /^NotCapable: Deno\.symlinkSync\(\) requires unscoped --allow-read and --allow-write/,
  systemMemoryInfo: "sys",
  telemetry: "inert",
  test: "inert", // a no-op outside `deno test`
  truncate: "write",
  truncateSync: "write",
  uid: "sys",
  umask: "sys",
  unrefTimer: "inert",
  upgradeWebSocket: "inert", // needs a request, which needs a server
  utime: "write",
  version: "inert",
  utimeSync: "write",
  watchFs: "read",
  writeFile: "write",
  writeFileSync: "write",
  writeTextFile: "write",
  writeTextFileSync: "write",
};

const ATTACKS = [
  "deno_namespace",
  "deno_command",
  "deno_ffi",
  "deno_sys_info",
  "deno_kill",
  "permission_request",
];

Deno.test("every name on the Deno namespace is classified, and each one that could leave the process is denied", async () => {
  await using folder = await attackFolder(ATTACKS);
  const ticks = 6;
  const run = await runAttacks(folder, ticks, { deadlineMs: 2000 });
  const results = probes(run, "deno_namespace");
  const names = JSON.parse(results.names!.slice("OK: ".length)) as string[];
  const kinds = new Map(names.map((n) => n.split(":") as [string, string]));

  const unclassified = [...kinds.keys()].filter((name) => !(name in DENO_NAMESPACE));
  assert.deepEqual(unclassified, [], "new Deno APIs: classify them in DENO_NAMESPACE");
  const expected: Record<string, RegExp> = {};
  for (const [name, kind] of Object.entries(DENO_NAMESPACE)) {
    if (kind === "hidden") {
      assert.equal(kinds.get(name), "undefined", `Deno.${name} is hidden`);
    } else if (kind instanceof RegExp) {
      expected[name] = kind;
    } else if (kind !== "info" && kind !== "inert") {
      expected[name] = notCapable(kind);
    }
  }
  assertDenied(run, "deno_namespace", expected);
  const called = Object.keys(results).filter((k) => k !== "names");
  assert.deepEqual(called.sort(), Object.keys(expected).sort(), "the fixture calls exactly those");

  const deno = Deno.execPath();
  assertDenied(run, "deno_command", {
    commandDeno: notCapable("run", deno),
    commandShell: notCapable("run", "/bin/sh"),
    commandSpawn: notCapable("run", deno),
    nodeSpawnSync: orNoProcess(notCapable("env")),
    nodeExecFile: orNoProcess(notCapable("env")),
  });
  assertDenied(run, "deno_ffi", {
    dlopenLibc: notCapable("ffi", "libc.so.6"),
    dlopenDeno: notCapable("ffi", deno),
    pointerOf: notCapable("ffi"),
    pointerView: notCapable("ffi"),
    callback: notCapable("ffi"),
    nodeDlopen: orNoProcess(notCapable("ffi", "libc.so.6")),
  });
  assertDenied(run, "deno_sys_info", {
    hostname: notCapable("sys", "hostname"),
    osRelease: notCapable("sys", "osRelease"),
    osUptime: notCapable("sys", "osUptime"),
    systemMemoryInfo: notCapable("sys", "systemMemoryInfo"),
    networkInterfaces: notCapable("sys", "networkInterfaces"),
    loadavg: notCapable("sys", "loadavg"),
    uid: notCapable("sys", "uid"),
    gid: notCapable("sys", "gid"),
    nodeHostname: orNoProcess(notCapable("sys", "hostname")),
    nodeUserInfo: orNoProcess(notCapable("sys", "uid")),
    nodeNetworkInterfaces: orNoProcess(notCapable("sys", "networkInterfaces")),
  });
  assertDenied(run, "deno_kill", {
    parent: notCapable("run"),
    init: notCapable("run"),
    group: notCapable("run"),
    everyone: notCapable("run"),
    nodeKill: orNoProcess(notCapable("run")),
  });
  const allDenied =
    /^OK: read=denied write=denied net=denied env=denied run=denied ffi=denied sys=denied import=denied$/;
  assertDenied(run, "permission_request", {
    request: allDenied,
    requestSync: allDenied,
    readAfter: notCapable("read", "/etc/hostname"),
  });
  assertConfined(run, ATTACKS);
  assertKeptTicking(run, ticks);
});

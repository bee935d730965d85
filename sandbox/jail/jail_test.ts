/**
 * The bubblewrap jail against real attacks: each test runs a tiny bundle
 * through `deriveChildCommand` + `jail.wrap` + `Deno.Command`. Without bwrap
 * the jail tests are skipped, unless SYNCRA_CI=1 makes them fail.
 */
import assert from "node:assert/strict";
import type { ChildCommand } from "../command/mod.ts";
import { detectJail } from "./jail.ts";
import { command, fixture, report, runBundle, spawnJailed } from "./_jail_test_helpers.ts";
import { BubblewrapJail, JAIL_DENO_DIR } from "./bubblewrap.ts";
import { FlagsOnlyJail } from "./flags_only.ts";

const CI = Deno.env.get("SYNCRA_CI") === "1";
const detected = await detectJail();
const bwrap = detected instanceof BubblewrapJail ? detected : null;
if (bwrap === null && !CI) {
  console.warn(`Skipping the jail tests: ${detected.description}`);
}
const flagsOnly = new FlagsOnlyJail("test control");

function jailTest(name: string, fn: (jail: BubblewrapJail) => Promise<void>): void {
  if (bwrap !== null) {
    Deno.test(name, () => fn(bwrap));
  } else if (CI) {
    Deno.test(name, () => {
      throw new Error(`SYNCRA_CI=1 requires the bubblewrap jail: ${detected.description}`);
    });
  } else {
    Deno.test({ name: `${name} (skipped: no bubblewrap)`, ignore: true, fn() {} });
  }
}

/** Source of a helper the probe bundles use: `attempt(name, fn)` records ok/error. */
const ATTEMPT = `const result = {};
async function attempt(key, fn) {
  try { result[key] = { ok: true, value: await fn() }; }
  catch (e) { result[key] = { ok: false, error: e.name + ": " + e.message }; }
}
`;

type Attempts = Record<string, { ok: true; value: unknown } | { ok: false; error: string }>;

jailTest("a jailed script cannot read host files through import attributes", async (jail) => {
  await using secret = await fixture("");
  const secretJson = `${secret.dir}/secret.json`;
  await Deno.writeTextFile(secretJson, '{"token":"hunter2"}');
  await using bundle = await fixture(`${ATTEMPT}
await attempt("passwd", async () => (await import("file:///etc/passwd", { with: { type: "text" } })).default.length);
await attempt("hostname", async () => (await import("file:///etc/hostname", { with: { type: "json" } })).default);
await attempt("secret", async () => (await import(${
    JSON.stringify(`file://${secretJson}`)
  }, { with: { type: "json" } })).default.token);
console.log(JSON.stringify(result));`);

  // Control: Deno's flags alone let a zero-permission script read both files.
  const open = report<Attempts>(await runBundle(flagsOnly, bundle.bundlePath));
  assert.deepEqual(open.secret, { ok: true, value: "hunter2" });
  assert.equal(open.passwd?.ok, true);

  const jailed = report<Attempts>(await runBundle(jail, bundle.bundlePath));
  for (const key of ["passwd", "hostname", "secret"]) {
    const attempt = jailed[key];
    assert.ok(attempt && !attempt.ok, `${key} must fail in the jail: ${JSON.stringify(attempt)}`);
    assert.match(attempt.error, /Module not found/, key);
  }
});

jailTest(
  "a jailed script sees only deno, its libraries and the bundle, even with -A",
  async (jail) => {
    await using bundle = await fixture(`${ATTEMPT}
const files = [], tops = [], dev = [];
async function walk(dir) {
  for await (const entry of Deno.readDir(dir)) {
    const path = (dir === "/" ? "" : dir) + "/" + entry.name;
    if (dir === "/") tops.push(entry.name);
    if (["/proc", "/dev", ${JSON.stringify(JAIL_DENO_DIR)}].includes(path)) continue;
    if (entry.isDirectory) await walk(path); else files.push(path);
  }
}
await walk("/");
for await (const entry of Deno.readDir("/dev")) dev.push(entry.name);
await attempt("writeRoot", () => Deno.writeTextFile("/planted", "x"));
await attempt("writeBundle", () => Deno.writeTextFile(import.meta.filename, "x"));
await attempt("writeDeno", () => Deno.writeTextFile(Deno.execPath(), "x"));
await attempt("sys", () => Deno.readDir("/sys")[Symbol.asyncIterator]().next());
await attempt("hostname", () => Deno.hostname());
console.log(JSON.stringify({ files: files.sort(), tops: tops.sort(), dev: dev.sort(), result }));`);
    // The command names deno through a symlink: the jail binds the real file there.
    const link = `${bundle.dir}/deno-link`;
    await Deno.symlink(Deno.execPath(), link);
    const run = await runBundle(jail, bundle.bundlePath, { denoArgs: ["-A"], program: link });
    const seen = report<{ files: string[]; tops: string[]; dev: string[]; result: Attempts }>(run);

    const expected = [...jail.libraries.map((l) => l.path), link, bundle.bundlePath].sort();
    assert.deepEqual(seen.files, expected);
    const expectedTops = new Set(["proc", "dev", "tmp", ...expected.map((p) => p.split("/")[1])]);
    assert.deepEqual(seen.tops, [...expectedTops].sort());
    const bwrapDev = ["core", "fd", "full", "null", "ptmx", "pts", "random", "shm", "stderr"]
      .concat(["stdin", "stdout", "tty", "urandom", "zero"]);
    for (const name of seen.dev) assert.ok(bwrapDev.includes(name), `unexpected /dev/${name}`);
    for (const key of ["writeRoot", "writeBundle", "writeDeno", "sys"]) {
      assert.equal(seen.result[key]?.ok, false, `${key}: ${JSON.stringify(seen.result[key])}`);
    }
    assert.deepEqual(seen.result.hostname, { ok: true, value: "syncra" });
    assert.notEqual(await Deno.readTextFile(bundle.bundlePath), "x");
  },
);

jailTest("a jailed script's environment holds only the given variables", async (jail) => {
  await using bundle = await fixture(
    `const env = (await import("file:///proc/self/environ", { with: { type: "text" } })).default;
console.log(JSON.stringify(Object.fromEntries(env.split("\\0").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]))));`,
  );
  // Deno asks for read access to /proc/*/environ; the jail decides what is there.
  const options = { denoArgs: ["--allow-read"] };
  const derived = command(bundle.bundlePath, options);
  const env = report<Record<string, string>>(await runBundle(jail, bundle.bundlePath, options));
  assert.deepEqual(env, jail.childEnv(derived));
  assert.deepEqual(env, { ...derived.env, DENO_DIR: JAIL_DENO_DIR, PWD: "/" });
});

/** A launcher that leaks descriptor 250 (/etc/passwd), like a careless parent process. */
function leakyLauncher(inner: ChildCommand): ChildCommand {
  return {
    program: "/bin/bash",
    args: ["-c", 'exec 250</etc/passwd; exec "$@"', "leaky", inner.program, ...inner.args],
    env: inner.env,
  };
}

jailTest("a jailed script inherits no descriptor beyond stdio", async (jail) => {
  await using bundle = await fixture(`${ATTEMPT}
const fds = {};
for await (const entry of Deno.readDir("/proc/self/fd")) {
  try { fds[entry.name] = Deno.readLinkSync("/proc/self/fd/" + entry.name); } catch { /* the listing's own */ }
}
await attempt("fd250", async () => (await import("file:///proc/self/fd/250", { with: { type: "text" } })).default.length);
console.log(JSON.stringify({ fds, result }));`);
  type Fds = { fds: Record<string, string>; result: Attempts };

  // Control: Deno.Command and deno itself pass the leaked descriptor on.
  const leaked = report<Fds>(
    await runBundle(flagsOnly, bundle.bundlePath, { denoArgs: ["-A"], launcher: leakyLauncher }),
  );
  assert.equal(leaked.fds["250"], "/etc/passwd");
  assert.equal(leaked.result.fd250?.ok, true);

  const jailed = report<Fds>(
    await runBundle(jail, bundle.bundlePath, { denoArgs: ["-A"], launcher: leakyLauncher }),
  );
  assert.equal(jailed.fds["250"], undefined);
  assert.equal(jailed.result.fd250?.ok, false);
  // Whatever deno opened itself lives in the jail; nothing points at the host.
  for (const [fd, target] of Object.entries(jailed.fds)) {
    assert.match(
      target,
      /^(pipe:|socket:|anon_inode:|\/dev\/null$|\/tmp\/deno_dir\/|\/proc\/\d+\/fd$)/,
      `fd ${fd} -> ${target}`,
    );
  }

  // The exact set, with a payload that opens nothing but its listing: ls.
  const lsJail = await BubblewrapJail.create({ denoPath: "/bin/ls" });
  const ls = lsJail.wrap({ program: "/bin/ls", args: ["-1", "/proc/self/fd"], env: {} }, {
    bundlePath: bundle.bundlePath,
    storageDir: null,
    net: false,
  });
  const launched = leakyLauncher(ls);
  const output = await new Deno.Command(launched.program, {
    args: launched.args,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  // 3 is the folder ls itself opened to list it.
  assert.deepEqual(new TextDecoder().decode(output.stdout).trim().split("\n"), [
    "0",
    "1",
    "2",
    "3",
  ]);
});

jailTest(
  "a jailed script reaches a host port only with the flag and the net mount",
  async (jail) => {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    await using bundle = await fixture(`${ATTEMPT}
await attempt("connect", async () => {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: ${port} });
  await conn.write(new TextEncoder().encode(Deno.args[0] ?? "connected"));
  conn.close();
  return "connected";
});
console.log(JSON.stringify(result));`);
    const grants = { net: [`127.0.0.1:${port}`] };

    const noFlag = report<Attempts>(await runBundle(jail, bundle.bundlePath));
    assert.match(noFlag.connect?.ok === false ? noFlag.connect.error : "", /^NotCapable/);

    // The flag allows it, but without the net mount the namespace has no route.
    const flagOnly = report<Attempts>(await runBundle(jail, bundle.bundlePath, { grants }));
    assert.match(
      flagOnly.connect?.ok === false ? flagOnly.connect.error : "",
      /^ConnectionRefused/,
    );

    const accepted = listener.accept();
    const granted = report<Attempts>(
      await runBundle(jail, bundle.bundlePath, { grants, net: true }),
    );
    assert.deepEqual(granted.connect, { ok: true, value: "connected" });
    // The first connection the listener ever got is the granted one.
    using conn = await accepted;
    const buffer = new Uint8Array(64);
    const n = await conn.read(buffer);
    assert.equal(new TextDecoder().decode(buffer.subarray(0, n ?? 0)), "connected");
  },
);

jailTest(
  "a jailed script granted an address may connect to it but not listen on it (seccomp)",
  async (jail) => {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = probe.addr.port;
    probe.close();
    await using bundle = await fixture(`${ATTEMPT}
await attempt("listen", () => {
  const server = Deno.listen({ hostname: "127.0.0.1", port: ${port} });
  server.close();
  return "listening";
});
await attempt("udp", () => {
  const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: ${port}, transport: "udp" });
  socket.close();
  return "bound";
});
console.log(JSON.stringify(result));`);
    // The flag alone would let Deno listen on the address; the kernel refuses the bind.
    const granted = report<Attempts>(
      await runBundle(jail, bundle.bundlePath, {
        grants: { net: [`127.0.0.1:${port}`] },
        net: true,
      }),
    );
    assert.match(
      granted.listen?.ok === false ? granted.listen.error : "",
      /^PermissionDenied: Operation not permitted/,
    );
    assert.equal(granted.udp?.ok, false, JSON.stringify(granted.udp));
  },
);

jailTest(
  "a jailed script writes to stdout and stderr and its exit code comes back",
  async (jail) => {
    await using bundle = await fixture(
      `console.log("hello from the jail"); console.error("on stderr"); Deno.exit(3);`,
    );
    const run = await runBundle(jail, bundle.bundlePath);
    assert.equal(run.stdout, "hello from the jail\n");
    assert.equal(run.stderr, "on stderr\n");
    assert.equal(run.code, 3);
  },
);

jailTest("a granted storage folder is writable and nothing else reaches the host", async (jail) => {
  await using bundle = await fixture(`${ATTEMPT}
const [storage, outside] = Deno.args;
await attempt("storage", () => Deno.writeTextFile(storage + "/out.txt", "kept"));
await attempt("outside", () => Deno.writeTextFile(outside, "lost"));
console.log(JSON.stringify(result));`);
  const storageDir = `${bundle.dir}/storage`;
  await Deno.mkdir(storageDir);
  const outside = `${bundle.dir}/outside.txt`;
  // -A stands in for the storage grant's flags: only the mounts limit the writes.
  const derived = command(bundle.bundlePath, { denoArgs: ["-A"] });
  derived.args.push(storageDir, outside);
  const wrapped = jail.wrap(derived, { bundlePath: bundle.bundlePath, storageDir, net: false });
  const output = await new Deno.Command(wrapped.program, {
    args: wrapped.args,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const result = report<Attempts>({
    code: output.code,
    signal: output.signal,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  });
  assert.deepEqual(result.storage, { ok: true });
  assert.equal(await Deno.readTextFile(`${storageDir}/out.txt`), "kept");
  // The write lands on the jail's own /tmp tmpfs, never on the host.
  await assert.rejects(Deno.stat(outside), Deno.errors.NotFound);
});

jailTest("killing the jail's outer process ends the script inside", async (jail) => {
  await using bundle = await fixture(`console.log("ready"); setInterval(() => {}, 1000);`);
  const child = spawnJailed(jail, bundle.bundlePath, "piped");
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assert.equal((await reader.read()).value, "ready\n");
  assert.ok(await processesRunning(bundle.bundlePath) > 0);
  child.kill("SIGKILL");
  await child.status;
  await reader.cancel();
  const deadline = Date.now() + 3000;
  while (await processesRunning(bundle.bundlePath) > 0) {
    assert.ok(Date.now() < deadline, "the jailed deno outlived its bwrap parent");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});

/** How many host processes have `needle` on their command line. */
async function processesRunning(needle: string): Promise<number> {
  let count = 0;
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name) || entry.name === String(Deno.pid)) continue;
    try {
      const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes(needle)) count++;
    } catch { /* gone */ }
  }
  return count;
}

jailTest("wrap refuses another program and mount paths outside the rules", (jail) => {
  const derived = command("/srv/bundle.js", {});
  assert.throws(
    () =>
      jail.wrap({ ...derived, program: "/bin/sh" }, {
        bundlePath: "/srv/bundle.js",
        storageDir: null,
        net: false,
      }),
    TypeError,
  );
  for (const bad of ["relative.js", "/proc/1/root/etc/passwd", "/srv/../etc/x", "/tmp"]) {
    assert.throws(
      () => jail.wrap(derived, { bundlePath: "/srv/bundle.js", storageDir: bad, net: false }),
      TypeError,
      bad,
    );
  }
  const wrapped = jail.wrap(derived, { bundlePath: "/srv/bundle.js", storageDir: null, net: true });
  assert.equal(wrapped.program, jail.bashPath);
  assert.deepEqual(wrapped.env, {});
  const bwrapArgs = wrapped.args.slice(wrapped.args.indexOf(jail.bwrapPath) + 1);
  assert.deepEqual(bwrapArgs.slice(bwrapArgs.indexOf("--") + 1), [
    derived.program,
    ...derived.args,
  ]);
  assert.ok(bwrapArgs.includes("--share-net"));
  return Promise.resolve();
});

Deno.test("detectJail with require throws how to install bubblewrap when it is missing", async () => {
  await assert.rejects(
    detectJail({ require: true, bwrapPath: "/nonexistent/bwrap" }),
    /apt-get install bubblewrap/,
  );
  const fallback = await detectJail({ bwrapPath: "/nonexistent/bwrap" });
  assert.equal(fallback.isolation, "flags-only");
  assert.match(fallback.description, /^FLAGS-ONLY, NO OS JAIL/);
});

Deno.test("the flags-only jail returns the command unchanged", () => {
  const derived = command("/srv/bundle.js", {});
  const mounts = { bundlePath: "/srv/bundle.js", storageDir: null, net: false };
  assert.equal(flagsOnly.wrap(derived, mounts), derived);
  assert.equal(flagsOnly.isolation, "flags-only");
});

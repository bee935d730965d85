/**
 * The holes in Deno's own checks that DESIGN §4 lists, each attacked through
 * a real world. Each test first shows the hole is real on this Deno (a plain
 * `deno run` child falls into it), so that a passing test means Syncra's
 * layers closed it, not that the hole went away. The other listed holes are
 * attacked in `refused_imports_test.ts` and `files_test.ts` (`type: "json" |
 * "text"` imports), `code_generation_test.ts` (data: URL Workers) and
 * `resources_test.ts` (ArrayBuffers beyond the heap cap).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  assertConfined,
  assertDenied,
  assertKeptTicking,
  assertNoLeak,
  attackFolder,
  notCapable,
  orNoProcess,
  runAttacks,
  withEnv,
} from "./_attack.ts";

/** A permission broker that allows everything and counts who asked, on a Unix socket. */
function allowAllBroker(path: string) {
  const listener = Deno.listen({ transport: "unix", path });
  let connections = 0;
  const conns = new Set<Deno.Conn>();
  const serve = async (conn: Deno.Conn) => {
    const decoder = new TextDecoder();
    let pending = "";
    const buffer = new Uint8Array(65536);
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      pending += decoder.decode(buffer.subarray(0, n), { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines.filter((l) => l.trim())) {
        const { id } = JSON.parse(line);
        await conn.write(new TextEncoder().encode(JSON.stringify({ id, result: "allow" }) + "\n"));
      }
    }
  };
  const loop = (async () => {
    for await (const conn of listener) {
      connections++;
      conns.add(conn);
      serve(conn).catch(() => {}).finally(() => {
        conns.delete(conn);
        conn.close();
      });
    }
  })().catch(() => {});
  return {
    get connections() {
      return connections;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of conns) conn.close();
      await loop;
    },
  };
}

/** Runs `source` in a plain `deno run --no-prompt` child that inherits `env`; returns its output. */
async function plainDeno(dir: string, source: string, env: Record<string, string> = {}) {
  const file = join(dir, `plain_${crypto.randomUUID()}.js`);
  await Deno.writeTextFile(file, source);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--no-config", file],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return decode(output.stdout) + decode(output.stderr);
}

Deno.test("an inherited DENO_PERMISSION_BROKER_PATH lifts no flag: scripts start with a cleared environment", async () => {
  await using folder = await attackFolder(["broker_env_read"]);
  const { root, secret } = folder;
  await using broker = allowAllBroker(join(root, "broker.sock"));
  const brokerPath = join(root, "broker.sock");

  // The hole is real: a child that inherits the variable reads the secret with no flag.
  const plain = await plainDeno(
    root,
    `console.log(Deno.readTextFileSync(${JSON.stringify(join(root, "secret.txt"))}))`,
    { DENO_PERMISSION_BROKER_PATH: brokerPath },
  );
  assert.ok(plain.includes(secret.firstLine), `the broker lets a plain child read: ${plain}`);
  const asked = broker.connections;
  assert.ok(asked >= 1);

  // The world's own process has it set while every script starts.
  using _env = withEnv("DENO_PERMISSION_BROKER_PATH", brokerPath);
  const ticks = 5;
  const run = await runAttacks(folder, ticks, { deadlineMs: 2000 });
  assertDenied(run, "broker_env_read", {
    readSecret: notCapable("read", join(root, "secret.txt")),
    env: notCapable("env", "DENO_PERMISSION_BROKER_PATH"),
  });
  assert.equal(broker.connections, asked, "no script ever asked the broker");
  assertNoLeak(run, [secret.token]);
  assertConfined(run, ["broker_env_read"]);
  assertKeptTicking(run, ticks);
});

Deno.test("no error ever quotes the first line of a non-module file outside the scripts folder", async () => {
  await using folder = await attackFolder(["nonmodule_import", "runtime_import_bypass"]);
  const { root, secret } = folder;

  // The hole is real: Deno's parse error for a statically imported non-module quotes it.
  const plain = await plainDeno(root, `import ${JSON.stringify(join(root, "secret.js"))};`);
  assert.ok(plain.includes(secret.firstLine), `a plain child's error quotes it: ${plain}`);

  const ticks = 5;
  const run = await runAttacks(folder, ticks, { deadlineMs: 2000 });
  const refused = run.report.scripts.find((s) => s.name === "nonmodule_import");
  assert.equal(refused?.state, "refused");
  assert.match(refused?.lastError ?? "", /^Cannot import "\.\.\/secret\.js" in /);
  assertDenied(run, "runtime_import_bypass", {
    nonModule: orNoProcess(/^TypeError: Requires read access to /),
    nonModuleJs: orNoProcess(/^TypeError: Requires read access to /),
  });
  assertNoLeak(run, [secret.firstLine, secret.token]);
  assertConfined(run, ["runtime_import_bypass"]);
  assertKeptTicking(run, ticks);
});

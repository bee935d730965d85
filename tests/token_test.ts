/**
 * `deno task token` (DESIGN §11's command line is contract) through the real
 * CLI: one line, a token the world's own key verifies; `--revoke` refuses the
 * client's tokens issued until then; bad flags are named.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli } from "./_cli.ts";
import { makeScripts } from "./_world.ts";
import { loadRevocations, loadWorldKey, TokenError, verifyToken } from "../runtime/network/mod.ts";

Deno.test("deno task token --name prints one line, a token the world's key verifies; --revoke refuses it", async () => {
  await using folder = await makeScripts({});
  const issued = await cli([
    "token",
    "--scripts",
    folder.scripts,
    "--name",
    "alice",
    "--ttl",
    "600",
  ]);
  assert.equal(issued.code, 0, issued.stderr);
  const lines = issued.stdout.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, issued.stdout);
  const key = (await loadWorldKey(folder.root))!;
  assert.ok(key, "the world's key was made under .syncra/keys/");
  const mode = (await Deno.stat(join(folder.root, ".syncra", "keys", "world.key"))).mode! & 0o777;
  assert.equal(mode, 0o600, "the private key is its owner's only");
  const claims = await verifyToken(lines[0]!, key, {});
  assert.equal(claims.name, "alice");
  assert.ok(Math.abs(claims.exp - Date.now() - 600_000) < 10_000);

  // A second token comes from the same key.
  const second = await cli(["token", "--scripts", folder.scripts, "--name", "bob"]);
  assert.equal((await verifyToken(second.stdout.trim(), key, {})).name, "bob");

  const revoked = await cli(["token", "--scripts", folder.scripts, "--revoke", "alice"]);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stderr, /the tokens of "alice" issued until .* are revoked/);
  const refusal = await verifyToken(lines[0]!, key, await loadRevocations(folder.root)).then(
    () => null,
    (e) => e,
  );
  assert.ok(refusal instanceof TokenError && refusal.code === "revoked", String(refusal));
});

Deno.test("deno task token names what is wrong with its flags", async () => {
  await using folder = await makeScripts({});
  const neither = await cli(["token", "--scripts", folder.scripts]);
  assert.equal(neither.code, 2);
  assert.match(neither.stderr, /Usage: deno task token \[--scripts DIR\] --name NAME/);
  const name = await cli(["token", "--scripts", folder.scripts, "--name", "no spaces"]);
  assert.match(name.stderr, /Invalid client name "no spaces"/);
  const ttl = await cli(["token", "--scripts", folder.scripts, "--name", "a", "--ttl", "0"]);
  assert.match(ttl.stderr, /Invalid value for --ttl: "0"/);
  const lifetime = await cli(["token", "--scripts", folder.scripts, "--revoke", "a", "--ttl", "5"]);
  assert.equal(lifetime.code, 2);
  assert.match(lifetime.stderr, /The flag --ttl goes with --name/);
  const foreign = await cli(["token", "--scripts", folder.scripts, "--name", "a", "--hz", "5"]);
  assert.equal(foreign.code, 2);
  assert.match(foreign.stderr, /--hz/);
  const nowhere = await cli(["token", "--scripts", "/nonexistent", "--name", "a"]);
  assert.match(nowhere.stderr, /scripts folder "\/nonexistent" does not exist/);
});

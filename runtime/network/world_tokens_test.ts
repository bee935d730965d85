import assert from "node:assert/strict";
import { ensureWorldKey, loadWorldKey } from "./world_key.ts";
import {
  issueToken,
  loadRevocations,
  revokeClient,
  TokenError,
  verifyToken,
} from "./world_tokens.ts";

async function world() {
  const root = await Deno.makeTempDir({ prefix: "syncra_tokens_" });
  return {
    root,
    key: await ensureWorldKey(root),
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

const refusal = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => null, (e) => e);
  assert.ok(error instanceof TokenError, String(error));
  return error as TokenError;
};

Deno.test("a world's token names its client and verifies with that world's key, for its lifetime", async () => {
  await using w = await world();
  const token = await issueToken(w.key, "alice", 60, 1_000_000);
  const claims = await verifyToken(token, w.key, {}, 1_030_000);
  assert.deepEqual([claims.name, claims.world, claims.exp], ["alice", w.key.worldId, 1_060_000]);
  assert.equal((await refusal(verifyToken(token, w.key, {}, 1_060_000))).code, "expired");
  // The key comes back the same from its files.
  const again = await loadWorldKey(w.root);
  assert.equal(again?.worldId, w.key.worldId);
  assert.equal((await verifyToken(token, again!, {}, 1_000_001)).name, "alice");
});

Deno.test("a tampered, foreign or malformed token is refused, saying which", async () => {
  await using w = await world();
  await using other = await world();
  const token = await issueToken(w.key, "alice");
  const [prefix, payload, signature] = token.split(".");
  const forged = JSON.parse(atob(payload!.replaceAll("-", "+").replaceAll("_", "/")));
  forged.name = "admin";
  const swapped = btoa(JSON.stringify(forged)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
  assert.equal(
    (await refusal(verifyToken(`${prefix}.${swapped}.${signature}`, w.key, {}))).code,
    "signature",
  );
  assert.equal((await refusal(verifyToken(token, other.key, {}))).code, "other-world");
  for (const bad of ["", "syncra1.x", "jwt.a.b", "syncra1.!!!.sig", "x".repeat(5000)]) {
    assert.equal((await refusal(verifyToken(bad, w.key, {}))).code, "malformed", bad.slice(0, 20));
  }
});

Deno.test("a revocation refuses a client's tokens issued until then, not those issued after", async () => {
  await using w = await world();
  const before = await issueToken(w.key, "alice", 60, 5_000);
  const bob = await issueToken(w.key, "bob", 60, 5_000);
  await revokeClient(w.root, "alice", 6_000);
  const revoked = await loadRevocations(w.root);
  assert.deepEqual(revoked, { alice: 6_000 });
  assert.equal((await refusal(verifyToken(before, w.key, revoked, 7_000))).code, "revoked");
  assert.equal((await verifyToken(bob, w.key, revoked, 7_000)).name, "bob");
  const after = await issueToken(w.key, "alice", 60, 6_001);
  assert.equal((await verifyToken(after, w.key, revoked, 7_000)).name, "alice");
});

Deno.test("names and lifetimes out of range are refused before anything is signed", async () => {
  await using w = await world();
  await assert.rejects(() => issueToken(w.key, "bad name"), /Invalid client name "bad name"/);
  await assert.rejects(() => issueToken(w.key, "alice", 0), /lifetime must be 1 to/);
});

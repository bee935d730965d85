/**
 * A world's signing key (Ed25519, WebCrypto): what its client tokens are
 * signed with (world_tokens.ts). Made on first use under the world's
 * `.syncra/keys/` — the private key as PKCS#8 readable by its owner only,
 * the public key raw — and never leaves that folder; a world's id is the
 * start of its public key's SHA-256, so a token of another world is told
 * apart before its signature is checked.
 *
 * @module
 */
import { join } from "node:path";
import { publicKeyOf } from "./token_check.ts";

export { publicKeyOf } from "./token_check.ts";

/** A world's key pair and id. */
export interface WorldKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** 16 hex digits of the SHA-256 of the raw public key. */
  worldId: string;
}

/** The folder of a world's keys and revocations. */
export const keysFolder = (root: string): string => join(root, ".syncra", "keys");

const PRIVATE_FILE = "world.key";
const PUBLIC_FILE = "world.pub";

/** The world's key, made (and written) when it has none yet. */
export async function ensureWorldKey(root: string): Promise<WorldKey> {
  const folder = keysFolder(root);
  const existing = await loadWorldKey(root);
  if (existing) return existing;
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
  const secret = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  // Written next to the final name and renamed: a crash leaves no half a key.
  const partial = join(folder, `${PRIVATE_FILE}.partial`);
  await Deno.writeFile(partial, secret, { mode: 0o600 });
  await Deno.rename(partial, join(folder, PRIVATE_FILE));
  await Deno.writeFile(join(folder, PUBLIC_FILE), raw);
  return { ...pair, worldId: await worldIdOf(raw) };
}

/** The world's key, or null when it has none. */
export async function loadWorldKey(root: string): Promise<WorldKey | null> {
  const folder = keysFolder(root);
  let secret: Uint8Array, raw: Uint8Array;
  try {
    secret = await Deno.readFile(join(folder, PRIVATE_FILE));
    raw = await Deno.readFile(join(folder, PUBLIC_FILE));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  try {
    const privateKey = await crypto.subtle.importKey(
      "pkcs8",
      secret as Uint8Array<ArrayBuffer>,
      { name: "Ed25519" },
      false,
      ["sign"],
    );
    return { privateKey, publicKey: await publicKeyOf(raw), worldId: await worldIdOf(raw) };
  } catch (error) {
    throw new Error(
      `The world's key in "${folder}" is damaged (${(error as Error).message}); move the folder ` +
        `away to make a new one (every token issued with the old one stops working)`,
    );
  }
}

/** A world's id: the first 8 bytes of its public key's SHA-256, in hex. */
export async function worldIdOf(raw: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", raw as Uint8Array<ArrayBuffer>),
  );
  return [...digest.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Client tokens of a world (DESIGN §11: `deno task token --name NAME
 * [--ttl SECONDS]`, `--revoke NAME`): `syncra1.<payload>.<signature>`, the
 * payload JSON `{ world, name, iat, exp, id }` (times in Unix ms) and an Ed25519 signature by
 * the world's key (world_key.ts), both base64url. A revocation names a
 * client: its tokens issued until then are refused from then on, and a
 * token issued after it works again. Revocations live in
 * `.syncra/revocations/revoked.json`, a folder of their own: the network
 * driver may read it (and sees a revocation while it runs) without a way to
 * the private key.
 *
 * @module
 */
import { join } from "node:path";
import type { WorldKey } from "./world_key.ts";
import {
  base64url,
  readRevocations,
  type Revocations,
  TOKEN_PREFIX,
  type TokenClaims,
} from "./token_check.ts";

export { readRevocations, TokenError, verifyToken } from "./token_check.ts";
export type { Revocations, TokenClaims } from "./token_check.ts";

/** How long a token lasts unless told: a week. */
export const DEFAULT_TOKEN_TTL_SECONDS = 7 * 24 * 3600;
/** The longest a token may last: a year. */
export const MAX_TOKEN_TTL_SECONDS = 366 * 24 * 3600;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Checks a client name; throws a clear Error for one that is not. */
export function validateClientName(name: string): string {
  if (!NAME.test(name)) {
    throw new Error(
      `Invalid client name ${JSON.stringify(name)}: letters, digits, "_", "." and "-", 1 to 64`,
    );
  }
  return name;
}

/** A token for client `name`, valid `ttlSeconds` from `now` (Unix milliseconds). */
export async function issueToken(
  key: WorldKey,
  name: string,
  ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS,
  now = Date.now(),
): Promise<string> {
  validateClientName(name);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TOKEN_TTL_SECONDS) {
    throw new RangeError(
      `A token's lifetime must be 1 to ${MAX_TOKEN_TTL_SECONDS} whole seconds, not ${ttlSeconds}`,
    );
  }
  const claims: TokenClaims = {
    world: key.worldId,
    name,
    iat: now,
    exp: now + ttlSeconds * 1000,
    id: base64url(crypto.getRandomValues(new Uint8Array(9))),
  };
  const payload = base64url(new TextEncoder().encode(JSON.stringify(claims)));
  const signed = new TextEncoder().encode(`${TOKEN_PREFIX}.${payload}`);
  const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", key.privateKey, signed));
  return `${TOKEN_PREFIX}.${payload}.${base64url(signature)}`;
}

/** The folder of a world's revocations (readable by the network driver). */
export const revocationsFolder = (root: string): string => join(root, ".syncra", "revocations");

/** The file of a world's revocations. */
export const revocationsFile = (root: string): string =>
  join(revocationsFolder(root), "revoked.json");

/** The world's revocations (none when it has revoked nothing). */
export function loadRevocations(root: string): Promise<Revocations> {
  return readRevocations(revocationsFile(root));
}

/** Revokes every token of `name` issued until `now`; returns when it was revoked. */
export async function revokeClient(
  root: string,
  name: string,
  now = Date.now(),
): Promise<number> {
  validateClientName(name);
  const revoked = await loadRevocations(root);
  revoked[name] = now;
  await Deno.mkdir(revocationsFolder(root), { recursive: true });
  const partial = `${revocationsFile(root)}.partial`;
  await Deno.writeTextFile(partial, JSON.stringify(revoked, null, 2) + "\n");
  await Deno.rename(partial, revocationsFile(root));
  return now;
}

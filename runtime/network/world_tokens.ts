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

const PREFIX = "syncra1";
/** How long a token lasts unless told: a week. */
export const DEFAULT_TOKEN_TTL_SECONDS = 7 * 24 * 3600;
/** The longest a token may last: a year. */
export const MAX_TOKEN_TTL_SECONDS = 366 * 24 * 3600;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** What a valid token says. */
export interface TokenClaims {
  /** The world it is for (world_key.ts `worldId`). */
  world: string;
  /** The client's name: whose Player it joins as. */
  name: string;
  /** Issued and expiring, in Unix milliseconds (a revocation in the same second still counts). */
  iat: number;
  exp: number;
  /** Random, so that two tokens issued in one second differ. */
  id: string;
}

/** Why a token is refused; `code` says which way, for callers and logs. */
export class TokenError extends Error {
  override name = "TokenError";
  readonly code: "malformed" | "other-world" | "signature" | "expired" | "revoked";
  constructor(code: TokenError["code"], message: string) {
    super(message);
    this.code = code;
  }
}

/** Client names by the Unix millisecond their tokens were revoked at. */
export type Revocations = Record<string, number>;

/** Checks a client name; throws a clear Error for one that is not. */
export function validateClientName(name: string): string {
  if (!NAME.test(name)) {
    throw new Error(
      `Invalid client name ${JSON.stringify(name)}: letters, digits, "_", "." and "-", 1 to 64`,
    );
  }
  return name;
}

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const padded = text.replaceAll("-", "+").replaceAll("_", "/") +
    "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
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
  const payload = base64url(encoder.encode(JSON.stringify(claims)));
  const signed = encoder.encode(`${PREFIX}.${payload}`);
  const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", key.privateKey, signed));
  return `${PREFIX}.${payload}.${base64url(signature)}`;
}

/**
 * The claims of `token` for the world of `publicKey` (id `worldId`); throws
 * {@linkcode TokenError} saying why it is refused.
 */
export async function verifyToken(
  token: string,
  world: { publicKey: CryptoKey; worldId: string },
  revoked: Readonly<Revocations>,
  now = Date.now(),
): Promise<TokenClaims> {
  const parts = token.length <= 2048 ? token.split(".") : [];
  if (parts.length !== 3 || parts[0] !== PREFIX) {
    throw new TokenError(
      "malformed",
      `not a Syncra token (expected ${PREFIX}.<payload>.<signature>)`,
    );
  }
  let claims: TokenClaims, signature: Uint8Array;
  try {
    claims = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(fromBase64url(parts[1]!)));
    signature = fromBase64url(parts[2]!);
  } catch {
    throw new TokenError("malformed", "its payload or signature is not base64url JSON");
  }
  const shaped = typeof claims === "object" && claims !== null &&
    typeof claims.world === "string" && typeof claims.name === "string" &&
    Number.isInteger(claims.iat) && Number.isInteger(claims.exp) && typeof claims.id === "string";
  if (!shaped) throw new TokenError("malformed", "its payload lacks world, name, iat, exp or id");
  if (claims.world !== world.worldId) {
    throw new TokenError(
      "other-world",
      `it is for world ${claims.world}, not this one (${world.worldId})`,
    );
  }
  const valid = await crypto.subtle.verify(
    "Ed25519",
    world.publicKey,
    signature as Uint8Array<ArrayBuffer>,
    encoder.encode(`${PREFIX}.${parts[1]}`),
  );
  if (!valid) throw new TokenError("signature", "its signature is not this world's");
  if (claims.exp <= now) {
    throw new TokenError("expired", `it expired at ${new Date(claims.exp).toISOString()}`);
  }
  const revokedAt = Object.hasOwn(revoked, claims.name) ? revoked[claims.name]! : null;
  if (revokedAt !== null && claims.iat <= revokedAt) {
    throw new TokenError(
      "revoked",
      `the tokens of "${claims.name}" were revoked at ${new Date(revokedAt).toISOString()}`,
    );
  }
  return claims;
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

/** The revocations in `file` (none when it does not exist). */
export async function readRevocations(file: string): Promise<Revocations> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw error;
  }
  const parsed = JSON.parse(text);
  const out: Revocations = {};
  for (const [name, at] of Object.entries(parsed ?? {})) {
    if (Number.isInteger(at)) out[name] = at as number;
  }
  return out;
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

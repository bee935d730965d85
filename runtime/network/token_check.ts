/**
 * Checking a client's token (world_tokens.ts issues them): the half the
 * network driver runs inside its jail, so it imports nothing but the web
 * platform and Deno's file API (its bundle may not import `node:` modules).
 *
 * @module
 */

/** The first part of every token. */
export const TOKEN_PREFIX = "syncra1";

const encoder = new TextEncoder();

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

export function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const padded = text.replaceAll("-", "+").replaceAll("_", "/") +
    "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

/** The verifying key of a raw Ed25519 public key. */
export function publicKeyOf(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    raw as Uint8Array<ArrayBuffer>,
    { name: "Ed25519" },
    true,
    ["verify"],
  );
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
  if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX) {
    throw new TokenError(
      "malformed",
      `not a Syncra token (expected ${TOKEN_PREFIX}.<payload>.<signature>)`,
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
    encoder.encode(`${TOKEN_PREFIX}.${parts[1]}`),
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

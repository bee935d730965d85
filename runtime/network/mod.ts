/**
 * Multi-user networking (DESIGN §11): the world's key and its client
 * tokens, and the TLS of the network driver.
 *
 * @module
 */
export { ensureWorldKey, keysFolder, loadWorldKey, publicKeyOf, worldIdOf } from "./world_key.ts";
export type { WorldKey } from "./world_key.ts";
export {
  DEFAULT_TOKEN_TTL_SECONDS,
  issueToken,
  loadRevocations,
  MAX_TOKEN_TTL_SECONDS,
  revokeClient,
  TokenError,
  validateClientName,
  verifyToken,
} from "./world_tokens.ts";
export type { Revocations, TokenClaims } from "./world_tokens.ts";

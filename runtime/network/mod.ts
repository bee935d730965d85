/**
 * Multi-user networking (DESIGN §11): the world's key and its client
 * tokens, and the network driver's TLS — a world's development CA and
 * server certificate under `.syncra/tls/`, and the operator's own
 * certificate and key (`--tls-cert`/`--tls-key`), checked before use.
 *
 * @module
 */
export { ensureWorldKey, keysFolder, loadWorldKey, publicKeyOf, worldIdOf } from "./world_key.ts";
export type { WorldKey } from "./world_key.ts";
export { base64url } from "./token_check.ts";
export {
  DEFAULT_TOKEN_TTL_SECONDS,
  issueToken,
  loadRevocations,
  MAX_TOKEN_TTL_SECONDS,
  readRevocations,
  revocationsFile,
  revocationsFolder,
  revokeClient,
  TokenError,
  validateClientName,
  verifyToken,
} from "./world_tokens.ts";
export type { Revocations, TokenClaims } from "./world_tokens.ts";
export { ensureDevCertificate, hostsOf, tlsFolder } from "./dev_certificate.ts";
export type { DevCertificate } from "./dev_certificate.ts";
export { loadTlsFiles, TlsFileError } from "./tls_files.ts";
export type { TlsFileProblem, TlsFiles } from "./tls_files.ts";
export { certificateHosts, LOOPBACK_HOSTS } from "./certificate_hosts.ts";
export type { CertificateHosts } from "./certificate_hosts.ts";
export { spkiFingerprint } from "./spki_fingerprint.ts";
export { JoinError, joinWorld } from "./world_client.ts";
export type { JoinOptions, WorldClient } from "./world_client.ts";
export { RemoteMirror } from "./remote_mirror.ts";

/**
 * The base64 SHA-256 of a certificate's SubjectPublicKeyInfo: what
 * Chromium's `--ignore-certificate-errors-spki-list` and HTTP public key
 * pins name. It identifies the key, so it stays the same while a
 * certificate is reissued for the same key.
 *
 * @module
 */
import { parseFirstCertificate } from "./tls_files.ts";

/**
 * The SPKI fingerprint of the first certificate in `certPem`.
 *
 * @example
 * ```ts
 * import { ensureDevCertificate, spkiFingerprint } from "./mod.ts";
 * const root = await Deno.makeTempDir();
 * const { certPem } = await ensureDevCertificate(root, []);
 * console.assert((await spkiFingerprint(certPem)).length === 44);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function spkiFingerprint(certPem: string): Promise<string> {
  const certificate = parseFirstCertificate("(certificate)", certPem);
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", certificate.publicKey.rawData),
  );
  let binary = "";
  for (const b of digest) binary += String.fromCharCode(b);
  return btoa(binary);
}

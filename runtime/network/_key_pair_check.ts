/**
 * Whether a private key belongs to a certificate: the key signs a random
 * nonce and the certificate's public key must verify it (WebCrypto). A
 * mismatched pair would otherwise surface only as a failed handshake on the
 * first client, far from the files at fault.
 *
 * Keys are read as PKCS #8 ("PRIVATE KEY"); the older SEC 1 ("EC PRIVATE
 * KEY") and PKCS #1 ("RSA PRIVATE KEY") forms, which Deno's TLS also takes,
 * are wrapped into PKCS #8 first, since WebCrypto imports only that.
 *
 * @module
 */
import type { X509Certificate } from "@peculiar/x509";
import type { PemBlock } from "./_pem_blocks.ts";

/** How a certificate's key signs: the import and sign parameters for WebCrypto. */
interface SigningScheme {
  importAs: AlgorithmIdentifier | EcKeyImportParams | RsaHashedImportParams;
  signWith: AlgorithmIdentifier | EcdsaParams | RsaPssParams;
}

/** The signing scheme of `certificate`'s public key, or a sentence saying why there is none. */
function signingScheme(certificate: X509Certificate): SigningScheme | string {
  const algorithm = certificate.publicKey.algorithm as Algorithm & { namedCurve?: string };
  switch (algorithm.name) {
    case "ECDSA":
      return {
        importAs: { name: "ECDSA", namedCurve: algorithm.namedCurve ?? "P-256" },
        signWith: { name: "ECDSA", hash: "SHA-256" },
      };
    case "RSASSA-PKCS1-v1_5":
      return {
        importAs: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
        signWith: { name: "RSASSA-PKCS1-v1_5" },
      };
    case "RSA-PSS":
      return {
        importAs: { name: "RSA-PSS", hash: "SHA-256" },
        signWith: { name: "RSA-PSS", saltLength: 32 },
      };
    case "Ed25519":
      return { importAs: { name: "Ed25519" }, signWith: { name: "Ed25519" } };
    default:
      return `its public key is "${algorithm.name}", which Syncra cannot check (use ECDSA, RSA or Ed25519)`;
  }
}

/**
 * Null when `key` is the private key of `certificate`, else what is wrong
 * (a sentence fragment to follow the key file's name).
 */
export async function keyPairMismatch(
  certificate: X509Certificate,
  key: PemBlock,
): Promise<string | null> {
  const scheme = signingScheme(certificate);
  if (typeof scheme === "string") return scheme;
  const pkcs8 = asPkcs8(key, scheme);
  if (typeof pkcs8 === "string") return pkcs8;
  let privateKey: CryptoKey;
  try {
    privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, scheme.importAs, false, ["sign"]);
  } catch (error) {
    return `its key is not a ${(scheme.importAs as Algorithm).name} key like the certificate's: ${
      (error as Error).message
    }`;
  }
  const publicKey = await crypto.subtle.importKey(
    "spki",
    certificate.publicKey.rawData,
    scheme.importAs,
    false,
    ["verify"],
  );
  const nonce = crypto.getRandomValues(new Uint8Array(32));
  const signature = await crypto.subtle.sign(scheme.signWith, privateKey, nonce);
  const matches = await crypto.subtle.verify(scheme.signWith, publicKey, signature, nonce);
  return matches ? null : "the key does not match the certificate (it is another key pair's)";
}

/** `key` as PKCS #8 DER, or why it cannot be. */
function asPkcs8(key: PemBlock, scheme: SigningScheme): Uint8Array<ArrayBuffer> | string {
  const curve = (scheme.importAs as EcKeyImportParams).namedCurve;
  switch (key.label) {
    case "PRIVATE KEY":
      return key.der;
    case "EC PRIVATE KEY": {
      const curveOid = curve === undefined ? undefined : CURVE_OIDS[curve];
      if (curveOid === undefined) return "it holds an EC key but the certificate's is not ECDSA";
      return pkcs8(der(0x30, EC_PUBLIC_KEY_OID, curveOid), key.der);
    }
    case "RSA PRIVATE KEY":
      return pkcs8(der(0x30, RSA_ENCRYPTION_OID, DER_NULL), key.der);
    case "ENCRYPTED PRIVATE KEY":
      return "the key is encrypted with a passphrase; give the key unencrypted (mode 0600)";
    default:
      return `it holds a "${key.label}" block, not a private key`;
  }
}

// DER of the object identifiers PKCS #8 needs (RFC 5480, RFC 8017).
const EC_PUBLIC_KEY_OID = Uint8Array.of(0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);
const RSA_ENCRYPTION_OID = Uint8Array.of(
  0x06,
  0x09,
  0x2a,
  0x86,
  0x48,
  0x86,
  0xf7,
  0x0d,
  0x01,
  0x01,
  0x01,
);
const DER_NULL = Uint8Array.of(0x05, 0x00);
const CURVE_OIDS: Record<string, Uint8Array> = {
  "P-256": Uint8Array.of(0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07),
  "P-384": Uint8Array.of(0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22),
  "P-521": Uint8Array.of(0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23),
};

/** PrivateKeyInfo { version 0, algorithm, privateKey OCTET STRING }. */
function pkcs8(algorithm: Uint8Array, privateKey: Uint8Array): Uint8Array<ArrayBuffer> {
  return der(0x30, Uint8Array.of(0x02, 0x01, 0x00), algorithm, der(0x04, privateKey));
}

/** One DER element: `tag`, its definite length, then `parts`. */
function der(tag: number, ...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const length = parts.reduce((sum, p) => sum + p.length, 0);
  const lengthBytes: number[] = [];
  for (let n = length; n > 0; n >>= 8) lengthBytes.unshift(n & 0xff);
  const header = length < 0x80 ? [tag, length] : [tag, 0x80 | lengthBytes.length, ...lengthBytes];
  const out = new Uint8Array(header.length + length);
  out.set(header);
  let at = header.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

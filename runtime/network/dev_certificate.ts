/**
 * A world's development certificate (DESIGN §11): when the network driver
 * runs without `--tls-cert`/`--tls-key`, TLS is still on, with a server
 * certificate signed by a development CA of the world's own. Both live under
 * the world's `.syncra/tls/`:
 *
 * | file | what | mode |
 * | --- | --- | --- |
 * | `dev-ca.pem` | the CA certificate: what clients and browsers trust | 0644 |
 * | `dev-ca-key.pem` | the CA's private key (PKCS #8) | 0600 |
 * | `server.pem` | the server certificate, signed by the CA | 0644 |
 * | `server-key.pem` | the server's private key (PKCS #8) | 0600 |
 *
 * All keys are ECDSA P-256, made with WebCrypto; the certificates are built
 * with npm `@peculiar/x509`, so a fresh machine needs nothing but Deno. The
 * CA is kept for ten years and the server certificate for 397 days (the most
 * Apple's platforms accept). A later start reuses both while they are valid
 * and the server certificate names every host asked for; a new host gets a
 * new server certificate from the same CA, so whoever trusts the CA keeps
 * trusting the world.
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  type Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  type X509Certificate,
  X509CertificateGenerator,
} from "@peculiar/x509";
import { toPem } from "./_pem_blocks.ts";
import { keyPairMismatch } from "./_key_pair_check.ts";
import { type CertificateHosts, certificateHosts, coversHosts } from "./certificate_hosts.ts";
import {
  parseFirstCertificate,
  privateKeyBlock,
  type TlsFiles,
  validityProblem,
} from "./tls_files.ts";

/** A world's development CA and server certificate, as files and as PEM. */
export interface DevCertificate extends TlsFiles {
  /** The CA certificate, PEM: what clients trust. */
  caPem: string;
  /** `<root>/.syncra/tls/dev-ca.pem`. */
  caPath: string;
  /** Whether this call wrote any file (a new CA or a new server certificate). */
  created: boolean;
  /** Whether the CA itself is new, so clients that trusted the old one must trust this one. */
  caCreated: boolean;
}

const DAY_MS = 86_400_000;
const CA_LIFETIME_MS = 10 * 365 * DAY_MS;
const SERVER_LIFETIME_MS = 397 * DAY_MS;
/** Renewed this long before expiry, so a world never starts with a certificate about to lapse. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
/** Dated back this far, so a client whose clock is a little behind still accepts it. */
const BACKDATE_MS = 3_600_000;
const KEY_ALGORITHM: EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

/** Where a world keeps its TLS files. */
export const tlsFolder = (root: string): string => join(root, ".syncra", "tls");

/**
 * The development certificate of the world at `root` for `hosts` (and
 * always 127.0.0.1, ::1 and localhost): read from `.syncra/tls/` while
 * usable, else made there.
 *
 * @example
 * ```ts
 * import { ensureDevCertificate } from "./dev_certificate.ts";
 * const root = await Deno.makeTempDir();
 * const tls = await ensureDevCertificate(root, ["127.0.0.1"]);
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, cert: tls.certPem, key: tls.keyPem, onListen() {} },
 *   () => new Response("hello"),
 * );
 * console.assert(tls.caPath.endsWith(".syncra/tls/dev-ca.pem"));
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function ensureDevCertificate(
  root: string,
  hosts: readonly string[],
  now: Date = new Date(),
): Promise<DevCertificate> {
  const folder = tlsFolder(root);
  await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
  const paths = {
    ca: join(folder, "dev-ca.pem"),
    caKey: join(folder, "dev-ca-key.pem"),
    cert: join(folder, "server.pem"),
    key: join(folder, "server-key.pem"),
  };
  const wanted = certificateHosts(hosts);

  let ca = await readUsablePair(paths.ca, paths.caKey, now);
  const caCreated = ca === null;
  if (ca === null) {
    ca = await makeCa(basename(resolve(root)), now);
    // The key first: a crash between the two leaves no CA certificate without its key.
    await writeFileAtomically(paths.caKey, ca.keyPem, 0o600);
    await writeFileAtomically(paths.ca, ca.certPem, 0o644);
  }

  const previous = caCreated ? null : await readUsablePair(paths.cert, paths.key, now);
  let server: CertifiedKey;
  if (previous !== null && await isUsableServerCertificate(previous.certificate, ca, wanted)) {
    server = previous;
  } else {
    // A reissue keeps the server's key, so its SPKI fingerprint (which a
    // browser may have been told to trust) survives a new host.
    server = await issueServerCertificate(ca, wanted, now, previous);
    if (previous === null) await writeFileAtomically(paths.key, server.keyPem, 0o600);
    await writeFileAtomically(paths.cert, server.certPem, 0o644);
  }

  return {
    certPem: server.certPem,
    keyPem: server.keyPem,
    caPem: ca.certPem,
    certPath: paths.cert,
    keyPath: paths.key,
    caPath: paths.ca,
    notAfter: server.certificate.notAfter,
    created: caCreated || server.created,
    caCreated,
  };
}

/** A certificate with its key, as PEM and as objects. */
interface CertifiedKey {
  certificate: X509Certificate;
  certPem: string;
  keyPem: string;
  signingKey: CryptoKey;
  created: boolean;
}

/**
 * The pair at `certPath` and `keyPath` while both are readable, valid for
 * a while yet and each other's; null where they must be made anew.
 */
async function readUsablePair(
  certPath: string,
  keyPath: string,
  now: Date,
): Promise<CertifiedKey | null> {
  try {
    const [certPem, keyPem] = [await Deno.readTextFile(certPath), await Deno.readTextFile(keyPath)];
    const certificate = parseFirstCertificate(certPath, certPem);
    const renewAt = new Date(now.getTime() + RENEW_BEFORE_MS);
    if (
      validityProblem(certificate, now) !== null || validityProblem(certificate, renewAt) !== null
    ) {
      return null;
    }
    const key = privateKeyBlock(keyPath, keyPem);
    if (await keyPairMismatch(certificate, key) !== null) return null;
    const signingKey = await crypto.subtle.importKey("pkcs8", key.der, KEY_ALGORITHM, false, [
      "sign",
    ]);
    return { certificate, certPem, keyPem, signingKey, created: false };
  } catch {
    // Missing, damaged or foreign files are the development folder's to replace.
    return null;
  }
}

/** Whether `certificate` was signed by `ca` and names every host in `wanted`. */
async function isUsableServerCertificate(
  certificate: X509Certificate,
  ca: CertifiedKey,
  wanted: CertificateHosts,
): Promise<boolean> {
  const signedByCa = await certificate.verify({
    publicKey: ca.certificate.publicKey,
    signatureOnly: true,
  });
  return signedByCa && coversHosts(hostsOf(certificate), wanted);
}

/** The subjectAltName hosts of `certificate`. */
export function hostsOf(certificate: X509Certificate): CertificateHosts {
  const names = certificate.getExtension(SubjectAlternativeNameExtension)?.names.items ?? [];
  const ips = names.filter((n) => n.type === "ip").map((n) => n.value);
  const dns = names.filter((n) => n.type === "dns").map((n) => n.value);
  return certificateHosts([...ips, ...dns]);
}

async function makeCa(worldName: string, now: Date): Promise<CertifiedKey> {
  const keys = await crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
  const name = [{ CN: [`Syncra development CA for ${worldName}`] }, { O: ["Syncra development"] }];
  const certificate = await X509CertificateGenerator.create({
    subject: name,
    issuer: name,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_LIFETIME_MS),
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      // pathLength 0: this CA signs servers, never another CA.
      new BasicConstraintsExtension(true, 0, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return certified(certificate, keys);
}

async function issueServerCertificate(
  ca: CertifiedKey,
  hosts: CertificateHosts,
  now: Date,
  previous: CertifiedKey | null,
): Promise<CertifiedKey> {
  const keys: CryptoKeyPair = previous === null
    ? await crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])
    : {
      publicKey: await previous.certificate.publicKey.export(KEY_ALGORITHM, ["verify"]),
      privateKey: previous.signingKey,
    };
  const names = [
    ...hosts.ips.map((value) => ({ type: "ip" as const, value })),
    ...hosts.names.map((value) => ({ type: "dns" as const, value })),
  ];
  const extensions: Extension[] = [
    new BasicConstraintsExtension(false, undefined, true),
    new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
    new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
    new SubjectAlternativeNameExtension(names),
    await SubjectKeyIdentifierExtension.create(keys.publicKey),
    await AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey),
  ];
  const certificate = await X509CertificateGenerator.create({
    subject: [{ CN: [hosts.names[0] ?? hosts.ips[0] ?? "localhost"] }],
    issuer: ca.certificate.subjectName,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    // Never past the CA, which would make the tail of its life unverifiable.
    notAfter: new Date(
      Math.min(now.getTime() + SERVER_LIFETIME_MS, ca.certificate.notAfter.getTime()),
    ),
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
  if (previous !== null) {
    return {
      ...previous,
      certificate,
      certPem: toPem("CERTIFICATE", certificate.rawData),
      created: true,
    };
  }
  return certified(certificate, keys);
}

async function certified(certificate: X509Certificate, keys: CryptoKeyPair): Promise<CertifiedKey> {
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return {
    certificate,
    certPem: toPem("CERTIFICATE", certificate.rawData),
    keyPem: toPem("PRIVATE KEY", pkcs8),
    signingKey: keys.privateKey,
    created: true,
  };
}

/** Writes `text` to `path` whole or not at all, with `mode` (private keys 0600). */
async function writeFileAtomically(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(temporary, text, { mode, createNew: true });
    await Deno.chmod(temporary, mode);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

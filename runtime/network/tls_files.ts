/**
 * A certificate and key of the operator's own (`--tls-cert FILE --tls-key
 * FILE`, DESIGN §11), checked before the network driver listens: both are
 * PEM, the certificate is valid today, and the key is the certificate's.
 * Each refusal names the file and what is wrong with it.
 *
 * @module
 */
import { X509Certificate } from "@peculiar/x509";
import { type PemBlock, pemBlocks } from "./_pem_blocks.ts";
import { keyPairMismatch } from "./_key_pair_check.ts";

/** Why a TLS file was refused: a stable code for callers and tests. */
export type TlsFileProblem = "missing" | "unreadable" | "not_pem" | "expired" | "key_mismatch";

/** A certificate or key file that cannot serve TLS. */
export class TlsFileError extends Error {
  override name = "TlsFileError";
  /** What is wrong. */
  readonly code: TlsFileProblem;
  /** The file at fault. */
  readonly path: string;

  constructor(code: TlsFileProblem, path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.path = path;
  }
}

/** A certificate chain and its key, as Deno's TLS options take them. */
export interface TlsFiles {
  /** The certificate chain (the server's certificate first), PEM. */
  certPem: string;
  /** The server certificate's private key, PEM. */
  keyPem: string;
  certPath: string;
  keyPath: string;
  /** When the server certificate expires. */
  notAfter: Date;
}

/**
 * Reads the certificate at `certPath` and its key at `keyPath`, and checks
 * that they can serve TLS at `now`.
 *
 * @throws {TlsFileError} naming the file that is missing, not PEM, expired
 * or not yet valid, or the pair whose key does not match
 */
export async function loadTlsFiles(
  certPath: string,
  keyPath: string,
  now: Date = new Date(),
): Promise<TlsFiles> {
  const [certPem, keyPem] = [await readTlsFile(certPath), await readTlsFile(keyPath)];
  const certificate = parseFirstCertificate(certPath, certPem);
  const validity = validityProblem(certificate, now);
  if (validity !== null) {
    throw new TlsFileError(
      "expired",
      certPath,
      `Cannot use the TLS certificate ${certPath}: ${validity}`,
    );
  }
  const key = privateKeyBlock(keyPath, keyPem);
  const mismatch = await keyPairMismatch(certificate, key);
  if (mismatch !== null) {
    throw new TlsFileError(
      "key_mismatch",
      keyPath,
      `Cannot use the TLS key ${keyPath} with the certificate ${certPath}: ${mismatch}`,
    );
  }
  return { certPem, keyPem, certPath, keyPath, notAfter: certificate.notAfter };
}

async function readTlsFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    const missing = error instanceof Deno.errors.NotFound;
    throw new TlsFileError(
      missing ? "missing" : "unreadable",
      path,
      missing
        ? `Cannot use the TLS file ${path}: it is missing`
        : `Cannot read the TLS file ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** The first certificate of a PEM chain: the server's own. */
export function parseFirstCertificate(path: string, pem: string): X509Certificate {
  const block = pemBlocks(pem).find((b) => b.label === "CERTIFICATE");
  if (block === undefined) {
    throw new TlsFileError(
      "not_pem",
      path,
      `Cannot use the TLS certificate ${path}: it holds no PEM "CERTIFICATE" block ` +
        `(expected "-----BEGIN CERTIFICATE-----")`,
    );
  }
  try {
    return new X509Certificate(block.der);
  } catch (error) {
    throw new TlsFileError(
      "not_pem",
      path,
      `Cannot use the TLS certificate ${path}: its first certificate is not X.509: ` +
        (error as Error).message,
      { cause: error },
    );
  }
}

/** The private key block of a key file. */
export function privateKeyBlock(path: string, pem: string): PemBlock {
  const block = pemBlocks(pem).find((b) => b.label.endsWith("PRIVATE KEY"));
  if (block === undefined) {
    throw new TlsFileError(
      "not_pem",
      path,
      `Cannot use the TLS key ${path}: it holds no PEM private key ` +
        `(expected "-----BEGIN PRIVATE KEY-----")`,
    );
  }
  return block;
}

/** Null while `certificate` is valid at `now`, else why not. */
export function validityProblem(certificate: X509Certificate, now: Date): string | null {
  if (now < certificate.notBefore) {
    return `it is not valid before ${certificate.notBefore.toISOString()} (now ${now.toISOString()})`;
  }
  if (now > certificate.notAfter) {
    return `it expired on ${certificate.notAfter.toISOString()}`;
  }
  return null;
}

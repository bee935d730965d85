/**
 * PEM blocks (RFC 7468): the label and DER bytes of each
 * `-----BEGIN LABEL----- … -----END LABEL-----` in a text.
 *
 * @module
 */

/** One PEM block. */
export interface PemBlock {
  /** What the block says it holds: "CERTIFICATE", "PRIVATE KEY", "EC PRIVATE KEY", … */
  label: string;
  der: Uint8Array<ArrayBuffer>;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\s]*?)-----END \1-----/g;

/** The PEM blocks of `text` in order; none where it holds no PEM. */
export function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(BLOCK)].map((m) => {
    const binary = atob(m[2]!.replace(/\s+/g, ""));
    return { label: m[1]!, der: Uint8Array.from(binary, (c) => c.charCodeAt(0)) };
  });
}

/** `der` as a PEM block labelled `label`, 64 characters a line. */
export function toPem(label: string, der: Uint8Array | ArrayBuffer): string {
  const bytes = der instanceof Uint8Array ? der : new Uint8Array(der);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

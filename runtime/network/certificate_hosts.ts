/**
 * The names a world's server certificate is for: the hosts the network
 * driver is reached at, as the subjectAltName entries that browsers and
 * rustls check (DESIGN §11). Loopback is always among them, so a world on
 * `127.0.0.1:0` is reachable as `127.0.0.1`, `[::1]` and `localhost`.
 *
 * @module
 */

/** The hosts every development certificate covers. */
export const LOOPBACK_HOSTS: readonly string[] = ["127.0.0.1", "::1", "localhost"];

/** A certificate's hosts split by kind: iPAddress and dNSName entries. */
export interface CertificateHosts {
  /** IP addresses in canonical text form (`::1`, never `0:0:0:0:0:0:0:1`). */
  ips: string[];
  /** DNS names, lower case, punycode for non-ASCII labels. */
  names: string[];
}

// A certificate for "every interface" names no host a client connects to.
const UNSPECIFIED = new Set(["0.0.0.0", "::"]);

/**
 * `hosts` (IP addresses, optionally in brackets, or names) and the loopback
 * hosts, canonical and without duplicates.
 *
 * @example
 * ```ts
 * import { certificateHosts } from "./certificate_hosts.ts";
 * const { ips, names } = certificateHosts(["[::0001]", "World.Example"]);
 * console.assert(ips.includes("::1") && names.includes("world.example"));
 * ```
 */
export function certificateHosts(hosts: readonly string[]): CertificateHosts {
  const ips = new Set<string>();
  const names = new Set<string>();
  for (const host of [...LOOPBACK_HOSTS, ...hosts]) {
    const canonical = canonicalHost(host);
    if (UNSPECIFIED.has(canonical)) continue;
    (isIpAddress(canonical) ? ips : names).add(canonical);
  }
  return { ips: [...ips], names: [...names] };
}

/** Whether `covering` holds every host of `wanted`. */
export function coversHosts(covering: CertificateHosts, wanted: CertificateHosts): boolean {
  return wanted.ips.every((ip) => covering.ips.includes(ip)) &&
    wanted.names.every((name) => covering.names.includes(name));
}

/** `host` as a URL's hostname would have it (IPv6 without brackets). */
export function canonicalHost(host: string): string {
  const bare = host.trim().replace(/^\[(.*)\]$/, "$1");
  if (bare === "") throw new TypeError(`Cannot make a certificate for host "${host}": it is empty`);
  try {
    const hostname = new URL(`https://${bare.includes(":") ? `[${bare}]` : bare}/`).hostname;
    return hostname.replace(/^\[(.*)\]$/, "$1");
  } catch {
    throw new TypeError(
      `Cannot make a certificate for host "${host}": it is neither an IP address nor a host name`,
    );
  }
}

function isIpAddress(canonical: string): boolean {
  return canonical.includes(":") || /^\d{1,3}(\.\d{1,3}){3}$/.test(canonical);
}

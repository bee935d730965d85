/**
 * The network driver's entry (DESIGN §11, `deno task world --network
 * ADDR`): the address it serves (a free port when ADDR's is 0), its TLS —
 * the operator's `--tls-cert`/`--tls-key`, checked, or the world's
 * development certificate for that host — the world's public key and id
 * for checking tokens, and read access to the revocations' folder and the
 * world's assets (served to pages joined from elsewhere). The
 * runtime approves exactly this; the driver's reads are the replicated
 * components.
 *
 * @module
 */
import { join } from "node:path";
import { DEFAULT_NETWORK_SETTINGS, type DriverEntry } from "../policy/mod.ts";
import {
  base64url,
  ensureDevCertificate,
  ensureWorldKey,
  loadTlsFiles,
  revocationsFile,
  revocationsFolder,
} from "../network/mod.ts";
import { DRIVERS_DIR } from "./native_drivers.ts";

/** How the world serves its clients. */
export interface NetworkOptions {
  /** `HOST:PORT` to listen on (port 0: any free one). */
  address: string;
  /** The operator's certificate chain and key (PEM files), or null for the development one. */
  tlsCert: string | null;
  tlsKey: string | null;
  /** Settings passed through to the driver (interest radius, budgets, grace…), from syncra.json. */
  settings?: Record<string, unknown>;
}

/** `HOST:PORT` split, or an Error saying what is wrong with it. */
export function parseNetworkAddress(address: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(address);
  const port = match ? Number(match[2]) : -1;
  if (!match || port > 65535) {
    throw new Error(
      `Invalid value for --network: "${address}" is not HOST:PORT (for example 127.0.0.1:0, ` +
        `0.0.0.0:7443 or [::1]:7443; port 0 picks a free one)`,
    );
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port };
}

/** A free port on `host` (or `port` itself, once checked free). */
function choosePort(host: string, port: number): number {
  try {
    const listener = Deno.listen({ hostname: host, port });
    const chosen = (listener.addr as Deno.NetAddr).port;
    listener.close();
    return chosen;
  } catch (error) {
    throw new Error(
      `Cannot serve the network on ${host}:${port}: ${(error as Error).message}` +
        (error instanceof Deno.errors.AddrInUse ? " (pass port 0 to pick a free one)" : ""),
    );
  }
}

/** The network driver's entry and the URL clients join, `wss://HOST:PORT/`. */
export async function networkEntry(
  options: NetworkOptions,
  root: string,
  hz: number,
): Promise<{ entry: DriverEntry; url: string; caPath: string | null }> {
  const { host, port: asked } = parseNetworkAddress(options.address);
  if ((options.tlsCert === null) !== (options.tlsKey === null)) {
    throw new Error("--tls-cert and --tls-key go together: give both, or neither for a dev one");
  }
  const tls = options.tlsCert !== null
    ? await loadTlsFiles(options.tlsCert, options.tlsKey!)
    : await ensureDevCertificate(root, [host]);
  const caPath = "caPath" in tls ? String(tls.caPath) : null;
  const key = await ensureWorldKey(root);
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", key.publicKey));
  // The folder is mounted into the driver's jail: it must exist before it starts.
  await Deno.mkdir(revocationsFolder(root), { recursive: true });
  const port = choosePort(host, asked);
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `wss://${urlHost}:${port}/`,
    caPath,
    entry: {
      name: "network",
      file: join(DRIVERS_DIR, "network", "network.ts"),
      builtin: true,
      approve: {
        serve: [`${urlHost}:${port}`],
        net: [],
        read: [".syncra/revocations", "assets"],
        write: [],
        ffi: [],
        gpu: false,
      },
      settings: {
        ...DEFAULT_NETWORK_SETTINGS,
        ...options.settings,
        hostname: host,
        port,
        hz: hz || 60,
        certPem: tls.certPem,
        keyPem: tls.keyPem,
        publicKey: base64url(publicKey),
        worldId: key.worldId,
        revocationsFile: revocationsFile(root),
        assetsDir: join(root, "assets"),
      },
    },
  };
}

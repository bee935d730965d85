/**
 * `deno task driver NAME --nats URL`: a trusted host that runs a driver the
 * world's `syncra.json` marks `"remote": true` on this machine (the one
 * with the headset, the GPU, the speakers). It runs the world's own copy of
 * the driver (bundle_shelf.ts), each run a jailed, budgeted `deno run` child
 * of this machine with exactly the grants the world's owner approved, and
 * relays its frames (runtime/nats/driver_host.ts). The driver's role — its
 * handshake, feeds, writes, ports and restarts — stays with the world.
 *
 * @module
 */
import { driverUser, hostDriver } from "../nats/mod.ts";
import { fetchWorldCopy } from "./world_copy.ts";
import { hostLauncher } from "./host_launcher.ts";
import { type WorldOptions, worldPaths } from "./world_options.ts";
import { join } from "node:path";

/** What a driver host is told. */
export interface DriverHostOptions {
  /** The driver's name in the world's `syncra.json`. */
  driver: string;
  nats: string;
  /** Its credentials (default `.syncra/nats/driver_<name>.creds` here). */
  creds: string | null;
  jail: WorldOptions["jail"];
  output?: (line: string) => void;
  signal?: AbortSignal;
  /** Called once it serves. */
  onServing?: () => void;
}

/** Runs a driver host until `signal` aborts; returns the runs it started. */
export async function runDriverHost(options: DriverHostOptions): Promise<number> {
  const print = options.output ?? ((line: string) => console.error(line));
  const { driver } = options;
  const copy = await fetchWorldCopy({
    nats: options.nats,
    user: driverUser(driver),
    creds: options.creds,
    missing: () => `is "${driver}" a driver its syncra.json marks "remote": true?`,
  });
  try {
    const paths = worldPaths({
      scriptsDir: join(Deno.cwd(), "scripts"),
      workDir: null,
      statePath: null,
    });
    // What a child may use on this machine: this machine's syncra.json "limits", as for a script.
    const { launcher } = await hostLauncher({
      file: copy.file,
      paths,
      jail: options.jail,
      admit: () => () => {
        throw new Error("A remote driver is admitted by the world");
      },
    });
    await using host = await hostDriver({
      url: options.nats,
      identity: copy.identity,
      driver,
      note: print,
      runs: {
        async start(start, handlers) {
          if (start.version !== copy.bundle.hash) {
            print(`↻ the world runs version ${start.version} of driver ${driver}: fetching it`);
            await copy.refresh(start.version);
          }
          const prepared = await launcher.prepare(copy.bundle, start.grants, driver, copy.file);
          const child = launcher.spawn(
            prepared.command,
            handlers,
            prepared.frameLimits ? { limits: prepared.frameLimits } : {},
          );
          void child.process.exited.finally(() => prepared.group?.dispose().catch(() => {}));
          print(
            `• run ${start.run} of driver ${driver}: pid ${child.process.pid}, isolation ${prepared.isolation}` +
              (start.grants ? "" : " (describing itself)"),
          );
          return child;
        },
      },
    });
    print(`✔ hosting driver ${driver} on ${options.nats}`);
    options.onServing?.();
    await new Promise<void>((resolve) => {
      if (options.signal?.aborted) return resolve();
      options.signal?.addEventListener("abort", () => resolve(), { once: true });
      void host.done.then(resolve);
    });
    return host.runs;
  } finally {
    await copy.close();
  }
}

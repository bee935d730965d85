/**
 * `deno task system <script> --nats URL`: a trusted host that runs one
 * script for a world on NATS (DESIGN §7). The script runs exactly as in
 * local mode: bundled by the confined bundler, in its own jailed, budgeted
 * `deno run` child with no permissions beyond what this machine's
 * `syncra.json` approves, under the same system role (handshake, deadline,
 * restart with backoff). The host's NATS side is runtime/nats/system_host.ts.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { cpuUsage } from "node:process";
import {
  bundledModules,
  type BundlerLease,
  bundleVersion,
  openBundler,
} from "../../sandbox/bundle/mod.ts";
import { fetchWorldCopy, type WorldCopy } from "./world_copy.ts";
import { hostLauncher } from "./host_launcher.ts";
import { escapeControls } from "../protocol/mod.ts";
import { approveCapabilities } from "../policy/mod.ts";
import { DEFAULT_SYSTEM_OPTIONS, SystemRole } from "../roles/mod.ts";
import { EventStream } from "../supervision/mod.ts";
import { credentialsPath, encodeBody, hostSystem, readCredentials } from "../nats/mod.ts";
import { type WorldOptions, type WorldPaths, worldPaths } from "./world_options.ts";

/** What a host is told. */
export interface SystemHostOptions {
  /**
   * The script it runs: a file of this machine, or `{ system }`: the world's
   * own copy, fetched from its Object Store (and again whenever the world
   * runs a new version), with no source here.
   */
  script: { file: string } | { system: string };
  /** The world's NATS server. */
  nats: string;
  /** Its system's credentials (default `.syncra/nats/<system>.creds` of the script's world). */
  creds: string | null;
  /** Its instance id (default: random). */
  instance: string | null;
  jail: WorldOptions["jail"];
  /** Lines of the host's own and its script's; stderr by default. */
  output?: (line: string) => void;
  /** Stops the host. */
  signal?: AbortSignal;
  /** Called once it serves, with its instance id. */
  onServing?: (instance: string) => void;
}

/** Runs a host until `signal` aborts or the world refuses it; returns the shards it answered. */
export async function runSystemHost(options: SystemHostOptions): Promise<number> {
  const print = options.output ?? ((line: string) => console.error(line));
  const fromWorld = "system" in options.script
    ? await fetchWorldCopy({
      nats: options.nats,
      user: options.script.system,
      creds: options.creds,
      missing: (system) =>
        `is ${system} one of its scripts? (A system only hosts run needs its file here: ` +
        `deno task system FILE --nats URL)`,
    })
    : null;
  const file = "file" in options.script ? options.script.file : fromWorld!.file;
  // A world's copy is run as if this folder held it: limits and approvals come from here.
  const paths = worldPaths({
    scriptsDir: fromWorld ? join(Deno.cwd(), "scripts") : dirname(file),
    workDir: null,
    statePath: null,
  });
  let bundler: BundlerLease | null = null;
  try {
    // The world's copy is already bundled (by the world's confined bundler): no bundler here.
    if (!fromWorld) bundler = await openBundler({ jail: options.jail, cgroups: true });
    return await hostScript(options, print, file, paths, fromWorld);
  } finally {
    await bundler?.close();
    await fromWorld?.close();
  }
}

/** Runs the script's role and serves it on NATS until stopped. */
async function hostScript(
  options: SystemHostOptions,
  print: (line: string) => void,
  file: string,
  paths: WorldPaths,
  fromWorld: WorldCopy | null,
): Promise<number> {
  const { launcher: real, limits } = await hostLauncher({
    file,
    paths,
    jail: options.jail,
    // This machine's owner approves what the script may use here, as in local mode.
    admit: (config) => (manifest, f) =>
      approveCapabilities(config, manifest, f, dirname(file), paths.storage),
  });
  const launcher = fromWorld ? { ...real, bundle: () => Promise.resolve(fromWorld.bundle) } : real;
  const events = new EventStream();
  events.on((e) => {
    const who = `[${escapeControls(e.script)}]`;
    if (e.type === "log") print(`${who} ${escapeControls(e.text)}`);
    else if (e.type === "exit") print(`${who} exited (${e.reason}): ${escapeControls(e.detail)}`);
    else if (e.type === "refused") print(`${who} refused: ${escapeControls(e.error)}`);
    else if (e.type === "warning") print(`${who} ${escapeControls(e.message)}`);
  });
  const role = new SystemRole(file, launcher, events, DEFAULT_SYSTEM_OPTIONS);
  try {
    await role.start();
    role.commitPending();
    const child = role.active;
    if (!child) {
      throw new Error(`Cannot host "${file}": ${role.lastError ?? `it is ${role.state}`}`);
    }
    const system = role.name;
    const identity = fromWorld?.identity ??
      await readCredentials(options.creds ?? credentialsPath(paths.root, system));
    const instance = options.instance ?? crypto.randomUUID().slice(0, 8);
    const deadline = limits.deadlineMs;
    await using host = await hostSystem({
      url: options.nats,
      identity,
      system,
      instance,
      note: print,
      script: {
        get registration() {
          const running = role.active ?? child;
          return {
            manifest: role.wireManifest,
            modules: [...bundledModules(running.bundle, file)],
            file: basename(file),
            version: bundleVersion(running.bundle),
          };
        },
        ...(fromWorld && {
          async follow(version: string) {
            await fromWorld.refresh(version);
            // The new version starts beside the old, and takes over before the next shard.
            await role.start(true);
            role.commitPending();
          },
        }),
        async run(message) {
          // A restarted child (after a crash) takes over between shards.
          role.commitPending();
          role.beginTick();
          const outcome = await role.request(
            message,
            { waitMs: deadline, deadlineMs: deadline },
            (result) => encodeBody(result),
          );
          return outcome.kind === "result" ? outcome.value : null;
        },
        cpuMs() {
          const { user, system } = cpuUsage();
          return (user + system) / 1000;
        },
      },
    });
    print(
      `✔ hosting ${system} (${file}) as instance ${instance} on ${options.nats}, isolation ${
        role.isolation ?? "none"
      }`,
    );
    options.onServing?.(instance);
    const stopped = new Promise<string | null>((resolve) => {
      if (options.signal?.aborted) return resolve(null);
      options.signal?.addEventListener("abort", () => resolve(null), { once: true });
    });
    const why = await Promise.race([host.done, stopped]);
    if (why) throw new Error(why);
    return host.shards;
  } finally {
    await role.stop("shutdown");
  }
}

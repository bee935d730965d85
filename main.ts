/**
 * The Syncra CLI: parses flags and wires the runtime in the right mode.
 *
 *   deno task world [--scripts DIR] [--ticks N] [--hz N] [--report FILE]
 *                   [--dump FILE] [--state FILE] [--fresh] [--deadline MS] [--jail auto|on|off]
 *   deno task system <script>|<name> --nats URL [--creds FILE] [--instance ID] [--jail auto|on|off]
 *   deno task query "Transform,Spin" --nats URL [--creds FILE]
 *   deno task query --snapshot --nats URL [--creds FILE]
 *   deno task explain <script>
 *   deno task graph [--scripts DIR] [--svg FILE] [--jail auto|on|off]
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  DEFAULT_RENDERER_OPTIONS,
  DEFAULT_WORLD_OPTIONS,
  entities,
  type NetworkOptions,
  parseNetworkAddress,
  type RendererOptions,
  runDriverHost,
  runSystemHost,
  runWorld,
  worldPaths,
} from "./runtime/app/mod.ts";
import { explainScript, formatExplanation } from "./runtime/app/mod.ts";
import { explainDriver, formatDriverExplanation } from "./runtime/app/mod.ts";
import { graphOfFolder, toMermaid, toSvg } from "./runtime/app/mod.ts";
import { didYouMean } from "./runtime/policy/mod.ts";
import { credentialsPath, formatAnswer, queryWorld, snapshotWorld } from "./runtime/nats/mod.ts";

const USAGE = `Usage:
  deno task world [flags]        run the world in ./scripts until Ctrl-C
  deno task explain <script>     show a script's (or driver's) grants, command line and jail
  deno task graph [flags]        print who reads, writes, emits and receives what, as Mermaid
  deno task system <script> --nats URL   host a script for a world on NATS (one more instance)
  deno task system <name> --nats URL     the same with the world's own copy of system <name>
  deno task driver <name> --nats URL     run a driver syncra.json marks "remote" on this machine
  deno task query "A,B" --nats URL   print the entities of a world on NATS that have A and B
  deno task query --snapshot --nats URL   make a world on NATS save a snapshot to JetStream now
  deno task token --name NAME    print a client's token for this world; --revoke NAME revokes

World flags:
  --scripts DIR      folder of scripts (default "scripts")
  --ticks N          run N ticks, then shut down cleanly and exit 0
  --hz N             tick rate (default 60); 0 runs ticks back to back
  --report FILE      at exit, write a JSON report
  --dump FILE        at exit, write the world state as JSON
  --state FILE       where state is saved and restored (default .syncra/world.state beside
                     the scripts folder: a world's files live in its root, the folder above)
  --fresh            ignore saved state (and run init hooks)
  --seed N           the random seed of a world this run creates (default 0)
  --deadline MS      how long a tick may run before its script is restarted (default 250)
  --jail MODE        auto (default): OS jail where available; on: require it; off: flags only
  --no-watch         do not hot-reload on file changes
  --port N           the viewer's port (default 8000, or the next free one; 0 picks any)
  --no-viewer        run without the viewer (headless)
  --editable         the viewer's inspector may edit components
  --renderer         run the native renderer driver (three.js on Deno's WebGPU, headless)
  --frames DIR       the renderer writes PNG frames into DIR (implies --renderer)
  --frame-size WxH   the renderer's frame size (default 320x240)
  --frame-rate N     frames a second at most (default 10)
  --frame-batching M instanced (default, the viewer's way) or batched (three.js BatchedMesh)
  --audio            run the spatial audio driver (48 kHz stereo on its "audio" port)
  --audio-out FILE   the audio driver writes its mix to FILE as WAV (implies --audio)
  --openxr           run the OpenXR driver: a headset's poses (the machine's active runtime,
                     Monado's) into a Player
  --openxr-runtime F the OpenXR runtime manifest F instead (implies --openxr)
  --network ADDR     serve the world to clients over WebSocket with TLS on HOST:PORT (port 0:
                     any free one); prints "network: wss://HOST:PORT/"
  --tls-cert FILE    the network's certificate chain (PEM); without it and --tls-key a
                     development certificate is made in .syncra/tls/ (clients trust dev-ca.pem)
  --tls-key FILE     the network's private key (PEM)
  --join URL         run as a client of the world at URL (wss://…): mirror its replicated
                     components into this world's ECS beside its own scripts (no viewer unless
                     --port is given; nothing of the mirror is saved)
  --token T          the token to join with (deno task token on the world's machine)
  --ca FILE          trust this CA certificate for --join (the world's .syncra/tls/dev-ca.pem)
  --nats auto|URL    distributed mode: auto starts nats-server (from PATH) for this world;
                     a nats:// URL joins a server configured with .syncra/nats/authorization.conf
  --creds FILE       the coordinator's NATS credentials (default .syncra/nats/coordinator.creds)
  --remote A,B       systems that run only on hosts (deno task system): the world makes their
                     NATS credentials in .syncra/nats/
  --quiet            no logs or status line

Token flags (deno task token: one line, a client's token for this world):
  --scripts DIR      the world's scripts folder (default "scripts"): its key is in .syncra/keys/
  --name NAME        the client the token is for (letters, digits, "_", ".", "-")
  --ttl SECONDS      how long it lasts (default a week, at most a year)
  --revoke NAME      revoke every token of NAME issued so far instead

System host flags:
  --nats URL         the world's NATS server (required)
  --creds FILE       the system's credentials (default .syncra/nats/<system>.creds beside the
                     script's folder), copied from the world's machine
  --instance ID      this host's instance id (default: random)
  --jail MODE        as for the world

Graph flags:
  --scripts DIR      folder of scripts (default "scripts")
  --no-viewer        leave the viewer driver out
  --svg FILE         also draw the graph as an SVG picture into FILE
  --jail MODE        as for the world`;

class UsageError extends Error {
  override name = "UsageError";
}

function number(
  flag: string,
  value: string | undefined,
  check: (n: number) => boolean,
  what: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !check(n)) {
    throw new UsageError(`Invalid value for --${flag}: "${value}" is not ${what}`);
  }
  return n;
}

const OPTIONS = {
  scripts: { type: "string" },
  ticks: { type: "string" },
  hz: { type: "string" },
  report: { type: "string" },
  dump: { type: "string" },
  state: { type: "string" },
  fresh: { type: "boolean" },
  seed: { type: "string" },
  deadline: { type: "string" },
  jail: { type: "string" },
  "no-watch": { type: "boolean" },
  port: { type: "string" },
  "no-viewer": { type: "boolean" },
  editable: { type: "boolean" },
  renderer: { type: "boolean" },
  frames: { type: "string" },
  "frame-size": { type: "string" },
  "frame-rate": { type: "string" },
  "frame-batching": { type: "string" },
  audio: { type: "boolean" },
  "audio-out": { type: "string" },
  openxr: { type: "boolean" },
  "openxr-runtime": { type: "string" },
  network: { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  join: { type: "string" },
  token: { type: "string" },
  ca: { type: "string" },
  quiet: { type: "boolean" },
  nats: { type: "string" },
  creds: { type: "string" },
  remote: { type: "string" },
  snapshot: { type: "boolean" },
  instance: { type: "string" },
  limit: { type: "string" },
  name: { type: "string" },
  ttl: { type: "string" },
  revoke: { type: "string" },
  svg: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function parse(args: string[]) {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    let message = (error as Error).message.replace(/\. To specify a positional.*$/s, "");
    const unknown = /^Unknown option '--([^']+)'/.exec(message)?.[1];
    const guess = unknown === undefined ? null : didYouMean(unknown, Object.keys(OPTIONS));
    if (guess) message += ` (did you mean --${guess}?)`;
    throw new UsageError(message);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parse(rest);
  if (values.help || command === undefined || command === "help") {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  const jail = values.jail ?? DEFAULT_WORLD_OPTIONS.jail;
  if (jail !== "auto" && jail !== "on" && jail !== "off") {
    throw new UsageError(`Invalid value for --jail: "${jail}" is not one of auto, on, off`);
  }
  if (values.nats !== undefined && !["world", "query", "system", "driver"].includes(command)) {
    throw new UsageError(`The flag --nats is for deno task world, system, driver and query`);
  }
  if (
    values.nats !== undefined && values.nats !== "auto" && !/^nats:\/\/[^\s/]+$/.test(values.nats)
  ) {
    throw new UsageError(
      `Invalid value for --nats: "${values.nats}" is not auto or nats://HOST:PORT`,
    );
  }
  if (command === "query") return await query(values, positionals);
  if (command === "system") return await system(values, positionals, jail);
  if (command === "driver") return await driver(values, positionals, jail);
  if (values.svg !== undefined && command !== "graph") {
    throw new UsageError("The flag --svg is for deno task graph only");
  }
  const worldOnly = WORLD_ONLY_FLAGS.find((flag) => values[flag] !== undefined);
  if (worldOnly !== undefined && command !== "world") {
    throw new UsageError(`The flag --${worldOnly} is for deno task world only`);
  }
  if (command === "world") {
    if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}"`);
    const ticks = number(
      "ticks",
      values.ticks,
      (n) => Number.isInteger(n) && n > 0,
      "a positive integer",
    );
    const hz = number("hz", values.hz, (n) => n >= 0 && n <= 10_000, "a rate from 0 to 10000");
    const deadline = number(
      "deadline",
      values.deadline,
      (n) => n > 0 && n <= 600_000,
      "a positive number of ms",
    );
    const port = number(
      "port",
      values.port,
      (n) => Number.isInteger(n) && n >= 0 && n <= 65535,
      "a port from 0 to 65535",
    );
    const seed = number(
      "seed",
      values.seed,
      (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff,
      "an integer from 0 to 4294967295",
    );
    // Ctrl-C and SIGTERM stop the world cleanly: children stopped in order, state saved.
    await untilSignalled((signal) =>
      runWorld({
        ...(values.scripts !== undefined && { scriptsDir: values.scripts }),
        ticks: ticks ?? null,
        ...(hz !== undefined && { hz }),
        reportPath: values.report ?? null,
        dumpPath: values.dump ?? null,
        ...(values.state !== undefined && { statePath: values.state }),
        fresh: values.fresh ?? false,
        ...(seed !== undefined && { seed }),
        ...(deadline !== undefined && { deadlineMs: deadline }),
        jail,
        watch: !values["no-watch"],
        viewer: !values["no-viewer"] && (values.join === undefined || values.port !== undefined),
        join: joinFlags(values),
        editable: values.editable ?? false,
        renderer: rendererFlags(values),
        audio: values.audio || values["audio-out"] !== undefined
          ? { out: values["audio-out"] ?? null }
          : null,
        openxr: values.openxr || values["openxr-runtime"] !== undefined
          ? { runtime: values["openxr-runtime"] ?? null }
          : null,
        network: networkFlags(values),
        ...(port !== undefined && { port }),
        quiet: values.quiet ?? false,
        nats: values.nats ?? null,
        natsCreds: values.creds ?? null,
        remoteSystems: remoteNames(values.remote, values.nats),
        signal,
      })
    );
    return 0;
  }
  if (command === "explain") {
    if (positionals.length !== 1) throw new UsageError("Usage: deno task explain <script>");
    const file = positionals[0]!;
    if (!(await Deno.stat(file).catch(() => null))?.isFile) {
      throw new UsageError(`Cannot explain "${file}": no such file`);
    }
    // A driver the world enables (syncra.json "drivers", or the viewer) is explained as one.
    const driver = await explainDriver(file, values.scripts ?? DEFAULT_WORLD_OPTIONS.scriptsDir, {
      jail,
    }).catch(() => null);
    if (driver) {
      console.log(formatDriverExplanation(driver));
      return driver.error === null ? 0 : 1;
    }
    const explanation = await explainScript(file, {
      jail,
      ...(values.scripts !== undefined && { scriptsDir: values.scripts }),
    });
    console.log(formatExplanation(explanation));
    return explanation.state === "ok" || explanation.state === "module" ? 0 : 1;
  }
  if (command === "graph") return await graph(values, positionals, jail);
  if (command === "token") return await token(values, positionals);
  throw new UsageError(`Unknown command "${command}"`);
}

/** The renderer's flags besides --renderer: any of them starts it too. */
const RENDERER_FLAGS = ["frames", "frame-size", "frame-rate", "frame-batching"] as const;

/** The flags of the native drivers (renderer, audio, OpenXR, network) and of a client: deno task world only. */
const WORLD_ONLY_FLAGS = [
  "renderer",
  ...RENDERER_FLAGS,
  "audio",
  "audio-out",
  "openxr",
  "openxr-runtime",
  "network",
  "tls-cert",
  "tls-key",
  "join",
  "token",
  "ca",
] as const;

/** `--renderer`, `--frames DIR`, `--frame-size WxH`, `--frame-rate N`, `--frame-batching M`. */
function rendererFlags(values: ReturnType<typeof parse>["values"]): RendererOptions | null {
  const wanted = values.renderer || RENDERER_FLAGS.some((f) => values[f] !== undefined);
  if (!wanted) return null;
  const defaults = DEFAULT_RENDERER_OPTIONS;
  const size = values["frame-size"] ?? `${defaults.width}x${defaults.height}`;
  const match = /^([0-9]{1,4})x([0-9]{1,4})$/.exec(size);
  const [width, height] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if (!(width >= 16 && width <= 4096 && height >= 16 && height <= 4096)) {
    throw new UsageError(
      `Invalid value for --frame-size: "${size}" is not WIDTHxHEIGHT, each 16 to 4096 (e.g. 1280x720)`,
    );
  }
  const rate = number(
    "frame-rate",
    values["frame-rate"],
    (n) => n > 0 && n <= 240,
    "frames a second, above 0 and at most 240",
  ) ?? defaults.rate;
  const batching = values["frame-batching"] ?? defaults.batching;
  if (batching !== "instanced" && batching !== "batched") {
    throw new UsageError(
      `Invalid value for --frame-batching: "${batching}" is not one of instanced, batched`,
    );
  }
  return { frames: values.frames ?? null, width, height, rate, batching };
}

/** `--join URL --token T [--ca FILE]`: a client instance. */
function joinFlags(
  values: ReturnType<typeof parse>["values"],
): { url: string; token: string; ca: string | null } | null {
  if (values.join === undefined) {
    if (values.ca !== undefined) throw new UsageError("The flag --ca needs --join URL");
    return null;
  }
  let url: URL;
  try {
    url = new URL(values.join);
  } catch {
    url = new URL("invalid:");
  }
  if (url.protocol !== "wss:") {
    throw new UsageError(
      `Invalid value for --join: "${values.join}" is not a wss:// URL (what the world printed ` +
        `as "network: wss://HOST:PORT/"; worlds serve only TLS)`,
    );
  }
  if (values.token === undefined) {
    throw new UsageError(
      "The flag --join needs --token T (deno task token --name NAME on the world's machine)",
    );
  }
  const clash = (["network", "nats", "remote"] as const).find((f) => values[f] !== undefined);
  if (clash) {
    throw new UsageError(`The flag --join cannot go with --${clash}: a client serves nothing`);
  }
  return { url: values.join, token: values.token, ca: values.ca ?? null };
}

/** `--network ADDR` with `--tls-cert FILE --tls-key FILE` (both or neither). */
function networkFlags(values: ReturnType<typeof parse>["values"]): NetworkOptions | null {
  const cert = values["tls-cert"] ?? null, key = values["tls-key"] ?? null;
  if (values.network === undefined) {
    if (cert !== null || key !== null) {
      throw new UsageError(
        `The flag --${cert !== null ? "tls-cert" : "tls-key"} needs --network ADDR`,
      );
    }
    return null;
  }
  if ((cert === null) !== (key === null)) {
    throw new UsageError(
      "The flags --tls-cert and --tls-key go together: give both, or neither for a development " +
        "certificate",
    );
  }
  try {
    parseNetworkAddress(values.network);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return { address: values.network, tlsCert: cert, tlsKey: key };
}

/** Runs `work` with a signal that SIGINT or SIGTERM aborts. */
async function untilSignalled<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const onSignal = () => stop.abort();
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    return await work(stop.signal);
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
}

/** `--remote A,B`: names of systems that run only on hosts (distributed mode only). */
function remoteNames(list: string | undefined, nats: string | undefined): string[] {
  if (list === undefined) return [];
  if (nats === undefined) throw new UsageError("The flag --remote needs --nats (distributed mode)");
  const names = list.split(",").map((n) => n.trim()).filter((n) => n !== "");
  const bad = names.find((n) => !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(n));
  if (bad !== undefined) {
    throw new UsageError(
      `Invalid value for --remote: "${bad}" is not a system name (letters, digits, "_")`,
    );
  }
  return names;
}

/** A flag set that `command` does not take is a mistake worth saying. */
function rejectForeignFlags(values: object, allowed: ReadonlySet<string>, command: string): void {
  const foreign = Object.keys(values).find((flag) => !allowed.has(flag));
  if (foreign) throw new UsageError(`The flag --${foreign} does not apply to deno task ${command}`);
}

/** Flags `driver` understands. */
const DRIVER_FLAGS = new Set(["nats", "creds", "jail"]);

/** Flags `system` understands. */
const SYSTEM_FLAGS = new Set(["nats", "creds", "instance", "jail", "help"]);

/** `deno task system <script> --nats URL`: one more instance of a system, for a world on NATS. */
async function system(
  values: ReturnType<typeof parse>["values"],
  positionals: string[],
  jail: "auto" | "on" | "off",
): Promise<number> {
  if (positionals.length !== 1 || values.nats === undefined || values.nats === "auto") {
    throw new UsageError("Usage: deno task system <script> --nats nats://HOST:PORT [--creds FILE]");
  }
  rejectForeignFlags(values, SYSTEM_FLAGS, "system");
  const what = positionals[0]!, nats = values.nats;
  // A bare system name runs the world's own copy (fetched from its Object Store); else a file here.
  const byName = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(what);
  if (!byName && !(await Deno.stat(what).catch(() => null))?.isFile) {
    throw new UsageError(`Cannot host "${what}": no such file`);
  }
  if (values.instance !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(values.instance)) {
    throw new UsageError(
      `Invalid value for --instance: "${values.instance}" is not letters, digits, "_" and "-"`,
    );
  }
  // Ctrl-C and SIGTERM stop the host cleanly: it says goodbye, its shards go to the others.
  const shards = await untilSignalled((signal) =>
    runSystemHost({
      script: byName ? { system: what } : { file: what },
      nats,
      creds: values.creds ?? null,
      instance: values.instance ?? null,
      jail,
      signal,
      onServing: (instance) => console.log(`instance: ${instance}`),
    })
  );
  console.error(`✔ stopped after ${shards} shards`);
  return 0;
}

/** `deno task driver NAME --nats URL`: runs a remote driver of a world on NATS, here. */
async function driver(
  values: ReturnType<typeof parse>["values"],
  positionals: string[],
  jail: "auto" | "on" | "off",
): Promise<number> {
  const name = positionals[0];
  if (positionals.length !== 1 || values.nats === undefined || values.nats === "auto") {
    throw new UsageError("Usage: deno task driver <name> --nats nats://HOST:PORT [--creds FILE]");
  }
  rejectForeignFlags(values, DRIVER_FLAGS, "driver");
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name!)) {
    throw new UsageError(`"${name}" is not a driver's name (letters, digits and "_")`);
  }
  const nats = values.nats;
  const runs = await untilSignalled((signal) =>
    runDriverHost({
      driver: name!,
      nats,
      creds: values.creds ?? null,
      jail,
      signal,
      onServing: () => console.log(`driver: ${name}`),
    })
  );
  console.error(`✔ stopped after ${runs} runs`);
  return 0;
}

/** `deno task query "A,B" --nats URL`: the entities of a running world that have A and B. */
async function query(
  values: ReturnType<typeof parse>["values"],
  positionals: string[],
): Promise<number> {
  const creds = values.creds ?? credentialsPath(Deno.cwd(), "query");
  if (values.snapshot && positionals.length === 0 && values.nats && values.nats !== "auto") {
    const saved = await snapshotWorld(values.nats, creds);
    if (saved.error) {
      console.error(`error: the world did not save a snapshot: ${saved.error}`);
      return 1;
    }
    console.log(`✔ snapshot of tick ${saved.tick} (${entities(saved.entities)}) in ${saved.store}`);
    return 0;
  }
  if (positionals.length !== 1 || values.nats === undefined || values.nats === "auto") {
    throw new UsageError(
      'Usage: deno task query "Component,Other" --nats nats://HOST:PORT, or --snapshot --nats URL',
    );
  }
  const components = positionals[0]!.split(",").map((c) => c.trim()).filter((c) => c !== "");
  const limit = number(
    "limit",
    values.limit,
    (n) => Number.isInteger(n) && n > 0,
    "a positive integer",
  );
  const answer = await queryWorld(values.nats, creds, components, limit);
  console.log(formatAnswer(answer));
  return answer.error ? 1 : 0;
}

/** Flags `token` understands. */
const TOKEN_FLAGS = new Set(["scripts", "name", "ttl", "revoke", "help"]);

/**
 * `deno task token --name NAME [--ttl SECONDS]`: one line, a token for that client of the world
 * (signed by its key under .syncra/keys/, made on first use); `--revoke NAME` revokes its tokens.
 */
async function token(
  values: ReturnType<typeof parse>["values"],
  positionals: string[],
): Promise<number> {
  rejectForeignFlags(values, TOKEN_FLAGS, "token");
  // Loaded here only: the network module brings X.509 code no other command needs.
  const {
    DEFAULT_TOKEN_TTL_SECONDS,
    ensureWorldKey,
    issueToken,
    MAX_TOKEN_TTL_SECONDS,
    revokeClient,
    validateClientName,
  } = await import("./runtime/network/mod.ts");
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}"`);
  if ((values.name === undefined) === (values.revoke === undefined)) {
    throw new UsageError(
      "Usage: deno task token [--scripts DIR] --name NAME [--ttl SECONDS], or --revoke NAME",
    );
  }
  if (values.ttl !== undefined && values.name === undefined) {
    throw new UsageError("The flag --ttl goes with --name");
  }
  const guard = (name: string) => {
    try {
      return validateClientName(name);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  };
  const scriptsDir = values.scripts ?? DEFAULT_WORLD_OPTIONS.scriptsDir;
  if (!(await Deno.stat(scriptsDir).catch(() => null))?.isDirectory) {
    throw new UsageError(
      `The scripts folder "${scriptsDir}" does not exist: run where the world is`,
    );
  }
  const root = worldPaths({ scriptsDir, workDir: null, statePath: null }).root;
  if (values.revoke !== undefined) {
    const at = await revokeClient(root, guard(values.revoke));
    console.error(
      `✔ the tokens of "${values.revoke}" issued until ${new Date(at).toISOString()} are revoked`,
    );
    return 0;
  }
  const ttl = number(
    "ttl",
    values.ttl,
    (n) => Number.isInteger(n) && n >= 1 && n <= MAX_TOKEN_TTL_SECONDS,
    `whole seconds from 1 to ${MAX_TOKEN_TTL_SECONDS}`,
  ) ?? DEFAULT_TOKEN_TTL_SECONDS;
  console.log(await issueToken(await ensureWorldKey(root), guard(values.name!), ttl));
  return 0;
}

/** Flags `graph` understands; any other set flag is a mistake worth saying. */
const GRAPH_FLAGS = new Set(["scripts", "svg", "jail", "no-viewer", "help"]);

/** `deno task graph`: the folder's read/write/event graph as Mermaid on stdout, and an SVG. */
async function graph(
  values: ReturnType<typeof parse>["values"],
  positionals: string[],
  jail: "auto" | "on" | "off",
): Promise<number> {
  if (positionals.length > 0) {
    throw new UsageError(
      `Unexpected argument "${positionals[0]}": pass the scripts folder as --scripts DIR`,
    );
  }
  rejectForeignFlags(values, GRAPH_FLAGS, "graph");
  const scriptsDir = values.scripts ?? DEFAULT_WORLD_OPTIONS.scriptsDir;
  if (!(await Deno.stat(scriptsDir).catch(() => null))?.isDirectory) {
    throw new UsageError(
      `Cannot draw the graph of "${scriptsDir}": no such folder. Pass the scripts folder as --scripts DIR`,
    );
  }
  // The world runs the viewer unless told not to: so does its graph.
  const { graph, refused } = await graphOfFolder(scriptsDir, {
    jail,
    viewer: !values["no-viewer"],
  });
  for (const r of refused) {
    console.error(`${r.file} refused, left out of the graph: ${r.error}`);
  }
  console.log(toMermaid(graph).trimEnd());
  if (values.svg !== undefined) {
    try {
      await Deno.writeTextFile(values.svg, toSvg(graph));
    } catch (error) {
      throw new Error(`Cannot write the SVG to "${values.svg}": ${(error as Error).message}`);
    }
    console.error(`graph: SVG written to ${values.svg}`);
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n\n${USAGE}`);
      Deno.exit(2);
    }
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}

/**
 * The coordinator on NATS (DESIGN §7): it connects as its own user, says
 * each tick on `engine.coord.tick` (headers: the message type and the tick
 * id), and answers `engine.query.request` with the entities that have the
 * asked components. With `--nats auto` it runs the world's nats-server
 * itself; with `--nats URL` it joins one the owner runs, configured with the
 * `authorization` block it writes to `.syncra/nats/authorization.conf`.
 *
 * @module
 */
import { join } from "node:path";
import { connect, headers, type NatsConnection, nkeyAuthenticator } from "@nats-io/transport-node";
import type { World } from "../ecs/mod.ts";
import {
  authorizationBlock,
  type AuthorizedUser,
  ensureIdentity,
  natsFolder,
  type NatsIdentity,
  readCredentials,
} from "./identities.ts";
import { type NatsServer, startNatsServer } from "./nats_server.ts";
import { JetStreamWorldStore } from "./jetstream_store.ts";
import type { SnapshotAnswer } from "./query_client.ts";
import { shelveBundle, type ShelvedBundle } from "./bundle_shelf.ts";
import { remoteDriverLauncher } from "./remote_driver.ts";
import { encodeBody } from "./message_parts.ts";
import { decodeMessagePack } from "../protocol/mod.ts";
import type { ChildLauncher } from "../supervision/mod.ts";
import { type PoolWorld, RemoteSystems } from "./remote_systems.ts";
import { type ConnectionState, watchConnection } from "./connection_state.ts";
import {
  coordinatorPermissions,
  driverPermissions,
  driverUser,
  queryPermissions,
  SUBJECTS,
  systemPermissions,
} from "./subjects.ts";

/** The most bytes a query answer may hold (the server's max payload is 1 MiB). */
const MAX_ANSWER_BYTES = 900 * 1024;

/** What `engine.query.request` carries. */
export interface QueryRequest {
  /** Component names an entity must all have. */
  components: string[];
  /** At most this many entities in the answer. @default 1000 */
  limit?: number;
}

/** What the coordinator answers. */
export interface QueryAnswer {
  tick: number;
  /** How many entities match in all. */
  total: number;
  /** The first of them (by id), with the asked components' values. */
  entities: { id: number; components: Record<string, Record<string, unknown>> }[];
  /** Set when the answer is not the whole request (an unknown component, a bad request). */
  error?: string;
}

/** The world's connection to NATS. */
export interface WorldBus extends AsyncDisposable {
  /** The server's URL. */
  readonly url: string;
  /** The server this world runs (`--nats auto`), or null. */
  readonly server: NatsServer | null;
  /** The world's store on this server's JetStream. */
  readonly store: JetStreamWorldStore;
  /** Which world the bus answers queries about (bound once the world exists). */
  attach(world: () => { world: World; tick: number }): void;
  /** How a snapshot asked for on `engine.coord.snapshot` is made (bound once the world runs). */
  onSnapshot(save: () => Promise<SnapshotAnswer>): void;
  /** Whether the connection is up, and when it comes back. */
  readonly link: ConnectionState;
  /** Where the bus's own lines go (a restarted server, a lost connection); stderr until then. */
  say(lines: (line: string) => void): void;
  /** Puts a script's bundle where its hosts may fetch it (bundle_shelf.ts). */
  shelve(system: string, bundle: ShelvedBundle): Promise<void>;
  /** The launcher of a driver that runs on hosts (remote_driver.ts). */
  remoteDriver(name: string, real: ChildLauncher): ChildLauncher;
  /** The world's remote system hosts, from now on (one pool per bus). */
  remoteSystems(world: PoolWorld): RemoteSystems;
  /** Says a tick ended. */
  ticked(tick: number, tickMs: number): void;
  close(): Promise<void>;
}

/** Connects as `identity`, or throws an error that says where and as whom. */
export async function connectOrSay(url: string, identity: NatsIdentity): Promise<NatsConnection> {
  try {
    return await connectAs(url, identity);
  } catch (error) {
    throw new Error(
      `Cannot connect to NATS at ${url} as ${identity.user}: ${(error as Error).message}`,
    );
  }
}

/** Connects as `identity`. */
export function connectAs(url: string, identity: NatsIdentity): Promise<NatsConnection> {
  return connect({
    servers: url,
    authenticator: nkeyAuthenticator(new TextEncoder().encode(identity.seed)),
    inboxPrefix: identity.inbox,
    name: `syncra ${identity.user}`,
    // A restarting server is waited for, however long it takes: the world pauses, then goes on.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
}

/** Every user of a world: the coordinator, the query tool, one per system and remote driver. */
async function worldUsers(
  root: string,
  systems: readonly string[],
  drivers: readonly string[],
): Promise<AuthorizedUser[]> {
  return [
    { identity: await ensureIdentity(root, "coordinator"), permissions: coordinatorPermissions() },
    { identity: await ensureIdentity(root, "query"), permissions: queryPermissions() },
    ...await Promise.all(systems.map(async (system) => ({
      identity: await ensureIdentity(root, system),
      permissions: systemPermissions(system),
    }))),
    ...await Promise.all(drivers.map(async (driver) => ({
      identity: await ensureIdentity(root, driverUser(driver)),
      permissions: driverPermissions(driver),
    }))),
  ];
}

/** The answer to a query over `world` at `tick`. */
export function answerQuery(world: World, tick: number, request: unknown): QueryAnswer {
  const asked = request as Partial<QueryRequest> | null;
  if (
    !asked || !Array.isArray(asked.components) ||
    !asked.components.every((c) => typeof c === "string") || asked.components.length === 0
  ) {
    return { tick, total: 0, entities: [], error: 'expected { "components": ["Name", ...] }' };
  }
  const limit = Math.max(0, Math.min(Number(asked.limit ?? 1000) || 0, 100_000));
  const answer: QueryAnswer = { tick, total: 0, entities: [] };
  let bytes = 64;
  for (const entity of world.dumpEntities()) {
    if (!asked.components.every((c) => c in entity.components)) continue;
    answer.total++;
    if (answer.entities.length >= limit) continue;
    const picked = Object.fromEntries(asked.components.map((c) => [c, entity.components[c]!]));
    const size = JSON.stringify(picked).length + 24;
    if (bytes + size > MAX_ANSWER_BYTES) continue;
    bytes += size;
    answer.entities.push({ id: entity.id, components: picked });
  }
  return answer;
}

/**
 * Opens the world's NATS: starts its server (`"auto"`) or joins `url` with
 * the coordinator's credentials (`credsPath`, default under `.syncra/nats/`).
 */
export async function openWorldBus(options: {
  root: string;
  nats: string;
  credsPath?: string | null;
  systems: readonly string[];
  /** Drivers that run on hosts (syncra.json `"remote": true`). */
  drivers?: readonly string[];
}): Promise<WorldBus> {
  const users = await worldUsers(options.root, options.systems, options.drivers ?? []);
  // For a server the owner runs: the block to include in its configuration.
  const block = join(natsFolder(options.root), "authorization.conf");
  await Deno.writeTextFile(block, authorizationBlock(users), { mode: 0o600 });
  // The bus's own lines go to stderr until the world says where (say()).
  let sink = (line: string) => console.error(line);
  const server = options.nats === "auto"
    ? await startNatsServer(options.root, users, { onExit: (why) => sink(`⚠ ${why}`) })
    : null;
  const url = server?.url ?? options.nats;
  const identity = options.credsPath
    ? await readCredentials(options.credsPath)
    : users[0]!.identity;
  let nc: NatsConnection;
  try {
    nc = await connectAs(url, identity);
  } catch (error) {
    await server?.stop();
    throw new Error(
      `Cannot connect to NATS at ${url} as ${identity.user}: ${(error as Error).message}` +
        (server
          ? ""
          : ` (its configuration must include ${block}, by a path relative to that configuration file)`),
    );
  }
  const link = watchConnection(nc, (line) => sink(line), `NATS at ${url}`);
  let attached: (() => { world: World; tick: number }) | null = null;
  nc.subscribe(SUBJECTS.queryRequest, {
    callback: (error, message) => {
      if (error) return;
      let request: unknown = null;
      try {
        request = decodeMessagePack(message.data);
      } catch { /* answered as a bad request */ }
      if (!attached) {
        return void message.respond(
          encodeBody({ tick: 0, total: 0, entities: [], error: "the world is still starting" }),
        );
      }
      const { world, tick } = attached();
      message.respond(encodeBody(answerQuery(world, tick, request)));
    },
  });
  let snapshot: (() => Promise<SnapshotAnswer>) | null = null;
  nc.subscribe(SUBJECTS.snapshotRequest, {
    callback: (error, message) => {
      if (error) return;
      const answer = (body: SnapshotAnswer) => {
        message.respond(encodeBody(body));
      };
      if (!snapshot) {
        return answer({ tick: 0, entities: 0, store: "", error: "the world is still starting" });
      }
      snapshot().then(
        answer,
        (e) => answer({ tick: 0, entities: 0, store: "", error: (e as Error).message }),
      );
    },
  });
  // Subscribed before anyone is told the world is there.
  await nc.flush();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await nc.drain().catch(() => {});
    await server?.stop();
  };
  return {
    url,
    server,
    store: new JetStreamWorldStore(nc, url),
    attach(world) {
      attached = world;
    },
    onSnapshot(save) {
      snapshot = save;
    },
    shelve: (system, bundle) => shelveBundle(nc, system, bundle),
    remoteDriver: (name, real) => remoteDriverLauncher(nc, name, real),
    remoteSystems: (world) => new RemoteSystems(nc, link, world),
    link,
    say(lines) {
      sink = lines;
    },
    ticked(tick, tickMs) {
      const h = headers();
      h.set("syncra-type", "tick");
      h.set("syncra-tick", String(tick));
      nc.publish(SUBJECTS.tick, encodeBody({ tick, tickMs }), { headers: h });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

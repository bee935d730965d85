/**
 * A remote system host's side of NATS (DESIGN §7): it connects as its
 * system's user, listens for its own shards on
 * `engine.system.schedule.<system>.<instance>` and, in the queue group
 * `q.<system>`, for work any one instance may take (an init); registers with
 * the coordinator (again every few seconds, so that a restarted coordinator
 * learns it too); says its load on `engine.system.heartbeat.<system>`; and
 * answers each shard on `engine.component.set.<system>`. Shards run one at a
 * time, in the order they came. What runs the script is the caller's
 * (runtime/app/system_host.ts: the same role and jail as local mode).
 *
 * @module
 */
import type { Msg } from "@nats-io/transport-node";
import { decodeMessagePack, type RuntimeMessage } from "../protocol/mod.ts";
import { connectOrSay } from "./world_bus.ts";
import type { NatsIdentity } from "./identities.ts";
import { encodeBody, header, PartAssembler, publishBody } from "./message_parts.ts";
import { queueGroup, SUBJECTS } from "./subjects.ts";
import type { Heartbeat, Registration } from "./remote_systems.ts";

/** How often a host says its load. */
export const HEARTBEAT_MS = 200;
/** How often it registers again (a coordinator that restarted learns it within this). */
const REGISTER_EVERY_MS = 2000;

/** The script a host runs, as the NATS side sees it. */
export interface HostedScript {
  /** What it registers with now (the instance id is the host's). */
  readonly registration: Omit<Registration, "instance">;
  /**
   * For a host that runs the world's copy (bundle_shelf.ts): the world runs
   * bundle `version`, which is not this one; resolves once it runs that.
   */
  follow?(version: string): Promise<void>;
  /** Runs one tick or init; the encoded result, or null when the script gave none in time. */
  run(message: RuntimeMessage): Promise<Uint8Array | null>;
  /** CPU ms of the host and its script child, where known. */
  cpuMs(): number | undefined;
}

/** A host serving one system on a world's NATS. */
export interface SystemHost extends AsyncDisposable {
  readonly instance: string;
  /** Resolves with why it stopped (refused, or closed). */
  readonly done: Promise<string | null>;
  /** Shards answered so far. */
  readonly shards: number;
  close(): Promise<void>;
}

/** Connects, registers and serves until closed or refused. Throws if the first registration fails. */
export async function hostSystem(options: {
  url: string;
  identity: NatsIdentity;
  system: string;
  instance: string;
  script: HostedScript;
  note(line: string): void;
}): Promise<SystemHost> {
  const { system, instance, script } = options;
  const nc = await connectOrSay(options.url, options.identity);
  const parts = new PartAssembler();
  let queue = Promise.resolve();
  let queued = 0, shards = 0, busyMs = 0, closed = false;
  let finish: (why: string | null) => void = () => {};
  const done = new Promise<string | null>((resolve) => (finish = resolve));

  const serve = (message: Msg) => {
    let body: Uint8Array | null;
    try {
      body = parts.take(message);
    } catch (error) {
      return options.note(`⚠ a shard arrived broken (${(error as Error).message}); dropped`);
    }
    if (body === null) return;
    const tick = header(message.headers, "syncra-tick");
    const shard = header(message.headers, "syncra-shard");
    const request = decodeMessagePack(body) as RuntimeMessage;
    queued++;
    queue = queue.then(async () => {
      queued--;
      if (closed) return;
      const started = performance.now();
      const result = await script.run(request);
      busyMs += performance.now() - started;
      if (result === null || closed) return;
      shards++;
      publishBody(nc, SUBJECTS.componentSet(system), result, {
        "syncra-type": "result",
        "syncra-instance": instance,
        "syncra-tick": tick,
        "syncra-shard": shard,
      });
    }).catch((error) => options.note(`⚠ shard of tick ${tick}: ${(error as Error).message}`));
  };
  nc.subscribe(`${SUBJECTS.schedule(system)}.${instance}`, {
    callback: (e, m) => void (e || serve(m)),
  });
  nc.subscribe(SUBJECTS.schedule(system), {
    queue: queueGroup(system),
    callback: (e, m) => void (e || serve(m)),
  });
  // Subscribed before the coordinator is told this host is there.
  await nc.flush();

  const register = async (followed = false): Promise<void> => {
    const registration: Registration = { instance, ...script.registration };
    const reply = await nc.request(
      SUBJECTS.register(system),
      encodeBody(registration),
      { timeout: 5000 },
    );
    const answer = decodeMessagePack(reply.data) as {
      ok?: boolean;
      error?: string;
      bundle?: string | null;
    };
    const world = answer.bundle ?? null;
    if (script.follow && !followed && world !== null && world !== script.registration.version) {
      // The world runs another version of the script: take it, then say so.
      options.note(`↻ the world runs version ${world} of ${system}: fetching it`);
      await script.follow(world);
      return register(true);
    }
    if (!answer.ok) throw new Error(`The world refused this host: ${answer.error ?? "no reason"}`);
  };
  try {
    await register();
  } catch (error) {
    await nc.close();
    const message = (error as Error).message;
    throw new Error(
      /no responders|timeout/i.test(message)
        ? `No world answered on ${options.url} for system "${system}" (${message}): is the world running with --nats?`
        : message,
    );
  }

  const beat = (bye = false) => {
    const heartbeat: Heartbeat = { instance, shards, busyMs, queued };
    const cpu = script.cpuMs();
    if (cpu !== undefined) heartbeat.cpuMs = cpu;
    if (bye) heartbeat.bye = true;
    nc.publish(SUBJECTS.heartbeat(system), encodeBody(heartbeat));
  };
  const heartbeats = setInterval(() => beat(), HEARTBEAT_MS);
  const registrations = setInterval(() => {
    register().catch((error) => {
      const message = (error as Error).message;
      // A world that is restarting answers again soon; one that refuses means it.
      if (message.startsWith("The world refused")) {
        options.note(`✖ ${message}`);
        void close(message);
      }
    });
  }, REGISTER_EVERY_MS);
  const close = async (why: string | null = null) => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeats);
    clearInterval(registrations);
    if (!nc.isClosed()) {
      beat(true);
      await nc.drain().catch(() => {});
    }
    finish(why);
  };
  void nc.closed().then(() => close("the connection to NATS closed"));
  return {
    instance,
    done,
    get shards() {
      return shards;
    },
    close: () => close(),
    [Symbol.asyncDispose]: () => close(),
  };
}

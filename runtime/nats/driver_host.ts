/**
 * A remote driver host's side of NATS (remote_driver.ts is the world's): it
 * connects as the driver's user, takes start requests in the queue group
 * `q.driver.<name>`, starts each run as a jailed child of this machine
 * (the caller's {@linkcode DriverRuns}: the same launcher as local mode,
 * with the grants the world's owner approved), and relays the run's frames
 * both ways, its stderr and its exit, saying every 250 ms that it is alive.
 *
 * @module
 */
import type { Msg } from "@nats-io/transport-node";
import { decodeMessagePack, type RuntimeMessage } from "../protocol/mod.ts";
import type { SpawnedChild, SpawnHandlers } from "../link/mod.ts";
import { connectOrSay } from "./world_bus.ts";
import type { NatsIdentity } from "./identities.ts";
import { encodeBody, header, PartAssembler, publishBody } from "./message_parts.ts";
import { SUBJECTS } from "./subjects.ts";
import { driverQueue, type DriverStart, type DriverUp } from "./remote_driver.ts";

/** How a host starts one run of its driver. */
export interface DriverRuns {
  /** Starts a child with `grants` (of a world running bundle `version`) and links to it. */
  start(start: DriverStart, handlers: SpawnHandlers): Promise<SpawnedChild>;
}

/** A host serving one driver on a world's NATS. */
export interface DriverHost extends AsyncDisposable {
  /** Runs started so far. */
  readonly runs: number;
  /** Resolves when the connection closes for good. */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

/** Connects and serves start requests until closed. */
export async function hostDriver(options: {
  url: string;
  identity: NatsIdentity;
  driver: string;
  runs: DriverRuns;
  note(line: string): void;
}): Promise<DriverHost> {
  const { driver } = options;
  const nc = await connectOrSay(options.url, options.identity);
  const live = new Map<string, SpawnedChild>();
  let started = 0;
  const up = (run: string, body: unknown, type: "frame" | "up") =>
    publishBody(nc, SUBJECTS.driverUp(driver), encodeBody(body), {
      "syncra-run": run,
      "syncra-type": type,
    });

  const begin = async (message: Msg) => {
    let start: DriverStart;
    try {
      start = decodeMessagePack(message.data.slice()) as DriverStart;
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(String(start?.run))) throw new Error("no run id");
    } catch (error) {
      return options.note(`⚠ a start request that is not one: ${(error as Error).message}`);
    }
    const run = start.run;
    const handlers: SpawnHandlers = {
      message: (frame) => up(run, frame, "frame"),
      protocolError: (error) => {
        up(run, { t: "stderr", line: `broke the frame protocol: ${error.message}` }, "up");
        live.get(run)?.process.kill();
      },
      stderr: (line) => up(run, { t: "stderr", line } satisfies DriverUp, "up"),
    };
    let child: SpawnedChild;
    try {
      child = await options.runs.start(start, handlers);
    } catch (error) {
      up(run, { t: "stderr", line: (error as Error).message } satisfies DriverUp, "up");
      up(run, { t: "exit", code: 1, signal: null } satisfies DriverUp, "up");
      return void message.respond(encodeBody({ ok: false }));
    }
    started++;
    live.set(run, child);
    const parts = new PartAssembler();
    const down = nc.subscribe(SUBJECTS.driverDown(driver, run), {
      callback: (error, m) => {
        if (error) return;
        const body = parts.take(m);
        if (body === null) return;
        const value = decodeMessagePack(body);
        if (header(m.headers, "syncra-type") === "frame") {
          return void child.link.send(value as RuntimeMessage).catch(() => {});
        }
        const control = value as { t?: string };
        if (control.t === "kill") child.process.kill();
        else if (control.t === "close") child.link.close();
      },
    });
    await nc.flush();
    message.respond(encodeBody({ ok: true }));
    void child.process.exited.then((exit) => {
      live.delete(run);
      down.unsubscribe();
      up(run, { t: "exit", code: exit.code, signal: exit.signal } satisfies DriverUp, "up");
    });
  };
  nc.subscribe(SUBJECTS.driverStart(driver), {
    queue: driverQueue(driver),
    callback: (error, message) => void (error || begin(message)),
  });
  await nc.flush();
  // Each run's heartbeat: the world takes a silent run for a lost one.
  const alive = setInterval(() => {
    for (const run of live.keys()) up(run, { t: "alive" } satisfies DriverUp, "up");
  }, 250);
  const close = async () => {
    clearInterval(alive);
    for (const child of live.values()) child.process.kill();
    await Promise.all([...live.values()].map((c) => c.process.exited));
    if (!nc.isClosed()) await nc.drain().catch(() => {});
  };
  return {
    get runs() {
      return started;
    },
    done: nc.closed().then(() => {}),
    close,
    [Symbol.asyncDispose]: close,
  };
}

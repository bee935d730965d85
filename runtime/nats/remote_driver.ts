/**
 * A driver whose process runs on another machine (syncra.json
 * `"remote": true`, hosted by `deno task driver NAME --nats URL`): to its
 * role on the coordinator it is a child like any other, started with the
 * grants the world's owner approved, over a {@linkcode Link} whose frames
 * cross NATS. A start is a request on `engine.driver.<name>.start` that one
 * host of the queue group `q.driver.<name>` takes; from then on the run's
 * frames go down on `engine.driver.<name>.down.<run>` and come up on
 * `engine.driver.<name>.up` (header `syncra-run`), in parts above the max
 * payload, and its stderr and exit come up the same way. A run whose host
 * goes silent for {@linkcode SILENT_AFTER_MS} has exited, as a crash.
 *
 * @module
 */
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import {
  decodeMessagePack,
  DEFAULT_FRAME_LIMITS,
  type FrameLimits,
  ProtocolError,
  type RuntimeMessage,
} from "../protocol/mod.ts";
import type { ChildExit, SpawnChild, SpawnedChild, SpawnHandlers } from "../link/mod.ts";
import type { AdmittedGrants, ChildLauncher } from "../supervision/mod.ts";
import { basename } from "node:path";
import { bundledModules, bundleVersion } from "../../sandbox/bundle/mod.ts";
import { shelveBundle } from "./bundle_shelf.ts";
import { encodeBody, header, PartAssembler, publishBody } from "./message_parts.ts";
import { driverUser, queueGroup, SUBJECTS } from "./subjects.ts";
import { SILENT_AFTER_MS } from "./remote_systems.ts";

/** What the start request carries. */
export interface DriverStart {
  run: string;
  /** What the child is granted (null while it describes itself). */
  grants: AdmittedGrants | null;
  /** The bundle's version the world runs (a host fetches it from the shelf if it has another). */
  version: string;
}

/** What comes up, besides frames: a stderr line, a heartbeat, or the exit. */
export type DriverUp =
  | { t: "stderr"; line: string }
  | { t: "alive" }
  | { t: "exit"; code: number | null; signal: string | null };

/** The queue group of a remote driver's hosts. */
export const driverQueue = (driver: string): string => queueGroup(`driver.${driver}`);

/**
 * Starts runs of remote driver `driver` through NATS. The command a
 * launcher prepared is not run here: only its grants travel (the host
 * derives its own command, jail and budget from them).
 */
export function remoteDriverSpawner(
  nc: NatsConnection,
  driver: string,
  grantsOf: (command: { args: readonly string[] }) => DriverStart["grants"],
  version: () => string,
): SpawnChild {
  const runs = new Map<string, (message: Msg) => void>();
  nc.subscribe(SUBJECTS.driverUp(driver), {
    callback: (error, message) => {
      if (!error) runs.get(header(message.headers, "syncra-run"))?.(message);
    },
  });
  return (command, handlers, options) => {
    const run = crypto.randomUUID().slice(0, 12);
    const limits = options?.limits ?? DEFAULT_FRAME_LIMITS;
    return startRun(nc, driver, run, grantsOf(command), version(), handlers, limits, runs);
  };
}

function startRun(
  nc: NatsConnection,
  driver: string,
  run: string,
  grants: DriverStart["grants"],
  version: string,
  handlers: SpawnHandlers,
  limits: Readonly<FrameLimits>,
  runs: Map<string, (message: Msg) => void>,
): SpawnedChild {
  let exit: (how: ChildExit) => void = () => {};
  const exited = new Promise<ChildExit>((resolve) => (exit = resolve));
  let gone = false, heard = performance.now();
  const parts = new PartAssembler();
  const end = (how: ChildExit) => {
    if (gone) return;
    gone = true;
    clearInterval(watch);
    runs.delete(run);
    exit(how);
  };
  runs.set(run, (message) => {
    heard = performance.now();
    let body: Uint8Array | null;
    try {
      body = parts.take(message);
    } catch (error) {
      return handlers.protocolError(new ProtocolError((error as Error).message));
    }
    if (body === null) return;
    let value: unknown;
    try {
      value = decodeMessagePack(body, limits);
    } catch (error) {
      return handlers.protocolError(
        error instanceof ProtocolError ? error : new ProtocolError((error as Error).message),
      );
    }
    if (header(message.headers, "syncra-type") !== "up") return handlers.message(value);
    const up = value as DriverUp;
    if (up.t === "stderr") handlers.stderr(String(up.line).slice(0, 4096));
    else if (up.t === "exit") end({ code: up.code ?? null, signal: up.signal ?? null });
  });
  // A host that stops saying it is alive has lost its run.
  const watch = setInterval(() => {
    if (performance.now() - heard > SILENT_AFTER_MS) {
      handlers.stderr(`its host went silent (no word for ${SILENT_AFTER_MS} ms)`);
      end({ code: null, signal: "SIGKILL" });
    }
  }, 250);
  const start: DriverStart = { run, grants, version };
  nc.request(SUBJECTS.driverStart(driver), encodeBody(start), { timeout: 5000 }).then(
    () => (heard = performance.now()),
    (error) => {
      handlers.stderr(
        /no responders/i.test((error as Error).message)
          ? `no host of driver "${driver}" is running (deno task driver ${driver} --nats URL)`
          : `its start was not taken: ${(error as Error).message}`,
      );
      end({ code: null, signal: null });
    },
  );
  const down = SUBJECTS.driverDown(driver, run);
  const control = (t: "kill" | "close") => {
    if (!gone) publishBody(nc, down, encodeBody({ t }), { "syncra-type": "control" });
  };
  let closed = false;
  return {
    link: {
      send(message: RuntimeMessage) {
        if (gone || closed) return Promise.reject(new Error(`driver "${driver}" has exited`));
        publishBody(nc, down, encodeBody(message), { "syncra-type": "frame" });
        return Promise.resolve();
      },
      closed: exited.then(() => {}),
      close() {
        closed = true;
        control("close");
      },
    },
    process: {
      pid: 0,
      kill: () => control("kill"),
      exited,
    },
  };
}

/**
 * The launcher of a remote driver on the world's side: it bundles as local
 * mode does (the world's confined bundler) and shelves the bundle for the
 * hosts (bundle_shelf.ts); the command it prepares is only the grants,
 * which travel with the start request; and it spawns through NATS.
 */
export function remoteDriverLauncher(
  nc: NatsConnection,
  driver: string,
  real: ChildLauncher,
): ChildLauncher {
  let version = "";
  return {
    startsElsewhere: true,
    async bundle(file) {
      const bundle = await real.bundle(file);
      version = bundleVersion(bundle);
      await shelveBundle(nc, driverUser(driver), {
        file: basename(file),
        modules: [...bundledModules(bundle, file)],
        hash: version,
        code: await Deno.readFile(bundle.path),
      });
      return bundle;
    },
    prepare: (_bundle, grants) =>
      Promise.resolve({
        command: { program: "nats", args: [JSON.stringify(grants)], env: {} },
        display: [`(on a host of driver ${driver}: deno task driver ${driver} --nats URL)`],
        isolation: "remote",
        budget: "its host's",
        group: null,
      }),
    spawn: remoteDriverSpawner(
      nc,
      driver,
      (command) => JSON.parse(command.args[0] ?? "null"),
      () => version,
    ),
  };
}

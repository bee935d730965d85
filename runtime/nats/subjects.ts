/**
 * The subjects of distributed mode (DESIGN §7), all under `engine.`, and
 * what each kind of NATS user may publish and subscribe to. The server
 * enforces these lists: a host is known by the subjects its user may use,
 * never by what a payload says. Each user has its own inbox prefix, and no
 * user but the coordinator may touch another's.
 *
 * @module
 */

/** The subjects, by name. */
export const SUBJECTS = {
  tick: "engine.coord.tick",
  tickDone: "engine.coord.tick.done",
  entityCreate: "engine.entity.create",
  entityDestroy: "engine.entity.destroy",
  componentSet: (system: string) => `engine.component.set.${system}`,
  componentChanged: (system: string) => `engine.component.changed.${system}`,
  /** Per system, so that the server's permissions say who registered. */
  register: (system: string) => `engine.system.register.${system}`,
  schedule: (system: string) => `engine.system.schedule.${system}`,
  /** Per system, for the same reason. */
  heartbeat: (system: string) => `engine.system.heartbeat.${system}`,
  /** A remote driver's start request (queue group `q.driver.<name>`: one host takes it). */
  driverStart: (driver: string) => `engine.driver.${driver}.start`,
  /** Frames to one run of a remote driver, and its control (kill). */
  driverDown: (driver: string, session: string) => `engine.driver.${driver}.down.${session}`,
  /** Frames, stderr and the exit of a remote driver's runs (header `syncra-session`). */
  driverUp: (driver: string) => `engine.driver.${driver}.up`,
  queryRequest: "engine.query.request",
  /** The owner's tool asks for a snapshot now (answered once it is in JetStream). */
  snapshotRequest: "engine.coord.snapshot",
  queryResponse: "engine.query.response",
  /** The world's change log since its snapshot, one subject per snapshot chain (change_stream.ts). */
  worldChanges: (chain: string) => `engine.world.changes.${chain}`,
} as const;

/** The Object Store bucket of one system's bundle (bundle_shelf.ts). */
export const bundleBucket = (system: string): string => `syncra-bundle-${system}`;

/** The NATS user of a remote driver's hosts. */
export const driverUser = (driver: string): string => `driver_${driver}`;

/** The queue group every instance of `system` joins. */
export const queueGroup = (system: string): string => `q.${system}`;

/** Publish and subscribe allow-lists of one NATS user. */
export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
  /** May answer requests made to it, on the requester's reply subject only. */
  allowResponses: boolean;
}

/** A user's own inbox prefix: its replies come there, and no one else may listen on it. */
export const inboxPrefix = (user: string): string => `_INBOX_${user}`;

/** The coordinator: every engine subject, JetStream (its API, acks, objects), its own inbox. */
export function coordinatorPermissions(): NatsPermissions {
  const inbox = `${inboxPrefix("coordinator")}.>`;
  return {
    publish: ["engine.>", "$JS.API.>", "$JS.ACK.>", "$JS.FC.>", "$O.>", inbox],
    subscribe: ["engine.>", inbox],
    allowResponses: true,
  };
}

/**
 * What reading one Object Store bucket takes of the JetStream API (nats.js:
 * the stream's info, its last meta message, an ordered consumer for the
 * chunks, its flow control), and nothing that writes, purges or deletes.
 */
function readBucket(bucket: string): string[] {
  const stream = `OBJ_${bucket}`;
  return [
    "$JS.API.INFO",
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.INFO.${stream}.>`,
    `$JS.API.CONSUMER.DELETE.${stream}.>`,
    `$JS.FC.${stream}.>`,
  ];
}

/** A host of `system`: its own subjects, the tick, its own bundle's bucket, and its own inbox. */
export function systemPermissions(system: string): NatsPermissions {
  const inbox = `${inboxPrefix(system)}.>`;
  return {
    publish: [
      SUBJECTS.register(system),
      SUBJECTS.heartbeat(system),
      // Its spawns and despawns travel in its results: no shared subject says "someone".
      SUBJECTS.componentSet(system),
      inbox,
      ...readBucket(bundleBucket(system)),
    ],
    subscribe: [
      // Work any one instance takes (queue group), and its own shards by instance id.
      SUBJECTS.schedule(system),
      `${SUBJECTS.schedule(system)}.>`,
      SUBJECTS.componentChanged(system),
      SUBJECTS.tick,
      inbox,
    ],
    allowResponses: false,
  };
}

/** A host of remote driver `driver`: its start requests, its runs' frames, its bundle, its inbox. */
export function driverPermissions(driver: string): NatsPermissions {
  const user = driverUser(driver);
  const inbox = `${inboxPrefix(user)}.>`;
  return {
    publish: [SUBJECTS.driverUp(driver), inbox, ...readBucket(bundleBucket(user))],
    subscribe: [SUBJECTS.driverStart(driver), `engine.driver.${driver}.down.>`, inbox],
    // It answers the start request it took, on the coordinator's reply subject only.
    allowResponses: true,
  };
}

/** The owner's tool (`deno task query`): ask, snapshot, and hear the answer in its own inbox. */
export function queryPermissions(): NatsPermissions {
  const inbox = `${inboxPrefix("query")}.>`;
  return {
    publish: [SUBJECTS.queryRequest, SUBJECTS.snapshotRequest],
    subscribe: [inbox],
    allowResponses: false,
  };
}

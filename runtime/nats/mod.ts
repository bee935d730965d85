/**
 * Distributed mode's NATS side (DESIGN §7): subjects and permissions, the
 * hosts' identities, the world's own nats-server, and the coordinator's bus.
 *
 * @module
 */
export { credentialsPath, ensureIdentity, natsFolder, readCredentials } from "./identities.ts";
export type { NatsIdentity } from "./identities.ts";
export { NO_NATS_SERVER, startNatsServer } from "./nats_server.ts";
export type { NatsServer } from "./nats_server.ts";
export {
  bundleBucket,
  coordinatorPermissions,
  driverPermissions,
  driverUser,
  inboxPrefix,
  queryPermissions,
  queueGroup,
  SUBJECTS,
  systemPermissions,
} from "./subjects.ts";
export type { NatsPermissions } from "./subjects.ts";
export { answerQuery, connectAs, connectOrSay, openWorldBus } from "./world_bus.ts";
export { formatAnswer, queryWorld, snapshotWorld } from "./query_client.ts";
export type { SnapshotAnswer } from "./query_client.ts";
export { JetStreamWorldStore, WORLD_BUCKET, WORLD_OBJECT } from "./jetstream_store.ts";
export { CHANGES_STREAM } from "./change_stream.ts";
export type { QueryAnswer, QueryRequest, WorldBus } from "./world_bus.ts";
export { RemoteSystems, ShardedSystem, SILENT_AFTER_MS } from "./remote_systems.ts";
export type { Heartbeat, PoolWorld, Registration, RemoteInstance } from "./remote_systems.ts";
export { HEARTBEAT_MS, hostSystem } from "./system_host.ts";
export type { HostedScript, SystemHost } from "./system_host.ts";
export { encodeBody, PartAssembler, publishBody } from "./message_parts.ts";
export { mergeShards, MIN_SHARD_ROWS, shardCount, splitTick } from "./shards.ts";
export { watchConnection } from "./connection_state.ts";
export type { ConnectionState } from "./connection_state.ts";
export { fetchBundle, shelveBundle } from "./bundle_shelf.ts";
export type { ShelvedBundle } from "./bundle_shelf.ts";
export { driverQueue, remoteDriverLauncher, remoteDriverSpawner } from "./remote_driver.ts";
export type { DriverStart, DriverUp } from "./remote_driver.ts";
export { hostDriver } from "./driver_host.ts";
export type { DriverHost, DriverRuns } from "./driver_host.ts";

/**
 * Whether a NATS connection is up, from its status events: the world pauses
 * while it is down and a shard's wait that spans a disconnect is not held
 * against the shard (runtime/nats/remote_systems.ts).
 *
 * @module
 */
import type { NatsConnection } from "@nats-io/transport-node";

/** A connection's state, as its status events tell it. */
export interface ConnectionState {
  readonly connected: boolean;
  /** Disconnects so far: a wait that spans one knows its messages may be lost. */
  readonly disconnects: number;
  /** When it last came up (performance.now()): whoever was silent while it was down is not to blame. */
  readonly upSince: number;
  /** Resolves once connected (at once when it is). */
  reconnected(): Promise<void>;
}

/** Follows `nc`'s status: down at "disconnect", up at "reconnect"; each said with `note`. */
export function watchConnection(
  nc: NatsConnection,
  note: (line: string) => void = () => {},
  what = "NATS",
): ConnectionState {
  let since = 0, upSince = performance.now();
  let connected = true, disconnects = 0;
  let back = Promise.withResolvers<void>();
  back.resolve();
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect" && connected) {
        connected = false;
        disconnects++;
        since = performance.now();
        note(`⏸ lost ${what}: the world pauses until it is back`);
        back = Promise.withResolvers<void>();
      } else if (status.type === "reconnect" && !connected) {
        connected = true;
        upSince = performance.now();
        back.resolve();
        const seconds = ((performance.now() - since) / 1000).toFixed(1);
        note(`▶ ${what} is back after ${seconds} s: the world goes on`);
      }
    }
  })().catch(() => {});
  return {
    get connected() {
      return connected;
    },
    get disconnects() {
      return disconnects;
    },
    get upSince() {
      return upSince;
    },
    reconnected: () => back.promise,
  };
}

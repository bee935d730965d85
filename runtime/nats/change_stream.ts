/**
 * The JetStream stream of a distributed world's change log (store/
 * world_changes.ts): stream `SYNCRA_WORLD_CHANGES`, one subject per snapshot
 * chain (`engine.world.changes.<chain>`), so that a chain is read, and the
 * chains a newer snapshot replaced are purged, by subject alone: a purge can
 * never take an entry of a chain still in use. Only the coordinator's NATS
 * user may publish under `engine.`, so no host can write the world's history.
 *
 * @module
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient, jetstreamManager } from "@nats-io/jetstream";
import type { JetStreamManager } from "@nats-io/jetstream";
import { SUBJECTS } from "./subjects.ts";

/** The stream holding every chain's entries. */
export const CHANGES_STREAM = "SYNCRA_WORLD_CHANGES";

/** Older entries are dropped past this size: a chain with a gap is replayed up to the gap. */
const MAX_STREAM_BYTES = 256 * 1024 * 1024;

/** The change log's stream on one connection; nothing is created until used. */
export class ChangeStream {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  #manager: Promise<JetStreamManager> | null = null;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    this.#js = jetstream(nc);
  }

  /** The largest entry a message may carry, headers and protocol left room. */
  get maxEntryBytes(): number {
    return (this.#nc.info?.max_payload ?? 1024 * 1024) - 4096;
  }

  #ready(): Promise<JetStreamManager> {
    this.#manager ??= (async () => {
      const jsm = await jetstreamManager(this.#nc);
      const wanted = {
        subjects: [SUBJECTS.worldChanges("*")],
        max_bytes: MAX_STREAM_BYTES,
      };
      try {
        await jsm.streams.info(CHANGES_STREAM);
      } catch {
        // File storage: the log outlives the server's restarts, as the snapshot does.
        await jsm.streams.add({
          name: CHANGES_STREAM,
          storage: "file" as never,
          discard: "old" as never,
          ...wanted,
        });
      }
      return jsm;
    })();
    // A failure is not kept: the next call tries again (the server may be back).
    this.#manager.catch(() => (this.#manager = null));
    return this.#manager;
  }

  /** Appends one entry to `chain`; resolves once JetStream has stored it. */
  async append(chain: number, bytes: Uint8Array): Promise<void> {
    await this.#ready();
    await this.#js.publish(SUBJECTS.worldChanges(String(chain)), bytes);
  }

  /** Every entry of `chain`, in order. */
  async read(chain: number): Promise<Uint8Array[]> {
    const jsm = await this.#ready();
    const subject = SUBJECTS.worldChanges(String(chain));
    const info = await jsm.streams.info(CHANGES_STREAM, { subjects_filter: subject });
    const count = info.state.subjects?.[subject] ?? 0;
    if (count === 0) return [];
    const consumer = await this.#js.consumers.get(CHANGES_STREAM, { filter_subjects: subject });
    const entries: Uint8Array[] = [];
    while (entries.length < count) {
      const batch = await consumer.fetch({ max_messages: count - entries.length, expires: 5000 });
      let got = 0;
      for await (const m of batch) {
        // A plain copy: the message's bytes are a Node Buffer viewing the connection's
        // read buffer, whose slice() is a view too.
        entries.push(new Uint8Array(m.data));
        got++;
        if (entries.length === count) break;
      }
      if (got === 0) break; // purged meanwhile: what was read is what there is
    }
    return entries;
  }

  /** Removes every chain but those in `keep`. */
  async purgeAllBut(keep: readonly number[]): Promise<void> {
    const jsm = await this.#ready();
    const all = SUBJECTS.worldChanges("*");
    const info = await jsm.streams.info(CHANGES_STREAM, { subjects_filter: all });
    const kept = new Set(keep.map((c) => SUBJECTS.worldChanges(String(c))));
    for (const subject of Object.keys(info.state.subjects ?? {})) {
      if (!kept.has(subject)) await jsm.streams.purge(CHANGES_STREAM, { filter: subject });
    }
  }
}

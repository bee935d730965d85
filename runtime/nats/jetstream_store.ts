/**
 * The {@linkcode WorldStore} of distributed mode: the world's snapshot in a
 * JetStream Object Store (bucket `syncra-world`, object `world.state`, the
 * same `syncra.world/2` bytes as the file store) and the changes since it in
 * a JetStream stream (change_stream.ts), so that a coordinator killed with
 * SIGKILL and started again resumes from its last logged change. The Object
 * Store writes a new version's chunks first and its meta entry last: a save
 * that dies midway leaves the previous version the one that is read.
 *
 * Each snapshot starts a chain of change entries (its number is in the
 * object's metadata); once it is stored, the chains before it are purged. A
 * change that cannot be an entry (the component registry changed, an entry
 * larger than a message) is saved as a new snapshot instead.
 *
 * @module
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { type ObjectStore, Objm } from "@nats-io/obj";
import type { World } from "../ecs/mod.ts";
import {
  applyChanges,
  ChangeLog,
  decodeChanges,
  decodeStored,
  encodeWorld,
  errorMessage,
  type SavedWorld,
  SaveQueue,
  settleChanges,
} from "../store/mod.ts";
import { ChangeStream } from "./change_stream.ts";
import type { WorldStore } from "../store/mod.ts";

/** The bucket and object a world's state lives in. */
export const WORLD_BUCKET = "syncra-world";
export const WORLD_OBJECT = "world.state";

/** A world kept in JetStream. */
export class JetStreamWorldStore implements WorldStore {
  readonly describe: string;
  readonly #nc: NatsConnection;
  #bucket: Promise<ObjectStore> | null = null;
  readonly #saves = new SaveQueue();
  readonly #changes: ChangeStream;
  /** The chain being logged (null: the next change is saved as a snapshot). */
  #log: ChangeLog | null = null;
  /** Chains this store started, oldest first, that no stored snapshot has replaced yet. */
  #chains: number[] = [];
  #snapshotting = 0;
  /** Bytes of the last snapshot, and of the entries logged after it. */
  #snapshotBytes = 0;
  #loggedBytes = 0;

  /** A store on `nc` (described with the server's URL); nothing is created until used. */
  constructor(nc: NatsConnection, url: string) {
    this.#nc = nc;
    this.describe = `JetStream object ${WORLD_BUCKET}/${WORLD_OBJECT} on ${url}`;
    this.#changes = new ChangeStream(nc);
  }

  #store(): Promise<ObjectStore> {
    // File storage: the snapshot outlives the server's restarts, as the file store's does.
    this.#bucket ??= new Objm(this.#nc).create(WORLD_BUCKET, { storage: "file" as never });
    return this.#bucket;
  }

  async load(): Promise<SavedWorld | null> {
    await this.#saves.settled;
    let bytes: Uint8Array | null;
    let chain: number | null = null;
    try {
      const store = await this.#store();
      const meta = (await store.info(WORLD_OBJECT))?.metadata;
      if (meta?.chain !== undefined) chain = Number(meta.chain);
      bytes = await store.getBlob(WORLD_OBJECT);
    } catch (error) {
      throw new Error(`Cannot read the world from ${this.describe}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    if (bytes === null) return null;
    // The object arrives as a Node Buffer viewing a larger one (whose slice() is a view
    // too): the codec gets a plain copy with a buffer of its own, as a file read gives.
    const saved = decodeStored(this.describe, new Uint8Array(bytes));
    return chain === null ? saved : await this.#replay(saved, chain);
  }

  /** The snapshot with its chain's entries applied, up to the first that does not follow. */
  async #replay(saved: SavedWorld, chain: number): Promise<SavedWorld> {
    const snapshotTick = saved.tick;
    let entries: Uint8Array[];
    try {
      entries = await this.#changes.read(chain);
    } catch (error) {
      throw new Error(
        `Cannot read the world's change log from ${this.describe}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    let applied = 0;
    let problem = "";
    for (const bytes of entries) {
      try {
        const entry = decodeChanges(bytes);
        if (entry.chain !== chain || entry.prev !== saved.tick) {
          problem = `; the entry after tick ${saved.tick} is missing, the log stops there`;
          break;
        }
        applyChanges(saved.world, entry);
        saved.tick = entry.tick;
        applied++;
      } catch (error) {
        problem = `; the entry after tick ${saved.tick} is damaged (${
          errorMessage(error)
        }), the log stops there`;
        break;
      }
    }
    if (applied > 0) settleChanges(saved.world);
    return {
      ...saved,
      detail: `the snapshot of tick ${snapshotTick} and ${applied} logged change${
        applied === 1 ? "" : "s"
      } after it${problem}`,
    };
  }

  /**
   * Logs what changed since the last snapshot or entry as one entry (sent
   * at once, stored in order; resolves once JetStream has it), or saves a
   * snapshot where an entry cannot say it.
   */
  logChanges(world: World, tick: number): Promise<void> {
    const log = this.#log;
    // A log larger than a few snapshots is replayed slower than one snapshot is read.
    const logTooLong = this.#loggedBytes > Math.max(4 * this.#snapshotBytes, 1 << 20);
    if (log && log.world === world && !logTooLong) {
      const bytes = log.take(tick);
      if (bytes !== null && bytes.length <= this.#changes.maxEntryBytes) {
        this.#loggedBytes += bytes.length;
        return this.#changes.append(log.chain, bytes).catch((error) => {
          // A lost entry breaks the chain: what follows it goes in a new snapshot.
          if (this.#log === log) this.#log = null;
          throw new Error(
            `Cannot log the world's changes of tick ${tick} to ${this.describe}: ${
              errorMessage(error)
            }`,
            { cause: error },
          );
        });
      }
    }
    this.#log = null;
    // One snapshot at a time: the next change after it is stored starts its chain.
    if (this.#snapshotting > 0) return Promise.resolve();
    return this.save(world, tick);
  }

  /**
   * Encodes `world` at once, whole, before it returns (so the world may
   * change while the bytes upload: the tick loop does not wait for the
   * network), then uploads it after the saves before it.
   */
  save(world: World, tick: number): Promise<void> {
    let bytes: Uint8Array;
    let log: ChangeLog;
    try {
      bytes = encodeWorld(world, tick);
      // The chain starts from exactly what was encoded.
      log = new ChangeLog(world, tick, crypto.getRandomValues(new Uint32Array(1))[0]!);
    } catch (error) {
      return Promise.reject(
        new Error(`Cannot save the world to ${this.describe}: ${errorMessage(error)}`, {
          cause: error,
        }),
      );
    }
    this.#log = log;
    this.#chains.push(log.chain);
    this.#snapshotBytes = bytes.length;
    this.#loggedBytes = 0;
    this.#snapshotting++;
    return this.#saves.run(async () => {
      try {
        await this.#upload(bytes, { chain: String(log.chain), tick: String(tick) });
      } finally {
        this.#snapshotting--;
      }
      // Stored: the chains before it are history no load will read.
      this.#chains = this.#chains.slice(this.#chains.indexOf(log.chain));
      await this.#changes.purgeAllBut(this.#chains).catch(() => {
        // Left for the next snapshot's purge: a load reads the stored chain only.
      });
    });
  }

  /** Replaces the stored bytes with `bytes` as they are (the contract's damage), with no chain. */
  async putRaw(bytes: Uint8Array, metadata?: Record<string, string>): Promise<void> {
    await (await this.#store()).putBlob(
      { name: WORLD_OBJECT, ...(metadata ? { metadata } : {}) },
      bytes,
    );
  }

  async #upload(bytes: Uint8Array, metadata: Record<string, string>): Promise<void> {
    try {
      await this.putRaw(bytes, metadata);
    } catch (error) {
      throw new Error(`Cannot save the world to ${this.describe}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
}

/**
 * The {@linkcode WorldStore} of distributed mode: the world's snapshot in a
 * JetStream Object Store (bucket `syncra-world`, object `world.state`, the
 * same `syncra.world/2` bytes as the file store), so that a coordinator
 * killed with SIGKILL and started again resumes from the last snapshot. The
 * Object Store writes a new version's chunks first and its meta entry last:
 * a save that dies midway leaves the previous version the one that is read.
 *
 * @module
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { type ObjectStore, Objm } from "@nats-io/obj";
import type { World } from "../ecs/mod.ts";
import {
  decodeStored,
  encodeWorld,
  errorMessage,
  type SavedWorld,
  SaveQueue,
} from "../store/mod.ts";
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

  /** A store on `nc` (described with the server's URL); nothing is created until used. */
  constructor(nc: NatsConnection, url: string) {
    this.#nc = nc;
    this.describe = `JetStream object ${WORLD_BUCKET}/${WORLD_OBJECT} on ${url}`;
  }

  #store(): Promise<ObjectStore> {
    // File storage: the snapshot outlives the server's restarts, as the file store's does.
    this.#bucket ??= new Objm(this.#nc).create(WORLD_BUCKET, { storage: "file" as never });
    return this.#bucket;
  }

  async load(): Promise<SavedWorld | null> {
    await this.#saves.settled;
    let bytes: Uint8Array | null;
    try {
      bytes = await (await this.#store()).getBlob(WORLD_OBJECT);
    } catch (error) {
      throw new Error(`Cannot read the world from ${this.describe}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    if (bytes === null) return null;
    // The object arrives as a Node Buffer viewing a larger one (whose slice() is a view
    // too): the codec gets a plain copy with a buffer of its own, as a file read gives.
    return decodeStored(this.describe, new Uint8Array(bytes));
  }

  /**
   * Encodes `world` at once, whole, before it returns (so the world may
   * change while the bytes upload: the tick loop does not wait for the
   * network), then uploads it after the saves before it.
   */
  save(world: World, tick: number): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = encodeWorld(world, tick);
    } catch (error) {
      return Promise.reject(
        new Error(`Cannot save the world to ${this.describe}: ${errorMessage(error)}`, {
          cause: error,
        }),
      );
    }
    return this.#saves.run(() => this.#upload(bytes));
  }

  /** Replaces the stored bytes with `bytes` as they are (the contract's damage). */
  async putRaw(bytes: Uint8Array): Promise<void> {
    await (await this.#store()).putBlob({ name: WORLD_OBJECT }, bytes);
  }

  async #upload(bytes: Uint8Array): Promise<void> {
    try {
      await this.putRaw(bytes);
    } catch (error) {
      throw new Error(`Cannot save the world to ${this.describe}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
}

/**
 * Bundles through the Object Store (DESIGN §7): the world puts the bundle of
 * each of its scripts in a bucket of that system's own,
 * `syncra-bundle-<system>`, whenever the script (re)starts; a host started
 * with a system's name instead of a file (`deno task system spinner --nats
 * URL`) fetches it from there, with no copy of the source, and fetches it
 * again when the world says its version changed. A bundle may be megabytes:
 * the Object Store chunks it; no message carries it whole. A host's user may
 * read its own system's bucket and no other (subjects.ts).
 *
 * @module
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { Objm } from "@nats-io/obj";
import { decodeMessagePack } from "../protocol/mod.ts";
import { encodeBody } from "./message_parts.ts";
import { bundleBucket } from "./subjects.ts";

/** The object that holds it. */
const BUNDLE_OBJECT = "bundle";

/** A system's bundle as shelved: the code and what its manifest may name. */
export interface ShelvedBundle {
  /** The script's file name in its folder, e.g. `spinner.ts`. */
  file: string;
  /** The modules bundled, relative to the scripts folder. */
  modules: string[];
  /** Its version: the bundle's content hash (its file name without `.js`). */
  hash: string;
  code: Uint8Array;
}

/** Puts a system's bundle on its shelf (the world's side). */
export async function shelveBundle(
  nc: NatsConnection,
  system: string,
  bundle: ShelvedBundle,
): Promise<void> {
  const store = await new Objm(nc).create(bundleBucket(system), { storage: "file" as never });
  await store.putBlob({ name: BUNDLE_OBJECT }, encodeBody(bundle));
}

/** A system's bundle from its shelf (a host's side); null when the world shelved none. */
export async function fetchBundle(
  nc: NatsConnection,
  system: string,
): Promise<ShelvedBundle | null> {
  let bytes: Uint8Array | null;
  try {
    const store = await new Objm(nc).open(bundleBucket(system));
    bytes = await store.getBlob(BUNDLE_OBJECT);
  } catch (error) {
    if (/not found|no stream/i.test((error as Error).message)) return null;
    throw new Error(
      `Cannot fetch the bundle of "${system}" from the world's Object Store: ${
        (error as Error).message
      }`,
    );
  }
  if (bytes === null) return null;
  // A Node Buffer viewing a larger one: copied into a buffer of its own before decoding.
  const shelved = decodeMessagePack(new Uint8Array(bytes)) as Partial<ShelvedBundle>;
  if (
    typeof shelved?.file !== "string" || typeof shelved.hash !== "string" ||
    !(shelved.code instanceof Uint8Array) || !Array.isArray(shelved.modules)
  ) {
    throw new Error(`The world's shelf for "${system}" holds something that is not a bundle`);
  }
  return shelved as ShelvedBundle;
}

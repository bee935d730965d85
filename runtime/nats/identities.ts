/**
 * Who is who on a world's NATS: one NKey user per host (the coordinator,
 * each system, the query tool), made by the coordinator and handed over out
 * of band as a credentials file under the world's `.syncra/nats/` (mode
 * 0600, where no script can read it: no child is granted `.syncra`, and the
 * jail does not mount it). The server's configuration holds only the public
 * keys and each user's permissions.
 *
 * A credentials file is Syncra's own JSON (`{ "user", "seed", "inbox" }`),
 * not a NATS JWT `.creds` file: this world needs no operator or accounts.
 *
 * @module
 */
import { join } from "node:path";
import { createUser, fromSeed } from "@nats-io/nkeys";
import { inboxPrefix, type NatsPermissions } from "./subjects.ts";

/** A NATS user of the world. */
export interface NatsIdentity {
  /** Its name: "coordinator", "query", or a system's name. */
  user: string;
  /** Its NKey seed (secret). */
  seed: string;
  /** Its inbox prefix: replies to it arrive below it. */
  inbox: string;
}

/** Where a world keeps its NATS files. */
export const natsFolder = (root: string): string => join(root, ".syncra", "nats");

/** The credentials file of `user` in a world. */
export const credentialsPath = (root: string, user: string): string =>
  join(natsFolder(root), `${user}.creds`);

/** The public key of an identity (what the server's configuration names). */
export function publicKey(identity: NatsIdentity): string {
  return fromSeed(new TextEncoder().encode(identity.seed)).getPublicKey();
}

/** Reads a credentials file, or says exactly what is wrong with it. */
export async function readCredentials(path: string): Promise<NatsIdentity> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(
      `Cannot read the NATS credentials ${path}: ${(error as Error).message}. The world's ` +
        `coordinator writes them under its .syncra/nats/ when it starts with --nats; copy the ` +
        `file over and pass --creds FILE`,
    );
  }
  return parseCredentials(path, text);
}

function parseCredentials(path: string, text: string): NatsIdentity {
  let value: Partial<NatsIdentity> | null = null;
  try {
    value = JSON.parse(text);
  } catch { /* said below */ }
  if (
    typeof value?.user !== "string" || typeof value.seed !== "string" ||
    typeof value.inbox !== "string" || !value.seed.startsWith("SU")
  ) {
    throw new Error(`${path} is not a Syncra NATS credentials file ({ "user", "seed", "inbox" })`);
  }
  return value as NatsIdentity;
}

/**
 * The identity of `user` in the world at `root`: read from its file, or
 * made and written (mode 0600) the first time.
 */
export async function ensureIdentity(root: string, user: string): Promise<NatsIdentity> {
  const path = credentialsPath(root, user);
  const text = await Deno.readTextFile(path).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  });
  if (text !== null) return parseCredentials(path, text);
  const identity: NatsIdentity = {
    user,
    seed: new TextDecoder().decode(createUser().getSeed()),
    inbox: inboxPrefix(user),
  };
  await Deno.mkdir(natsFolder(root), { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(path, JSON.stringify(identity, null, 2) + "\n", { mode: 0o600 });
  return identity;
}

/** One user of the server's `authorization` block. */
export interface AuthorizedUser {
  identity: NatsIdentity;
  permissions: NatsPermissions;
}

const quoted = (subjects: string[]) => `[${subjects.map((s) => JSON.stringify(s)).join(", ")}]`;

/** The `authorization { users: [...] }` block naming each user by public key. */
export function authorizationBlock(users: readonly AuthorizedUser[]): string {
  const lines = users.map(({ identity, permissions: p }) =>
    `    { nkey: ${JSON.stringify(publicKey(identity))}, permissions: { publish: ${
      quoted(p.publish)
    }, subscribe: ${quoted(p.subscribe)}${
      p.allowResponses ? ", allow_responses: true" : ""
    } } } # ${identity.user}`
  );
  return `authorization {\n  users: [\n${lines.join("\n")}\n  ]\n}\n`;
}

/**
 * The world's own copy of a script or driver, for a host that has no source
 * (`deno task system NAME`, `deno task driver NAME`): its bundle, fetched
 * from the world's shelf in the Object Store (runtime/nats/bundle_shelf.ts)
 * into `.syncra/remote/<user>/`, and fetched again when the world runs a new
 * version. The host runs it as the world bundled it: no bundler here.
 *
 * @module
 */
import { basename, join } from "node:path";
import type { Bundle } from "../../sandbox/bundle/mod.ts";
import {
  connectOrSay,
  credentialsPath,
  fetchBundle,
  type NatsIdentity,
  readCredentials,
} from "../nats/mod.ts";

/** A fetched copy, kept up to date by `refresh`. */
export interface WorldCopy {
  readonly identity: NatsIdentity;
  /** The bundle as a launcher takes it, with its script's path and version. */
  readonly bundle: Bundle & { file: string; hash: string };
  /** Where its script would be (a file name in the copy's folder: what it is known by). */
  readonly file: string;
  /** Fetches it again: the world said it runs `version`. Throws if the shelf has not got it yet. */
  refresh(version: string): Promise<void>;
  close(): Promise<void>;
}

/** Fetches the copy shelved for NATS user `user` (a system, or `driver_<name>`). */
export async function fetchWorldCopy(options: {
  nats: string;
  user: string;
  creds: string | null;
  /** What to add when the world has shelved nothing for `user`. */
  missing: (user: string) => string;
}): Promise<WorldCopy> {
  const { user } = options;
  const root = Deno.cwd();
  const identity = await readCredentials(options.creds ?? credentialsPath(root, user));
  const nc = await connectOrSay(options.nats, identity);
  const folder = join(root, ".syncra", "remote", user);
  await Deno.mkdir(folder, { recursive: true });
  const real = await Deno.realPath(folder);
  const fetch = async (): Promise<WorldCopy["bundle"]> => {
    const shelved = await fetchBundle(nc, user);
    if (!shelved) {
      throw new Error(
        `The world on ${options.nats} has no bundle of "${user}" on its shelf: ${
          options.missing(user)
        }`,
      );
    }
    const path = join(real, `${shelved.hash.replace(/[^0-9a-f]/g, "")}.js`);
    await Deno.writeFile(path, shelved.code);
    return {
      path,
      bytes: shelved.code.length,
      inputs: shelved.modules.map((m) => join(real, m)),
      file: join(real, basename(shelved.file)),
      hash: shelved.hash,
    };
  };
  let bundle = await fetch().catch(async (error) => {
    await nc.close();
    throw error;
  });
  return {
    identity,
    get bundle() {
      return bundle;
    },
    get file() {
      return bundle.file;
    },
    async refresh(version) {
      bundle = await fetch();
      if (bundle.hash !== version) {
        throw new Error(`the world's shelf holds version ${bundle.hash}, not ${version} yet`);
      }
    },
    close: () => nc.close(),
  };
}

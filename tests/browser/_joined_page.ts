/**
 * Browser tests of joined pages (DESIGN §11): a world served with
 * `--network`, a second world whose viewer only serves the page, and a
 * headless Chromium trusting the served world's development certificate
 * (its key's fingerprint), disposed in reverse order.
 *
 * @module
 */
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { makeScripts, type TestFolder } from "../_world.ts";
import { type NetworkWorld, startNetworkWorld } from "../_network.ts";
import { spkiFingerprint } from "../../runtime/network/mod.ts";
import { launchBrowser, startViewerWorld } from "./_browser.ts";

/** The page's own world, the one that serves it: nothing in it (the page shows the joined one). */
const EMPTY = `
import { defineSystem } from "@syncra/std";
export default defineSystem({ run() {} });`;

/** A served world, a page server and a browser that trusts the world. */
export interface JoinedPageSetup extends AsyncDisposable {
  folder: TestFolder;
  world: NetworkWorld;
  browser: Browser;
  /** The page server's port. */
  port: number;
  /** The page's address joining `target` (the served world) with `token`, and `more` query. */
  pageUrl(token: string, target?: string, more?: string): string;
}

/** Serves `scripts` with --network and the page from another world; `flags` go to Chromium. */
export async function joinedPageSetup(
  scripts: Record<string, string>,
  flags: readonly string[] = [],
): Promise<JoinedPageSetup> {
  await using stack = new AsyncDisposableStack();
  const folder = stack.use(await makeScripts(scripts));
  const world = stack.use(await startNetworkWorld(folder));
  const pageFolder = stack.use(await makeScripts({ "empty.ts": EMPTY }));
  const { live, port } = await startViewerWorld(pageFolder);
  stack.defer(async () => void await live.stop());
  const cert = await Deno.readTextFile(join(folder.root, ".syncra", "tls", "server.pem"));
  const browser = stack.use(
    await launchBrowser([
      `--ignore-certificate-errors-spki-list=${await spkiFingerprint(cert)}`,
      ...flags,
    ]),
  );
  const owned = stack.move();
  return {
    folder,
    world,
    browser,
    port,
    pageUrl: (token, target = world.url, more = "") =>
      `http://127.0.0.1:${port}/?join=${encodeURIComponent(target)}&token=${
        encodeURIComponent(token)
      }${more}`,
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
}

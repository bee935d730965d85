/**
 * The viewer's page (drivers/viewer/page/), built by the trusted side into
 * the world's `.syncra/viewer/` folder, which the viewer driver is approved
 * to read and serves: `index.html` and `main.js` (three.js bundled in).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { bundleTrusted } from "../../sandbox/bundle/mod.ts";
import type { DriverEntry } from "../policy/mod.ts";
import type { DriverRole, SystemRole } from "../roles/mod.ts";
import { buildWorldGraph } from "./world_graph.ts";
import { packageFile } from "./package_file.ts";
import { toSvg } from "./graph_render.ts";

const PAGE = new URL("../../drivers/viewer/page/", import.meta.url);

/** The npm modules the page imports, by the names it imports them with (deno.json maps them). */
const PAGE_DEPENDENCIES = [
  "three",
  "three/webgpu",
  "three/addons/loaders/GLTFLoader.js",
  "three/addons/controls/OrbitControls.js",
];

/** Builds the page into `outDir`; returns the bundle's size in bytes. */
export async function buildViewerPage(outDir: string): Promise<number> {
  const bytes = await bundleTrusted({
    entry: fileURLToPath(new URL("main.ts", PAGE)),
    outFile: join(outDir, "main.js"),
    aliases: Object.fromEntries(
      await Promise.all(PAGE_DEPENDENCIES.map(async (name) => [name, await packageFile(name)])),
    ),
  });
  await Deno.copyFile(fileURLToPath(new URL("index.html", PAGE)), join(outDir, "index.html"));
  return bytes;
}

/** The viewer driver's module, as a built-in. */
export const VIEWER_DRIVER: string = fileURLToPath(
  new URL("../../drivers/viewer/viewer.ts", import.meta.url),
);

/** Ports tried after a taken one before giving up. */
const PORT_TRIES = 20;

/** `port` if free on loopback, else the next free one (0: any); throws when none is. */
export function chooseViewerPort(port: number): number {
  for (let p = port; p <= Math.min(65535, port + PORT_TRIES); p++) {
    try {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: p });
      const chosen = (listener.addr as Deno.NetAddr).port;
      listener.close();
      return chosen;
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse) || port === 0) throw error;
    }
  }
  throw new Error(
    `Cannot start the viewer: ports ${port}–${port + PORT_TRIES} are all taken; pass --port N ` +
      `(0 picks any free port) or --no-viewer`,
  );
}

/**
 * Builds the page into the world's `.syncra/viewer/`, picks the port and
 * returns the viewer's driver entry (approved by the runtime: it chose the
 * address) and its URL.
 */
export async function prepareViewer(
  root: string,
  port: number,
  editable = false,
  buildPage = true,
): Promise<{ entry: DriverEntry; url: string; pageDir: string }> {
  const pageDir = join(root, ".syncra", "viewer");
  if (buildPage) await buildViewerPage(pageDir);
  const chosen = chooseViewerPort(port);
  return {
    pageDir,
    url: `http://127.0.0.1:${chosen}/`,
    entry: {
      name: "viewer",
      file: VIEWER_DRIVER,
      builtin: true,
      editor: editable,
      approve: {
        serve: [`127.0.0.1:${chosen}`],
        net: [],
        read: [".syncra/viewer", "assets"],
        write: [],
        ffi: [],
        gpu: false,
      },
      settings: { port: chosen, pageDir, assetsDir: join(root, "assets"), editable },
    },
  };
}

/**
 * Draws the world graph (deno task graph's picture) of the started scripts
 * and drivers into the page's folder, for the inspector.
 */
export async function writeViewerGraph(
  pageDir: string,
  slots: readonly SystemRole[],
  drivers: readonly DriverRole[],
): Promise<void> {
  const systems = slots.flatMap((s) => {
    const manifest = s.active?.manifest ?? s.pending?.manifest;
    return manifest ? [{ name: s.name, file: s.file, manifest }] : [];
  });
  const driverNodes = drivers.flatMap((d) => {
    const manifest = d.active?.manifest ?? d.pending?.manifest;
    return manifest ? [{ name: d.name, file: d.file, manifest }] : [];
  });
  await Deno.writeTextFile(
    join(pageDir, "graph.svg"),
    toSvg(buildWorldGraph(systems, driverNodes), { title: "World graph" }),
  );
}

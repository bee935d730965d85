/**
 * `deno task graph`'s input: the manifests of a scripts folder, learnt the
 * only trustworthy way — each script starts as its zero-permission child
 * and describes itself (as `explain` does), then everything stops. No tick
 * runs, no init runs, nothing is saved.
 *
 * @module
 */
import { describingWorld } from "./describing_world.ts";
import {
  buildWorldGraph,
  type GraphDriver,
  type GraphSystem,
  type WorldGraph,
} from "./world_graph.ts";
import type { WorldOptions } from "./world_options.ts";

/** How the folder's scripts are started to learn their manifests (as for the world). */
export type GraphFolderOptions = Partial<
  Pick<WorldOptions, "workDir" | "heapMb" | "memoryMb" | "maxThreads" | "jail" | "viewer">
>;

/** A script the graph leaves out: it never started (bundle, manifest or capability refused). */
export interface RefusedScript {
  name: string;
  file: string;
  error: string;
}

/** The folder's graph, and the scripts that are not in it because they were refused. */
export interface FolderGraph {
  graph: WorldGraph;
  refused: RefusedScript[];
}

/**
 * Starts every script of `scriptsDir` just long enough to learn its
 * manifest, and builds the graph of those that started. A refused script
 * is listed in `refused` rather than failing the whole graph.
 */
export async function graphOfFolder(
  scriptsDir: string,
  options: GraphFolderOptions = {},
): Promise<FolderGraph> {
  await using live = await describingWorld(scriptsDir, options);
  await Promise.all([live.supervisor.startAll(), ...live.drivers.map((d) => d.start())]);
  const systems: GraphSystem[] = [];
  const refused: RefusedScript[] = [];
  for (const slot of live.supervisor.slots()) {
    const manifest = slot.pending?.manifest;
    if (manifest) systems.push({ name: slot.name, file: slot.file, manifest });
    else refused.push({ name: slot.name, file: slot.file, error: slot.lastError ?? "refused" });
  }
  const drivers: GraphDriver[] = [];
  for (const d of live.drivers) {
    const manifest = d.pending?.manifest;
    if (manifest) drivers.push({ name: d.name, file: d.file, manifest });
    else refused.push({ name: d.name, file: d.file, error: d.lastError ?? "refused" });
  }
  return { graph: buildWorldGraph(systems, drivers, live.config.dataflow ?? null), refused };
}

/**
 * The application: `deno task world` and `explain` wired from the parts —
 * the world factory, the run loop, the report, the status line and the dump.
 *
 * @module
 */
export { createWorld } from "./create_world.ts";
export type { LiveWorld, WorldParts } from "./create_world.ts";
export { explainScript, formatExplanation } from "./explain.ts";
export { explainDriver, formatDriverExplanation } from "./explain_driver.ts";
export type { DriverExplanation } from "./explain_driver.ts";
export type { Explanation, ModuleExplanation } from "./explain.ts";
export { graphOfFolder } from "./graph_folder.ts";
export type { FolderGraph, GraphFolderOptions, RefusedScript } from "./graph_folder.ts";
export { toMermaid, toSvg } from "./graph_render.ts";
export type { SvgOptions } from "./graph_render.ts";
export { chooseJail, makeLauncher, resultFrameLimits } from "./launcher.ts";
export { runWorld } from "./run_world.ts";
export { runSystemHost } from "./system_host.ts";
export { runDriverHost } from "./driver_host.ts";
export type { DriverHostOptions } from "./driver_host.ts";
export type { SystemHostOptions } from "./system_host.ts";
export { chooseViewerPort } from "./viewer_page.ts";
export { DEFAULT_RENDERER_OPTIONS } from "./native_drivers.ts";
export { parseNetworkAddress } from "./network_entry.ts";
export type { NetworkOptions } from "./network_entry.ts";
export type { AudioOptions, OpenXROptions, RendererOptions } from "./native_drivers.ts";
export { DEFAULT_WORLD_OPTIONS, worldPaths } from "./world_options.ts";
export type { WorldOptions, WorldPaths } from "./world_options.ts";
export { buildWorldGraph, GRAPH_EDGE_KINDS, GRAPH_NODE_KINDS, graphNodeId } from "./world_graph.ts";
export type {
  GraphEdge,
  GraphEdgeKind,
  GraphNode,
  GraphNodeKind,
  GraphSystem,
  WorldGraph,
} from "./world_graph.ts";
export { entities, peakResidentBytes, reportScript } from "./world_report.ts";
export type { ScriptReport, WorldReport } from "./world_report.ts";

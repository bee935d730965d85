/**
 * The read/write/event graph of a world (DESIGN §9's dataflow graph, for
 * `deno task graph`): which systems read and write which components and
 * resources, and which emit and receive which events, as plain nodes and
 * edges for the renderers (graph_render.ts). Pure: built from validated
 * manifests, it starts nothing.
 *
 * Drivers are nodes too: a component a driver reads flows into it (its
 * change feed), a component it writes flows out of it. Ports have a kind
 * here already, for the dataflow wiring to come.
 *
 * @module
 */
import type { DriverManifest, Manifest } from "../roles/mod.ts";

/** What a node stands for. */
export type GraphNodeKind = "system" | "driver" | "component" | "resource" | "event" | "port";

/** What an edge says: data flows from `from` to `to`. */
export type GraphEdgeKind = "reads" | "writes" | "emits" | "receives" | "port";

/** Node kinds in the order the graph lists them and the renderers group them. */
export const GRAPH_NODE_KINDS: readonly GraphNodeKind[] = [
  "system",
  "driver",
  "component",
  "resource",
  "event",
  "port",
];

/** Edge kinds in the order renderers list them (legends, styles). */
export const GRAPH_EDGE_KINDS: readonly GraphEdgeKind[] = [
  "reads",
  "writes",
  "emits",
  "receives",
  "port",
];

/** One node: a system or driver, or a piece of data one of them touches. */
export interface GraphNode {
  /** Unique in its graph: the kind and the name (`component:Transform`), see {@linkcode graphNodeId}. */
  id: string;
  kind: GraphNodeKind;
  /** What a reader sees: the system's or the component's name. */
  label: string;
  /** More for a tooltip (a system's file, whether it only runs init); absent when nothing more. */
  detail?: string;
}

/** One edge, in the direction data flows: a component into its reader, a writer into its component. */
export interface GraphEdge {
  from: string;
  to: string;
  kind: GraphEdgeKind;
}

/** Nodes sorted by kind (in {@linkcode GRAPH_NODE_KINDS} order), then label; edges by from, to, kind. */
export interface WorldGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** A started script as the graph needs it: the name it runs under, its file and its manifest. */
export interface GraphSystem {
  name: string;
  file: string;
  manifest: Manifest;
}

/** A started driver as the graph needs it. */
export interface GraphDriver {
  name: string;
  file: string;
  manifest: DriverManifest;
}

/** The id of the node of `kind` named `name`; kinds keep a component and a resource of one name apart. */
export function graphNodeId(kind: GraphNodeKind, name: string): string {
  return `${kind}:${name}`;
}

/**
 * The graph of `systems`: a node per system and per component, resource
 * and event any of them names in its grants, and an edge per grant —
 * component → system for reads (optional ones included), system →
 * component for writes, likewise for resources, system → event for emits
 * and event → system for receives. `with` and `without` filter a query's
 * rows but move no data, so they draw no edge. Sorted, so one folder
 * always prints the same graph.
 *
 * @example
 * ```ts
 * import { buildWorldGraph } from "./world_graph.ts";
 * import { validateManifest } from "../roles/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const f32 = { v: { type: "f32", default: [0] } };
 * const manifest = validateManifest(
 *   { reads: ["Heat"], writes: ["Cold"], hasRun: true, components: { Heat: f32, Cold: f32 } },
 *   "cool.ts",
 * );
 * const graph = buildWorldGraph([{ name: "cool", file: "cool.ts", manifest }]);
 * assert.deepEqual(graph.edges, [
 *   { from: "component:Heat", to: "system:cool", kind: "reads" },
 *   { from: "system:cool", to: "component:Cold", kind: "writes" },
 * ]);
 * ```
 */
export function buildWorldGraph(
  systems: readonly GraphSystem[],
  drivers: readonly GraphDriver[] = [],
  wiring: readonly { from: string; to: string }[] | null = null,
): WorldGraph {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  const node = (kind: GraphNodeKind, name: string, detail?: string): string => {
    const id = graphNodeId(kind, name);
    if (!nodes.has(id)) nodes.set(id, { id, kind, label: name, ...(detail && { detail }) });
    return id;
  };
  // A grant listed twice (a component in two queries) is one edge.
  const edge = (from: string, to: string, kind: GraphEdgeKind) =>
    edges.set(`${from}\n${to}\n${kind}`, { from, to, kind });

  for (const { name, file, manifest: m } of systems) {
    if (nodes.has(graphNodeId("system", name))) {
      throw new TypeError(`Cannot build the world graph: two systems are named "${name}"`);
    }
    const system = node("system", name, systemDetail(file, m));
    for (const c of m.reads) edge(node("component", c), system, "reads");
    for (const c of m.writes) edge(system, node("component", c), "writes");
    for (const r of m.resources.reads) edge(node("resource", r), system, "reads");
    for (const r of m.resources.writes) edge(system, node("resource", r), "writes");
    for (const e of m.events.emits) edge(system, node("event", e), "emits");
    for (const e of m.events.receives) edge(node("event", e), system, "receives");
  }
  for (const { name, file, manifest: m } of drivers) {
    const driver = node("driver", name, file);
    for (const c of m.reads) edge(node("component", c), driver, "reads");
    for (const c of m.writes) edge(driver, node("component", c), "writes");
  }
  // Ports: each output a node; wired to inputs by name and type, or as the owner drew them.
  for (const { name, manifest: m } of drivers) {
    for (const [port, type] of Object.entries(m.outputs)) {
      const out = node("port", `${name}.${port}`, `${type}`);
      edge(graphNodeId("driver", name), out, "port");
      for (const { name: other, manifest: o } of drivers) {
        const wired = wiring
          ? wiring.filter((w) => w.from === `${name}.${port}` && w.to.startsWith(`${other}.`))
            .map((w) => w.to.slice(other.length + 1))
          : other !== name
          ? [port]
          : [];
        for (const input of wired) {
          if (o.inputs[input] === type) edge(out, graphNodeId("driver", other), "port");
        }
      }
    }
  }
  return {
    nodes: [...nodes.values()].sort(compareNodes),
    edges: [...edges.values()].sort(compareEdges),
  };
}

/** A system's tooltip: its file, and what sets it apart (it only runs init, it spawns). */
function systemDetail(file: string, m: Manifest): string {
  const notes = [
    ...(m.hasRun ? [] : [m.hasInit ? "runs init only" : "runs nothing"]),
    ...(m.spawns ? ["spawns"] : []),
  ];
  return notes.length ? `${file} (${notes.join(", ")})` : file;
}

// Plain code-unit order, not localeCompare: the same on every machine.
const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function compareNodes(a: GraphNode, b: GraphNode): number {
  return GRAPH_NODE_KINDS.indexOf(a.kind) - GRAPH_NODE_KINDS.indexOf(b.kind) ||
    byString(a.label, b.label) || byString(a.id, b.id);
}

function compareEdges(a: GraphEdge, b: GraphEdge): number {
  return byString(a.from, b.from) || byString(a.to, b.to) ||
    GRAPH_EDGE_KINDS.indexOf(a.kind) - GRAPH_EDGE_KINDS.indexOf(b.kind);
}

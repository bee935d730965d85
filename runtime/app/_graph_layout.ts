/**
 * Where graph_render.ts draws each node and edge of a world graph: three
 * columns, writers on the left, data in the middle, readers on the right,
 * so that every edge runs left to right. A system that both writes and
 * reads stands in both outer columns, at the same rank. Ranks come from a
 * few barycenter sweeps (each node moves towards the mean rank of its
 * neighbours), which untangles most crossings and is deterministic.
 *
 * @module
 */
import {
  GRAPH_NODE_KINDS,
  type GraphEdge,
  type GraphNode,
  type WorldGraph,
} from "./world_graph.ts";

/** The columns, left to right. */
export type Column = "writers" | "data" | "readers";

/** A node drawn once in one column (a system may have a box in each outer column). */
export interface Box {
  node: GraphNode;
  column: Column;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** An edge's curve: from the right side of one box to the left side of another (or to its right side, `loop`). */
export interface Wire {
  edge: GraphEdge;
  from: Box;
  to: Box;
  /** Where it leaves and arrives, on the boxes' bounding sides (the renderer fits them to the shape). */
  y1: number;
  y2: number;
  /** Data to data (port to port): both ends on the right side, bulging out. */
  loop: boolean;
}

/** A laid-out graph in SVG user units. */
export interface GraphLayout {
  width: number;
  height: number;
  columns: { column: Column; x: number; w: number }[];
  /** Top of the node area (the column headings sit just above it) and its height. */
  top: number;
  bodyHeight: number;
  boxes: Box[];
  wires: Wire[];
}

/** Sizes the layout uses; the renderer draws text with the same font size. */
export interface LayoutMetrics {
  fontSize: number;
  /** Space above the node area (title, headings). */
  top: number;
  margin: number;
}

const NODE_H = 30;
const ROW_GAP = 10;
const GROUP_GAP = 22;
const TEXT_PAD = 16;
const MIN_NODE_W = 80;
const COLUMN_GAP = 170;
const SWEEPS = 6;

const isActor = (n: GraphNode) => n.kind === "system" || n.kind === "driver";

/**
 * An estimate of how wide `text` is at `size` px in a sans-serif font:
 * narrow letters, capitals and wide letters apart, so boxes fit their
 * labels without measuring fonts (the SVG must render anywhere).
 */
export function textWidth(text: string, size: number, bold = false): number {
  let em = 0;
  for (const ch of text) {
    if ("iljtfI.,:;|!'`()[] ".includes(ch)) em += 0.32;
    else if ("mwMW@".includes(ch)) em += 0.88;
    else if (/[A-Z]/.test(ch)) em += 0.68;
    else if (ch.charCodeAt(0) < 128) em += 0.56;
    else em += 1; // wide scripts, emoji: err on the roomy side
  }
  return em * size * (bold ? 1.07 : 1);
}

/** Lays `graph` out in three columns; see the module doc. */
export function layoutGraph(graph: WorldGraph, metrics: LayoutMetrics): GraphLayout {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const nodeOf = (id: string) => {
    const n = byId.get(id);
    if (!n) throw new TypeError(`Cannot lay out the graph: edge names unknown node "${id}"`);
    return n;
  };
  const actors = graph.nodes.filter(isActor);
  const data = graph.nodes.filter((n) => !isActor(n));
  const writers = new Set<string>();
  const readers = new Set<string>();
  const neighbours = new Map<string, Set<string>>(graph.nodes.map((n) => [n.id, new Set()]));
  for (const e of graph.edges) {
    const from = nodeOf(e.from), to = nodeOf(e.to);
    if (isActor(from)) writers.add(from.id);
    if (isActor(to)) readers.add(to.id);
    neighbours.get(from.id)!.add(to.id);
    neighbours.get(to.id)!.add(from.id);
  }
  // A system with no edges at all still shows, among the writers.
  for (const a of actors) if (!readers.has(a.id)) writers.add(a.id);

  const { actorOrder, dataOrder } = orderByBarycenter(actors, data, neighbours);
  const { fontSize, margin } = metrics;
  const widthOf = (nodes: GraphNode[], bold: boolean) =>
    Math.ceil(
      Math.max(MIN_NODE_W, ...nodes.map((n) => textWidth(n.label, fontSize, bold) + TEXT_PAD * 2)),
    );
  // Events are hexagons and ports parallelograms: their slanted ends need room.
  const dataW = widthOf(data, false) +
    (data.some((n) => n.kind === "event" || n.kind === "port") ? 16 : 0);
  const actorW = widthOf(actors, true);

  const columns: GraphLayout["columns"] = [];
  let x = margin;
  for (
    const [column, w, used] of [
      ["writers", actorW, writers.size > 0],
      ["data", dataW, data.length > 0],
      ["readers", actorW, readers.size > 0],
    ] as const
  ) {
    if (!used) continue;
    if (columns.length) x += COLUMN_GAP;
    columns.push({ column, x, w });
    x += w;
  }
  const columnX = (c: Column) => columns.find((col) => col.column === c)!;

  // Boxes grow where many edges meet, so their ends stay a few pixels apart.
  const ends = new Map<string, number>();
  const countEnd = (key: string) => ends.set(key, (ends.get(key) ?? 0) + 1);
  for (const e of graph.edges) {
    countEnd(`${e.from}>`);
    countEnd(`${e.to}<`);
  }
  const heightOf = (n: GraphNode) => {
    const most = Math.max(ends.get(`${n.id}>`) ?? 0, ends.get(`${n.id}<`) ?? 0);
    return Math.max(NODE_H, 16 + 4 * (most - 1));
  };

  const stack = (column: Column, nodes: GraphNode[]): Box[] => {
    const { x, w } = columnX(column);
    let y = 0;
    return nodes.map((node, i) => {
      if (i > 0) y += nodes[i - 1]!.kind === node.kind ? ROW_GAP : GROUP_GAP;
      const box = { node, column, x, y, w, h: heightOf(node) };
      y += box.h;
      return box;
    });
  };
  const stacks = [
    writers.size ? stack("writers", actorOrder.filter((n) => writers.has(n.id))) : [],
    data.length ? stack("data", dataOrder) : [],
    readers.size ? stack("readers", actorOrder.filter((n) => readers.has(n.id))) : [],
  ];
  const heightOfStack = (boxes: Box[]) => boxes.length ? boxes.at(-1)!.y + boxes.at(-1)!.h : 0;
  const bodyHeight = Math.max(NODE_H, ...stacks.map(heightOfStack));
  // Columns are centred on one another, so short ones do not hang from the top.
  for (const boxes of stacks) {
    const shift = metrics.top + (bodyHeight - heightOfStack(boxes)) / 2;
    for (const b of boxes) b.y = Math.round(b.y + shift);
  }
  const boxes = stacks.flat();
  const wires = routeWires(graph.edges, boxes, byId);
  return {
    width: Math.ceil(x + margin),
    height: Math.ceil(metrics.top + bodyHeight),
    columns,
    top: metrics.top,
    bodyHeight,
    boxes,
    wires,
  };
}

/** Ranks of actors (one order for both outer columns) and of data (kept grouped by kind). */
function orderByBarycenter(
  actors: GraphNode[],
  data: GraphNode[],
  neighbours: Map<string, Set<string>>,
): { actorOrder: GraphNode[]; dataOrder: GraphNode[] } {
  let actorOrder = actors;
  let dataOrder = data;
  // Ranks scaled to 0..1, so the two columns' ranks compare although their lengths differ.
  const ranks = (nodes: GraphNode[]) =>
    new Map(nodes.map((n, i) => [n.id, nodes.length > 1 ? i / (nodes.length - 1) : 0.5]));
  const sweep = (
    nodes: GraphNode[],
    other: Map<string, number>,
    groupKey: (n: GraphNode) => number,
  ) => {
    const own = ranks(nodes);
    const center = (n: GraphNode) => {
      const near = [...neighbours.get(n.id)!].map((id) => other.get(id)!);
      return near.length ? near.reduce((a, b) => a + b, 0) / near.length : own.get(n.id)!;
    };
    const keyed = nodes.map((n) => ({
      n,
      group: groupKey(n),
      center: center(n),
      was: own.get(n.id)!,
    }));
    keyed.sort((a, b) => a.group - b.group || a.center - b.center || a.was - b.was);
    return keyed.map((k) => k.n);
  };
  const kindRank = (n: GraphNode) => GRAPH_NODE_KINDS.indexOf(n.kind);
  for (let i = 0; i < SWEEPS; i++) {
    dataOrder = sweep(dataOrder, ranks(actorOrder), kindRank);
    actorOrder = sweep(actorOrder, ranks(dataOrder), () => 0);
  }
  return { actorOrder, dataOrder };
}

/** A wire per edge, its ends spread along each box side in the order of the boxes at their other ends. */
function routeWires(edges: GraphEdge[], boxes: Box[], byId: Map<string, GraphNode>): Wire[] {
  const boxIn = (id: string, column: Column) =>
    boxes.find((b) => b.node.id === id && b.column === column);
  const wires: Wire[] = edges.map((edge) => {
    const fromActor = isActor(byId.get(edge.from)!), toActor = isActor(byId.get(edge.to)!);
    const from = boxIn(edge.from, fromActor ? "writers" : "data")!;
    const to = boxIn(edge.to, toActor ? "readers" : "data")!;
    return { edge, from, to, y1: 0, y2: 0, loop: !fromActor && !toActor };
  });
  const centerY = (b: Box) => b.y + b.h / 2;
  // Each box side's ends, keyed by box and side ("<" left, ">" right).
  const sides = new Map<string, { wire: Wire; end: "y1" | "y2"; other: Box }[]>();
  const add = (box: Box, side: string, wire: Wire, end: "y1" | "y2", other: Box) => {
    const key = `${box.column}\n${box.node.id}\n${side}`;
    sides.set(key, [...(sides.get(key) ?? []), { wire, end, other }]);
  };
  for (const w of wires) {
    add(w.from, ">", w, "y1", w.to);
    add(w.to, w.loop ? ">" : "<", w, "y2", w.from);
  }
  for (const list of sides.values()) {
    list.sort((a, b) => centerY(a.other) - centerY(b.other));
    list.forEach(({ wire, end }, i) => {
      const box = end === "y1" ? wire.from : wire.to;
      const inset = Math.min(8, box.h / 2);
      wire[end] = list.length === 1
        ? centerY(box)
        : box.y + inset + (i * (box.h - 2 * inset)) / (list.length - 1);
    });
  }
  return wires;
}

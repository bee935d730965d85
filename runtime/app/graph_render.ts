/**
 * Draws a world graph (world_graph.ts) two ways: as Mermaid text, which
 * GitHub and most Markdown viewers render and which diffs well, and as a
 * self-contained SVG picture (no scripts, fonts or links to fetch) laid out
 * by _graph_layout.ts.
 *
 * @module
 */
import { type Box, type GraphLayout, layoutGraph, textWidth, type Wire } from "./_graph_layout.ts";
import {
  GRAPH_EDGE_KINDS,
  GRAPH_NODE_KINDS,
  type GraphEdgeKind,
  type GraphNode,
  type GraphNodeKind,
  type WorldGraph,
} from "./world_graph.ts";

/** How each kind looks, in both renderings: fill, outline and text colour. */
const NODE_COLORS: Record<GraphNodeKind, { fill: string; stroke: string; text: string }> = {
  system: { fill: "#1e293b", stroke: "#0f172a", text: "#f8fafc" },
  driver: { fill: "#0f766e", stroke: "#115e59", text: "#f0fdfa" },
  component: { fill: "#f8fafc", stroke: "#64748b", text: "#0f172a" },
  resource: { fill: "#fffbeb", stroke: "#d97706", text: "#78350f" },
  event: { fill: "#faf5ff", stroke: "#9333ea", text: "#581c87" },
  port: { fill: "#ecfdf5", stroke: "#059669", text: "#064e3b" },
};

/** Edges: reads blue, writes orange, events dashed purple, ports green. */
const EDGE_COLORS: Record<GraphEdgeKind, { color: string; dash: string | null }> = {
  reads: { color: "#2563eb", dash: null },
  writes: { color: "#ea580c", dash: null },
  emits: { color: "#9333ea", dash: "6 4" },
  receives: { color: "#9333ea", dash: "6 4" },
  port: { color: "#059669", dash: null },
};

const PLURAL: Record<GraphNodeKind, string> = {
  system: "systems",
  driver: "drivers",
  component: "components",
  resource: "resources",
  event: "events",
  port: "ports",
};

// ---------------------------------------------------------------- Mermaid

/** Mermaid node shapes: `[open, close]` around the quoted label. */
const MERMAID_SHAPES: Record<GraphNodeKind, [string, string]> = {
  system: ["(", ")"], // rounded box
  driver: ["[[", "]]"], // subroutine: a box with double sides
  component: ["[", "]"], // rectangle
  resource: ["[(", ")]"], // cylinder
  event: ["{{", "}}"], // hexagon
  port: ["[/", "/]"], // parallelogram
};

/** Mermaid arrows: reads thin, writes thick, events dotted. */
const MERMAID_ARROWS: Record<GraphEdgeKind, string> = {
  reads: "-->",
  writes: "==>",
  emits: "-.->",
  receives: "-.->",
  port: "--o",
};

/**
 * The graph as a Mermaid `flowchart LR`: systems as rounded boxes,
 * components as rectangles, resources as cylinders, events as hexagons;
 * reads as thin arrows, writes as thick ones, events dotted, each kind in
 * its colour. Ids are the graph's with anything but letters, digits and
 * `_` replaced, so any name is safe to paste into Markdown.
 *
 * @example
 * ```ts
 * import { toMermaid } from "./graph_render.ts";
 * import assert from "node:assert/strict";
 *
 * const text = toMermaid({
 *   nodes: [
 *     { id: "system:mover", kind: "system", label: "mover" },
 *     { id: "component:Transform", kind: "component", label: "Transform" },
 *   ],
 *   edges: [{ from: "system:mover", to: "component:Transform", kind: "writes" }],
 * });
 * assert.match(text, /^flowchart LR$/m);
 * assert.match(text, /system_mover\("mover"\)/);
 * assert.match(text, /system_mover ==> component_Transform/);
 * ```
 */
export function toMermaid(graph: WorldGraph): string {
  const ids = mermaidIds(graph.nodes);
  const lines = [`%% ${summary(graph)}`, "flowchart LR"];
  for (const kind of GRAPH_NODE_KINDS) {
    const nodes = graph.nodes.filter((n) => n.kind === kind);
    if (!nodes.length) continue;
    lines.push(`  %% ${PLURAL[kind]}`);
    const [open, close] = MERMAID_SHAPES[kind];
    for (const n of nodes) lines.push(`  ${ids.get(n.id)}${open}"${mermaidText(n.label)}"${close}`);
  }
  if (graph.edges.length) lines.push("  %% edges: data flows along the arrow");
  for (const e of graph.edges) {
    lines.push(`  ${ids.get(e.from)} ${MERMAID_ARROWS[e.kind]} ${ids.get(e.to)}`);
  }
  for (const kind of GRAPH_NODE_KINDS) {
    const nodes = graph.nodes.filter((n) => n.kind === kind);
    if (!nodes.length) continue;
    const c = NODE_COLORS[kind];
    lines.push(`  classDef ${kind} fill:${c.fill},stroke:${c.stroke},color:${c.text}`);
    lines.push(`  class ${nodes.map((n) => ids.get(n.id)).join(",")} ${kind}`);
  }
  for (const kind of GRAPH_EDGE_KINDS) {
    const indices = graph.edges.flatMap((e, i) => (e.kind === kind ? [i] : []));
    if (indices.length) {
      lines.push(`  linkStyle ${indices.join(",")} stroke:${EDGE_COLORS[kind].color}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** Mermaid-safe ids, unique even where two ids differ only in replaced characters. */
function mermaidIds(nodes: readonly GraphNode[]): Map<string, string> {
  const ids = new Map<string, string>();
  const taken = new Set<string>();
  for (const n of nodes) {
    const base = n.id.replace(/[^A-Za-z0-9_]/g, "_");
    let id = base;
    for (let i = 2; taken.has(id); i++) id = `${base}_${i}`;
    taken.add(id);
    ids.set(n.id, id);
  }
  return ids;
}

/** A label inside Mermaid's double quotes: its own syntax characters as entity codes. */
function mermaidText(label: string): string {
  // "#" first: the codes that follow are written with it.
  return label.replace(/#/g, "#35;").replace(/"/g, "#quot;").replace(/&/g, "#amp;")
    .replace(/</g, "#lt;").replace(/>/g, "#gt;").replace(/`/g, "#96;").replace(/\s+/g, " ");
}

/** "3 systems, 4 components, 1 event, 7 edges". */
function summary(graph: WorldGraph): string {
  const counts = GRAPH_NODE_KINDS.flatMap((kind) => {
    const n = graph.nodes.filter((node) => node.kind === kind).length;
    return n ? [`${n} ${n === 1 ? kind : PLURAL[kind]}`] : [];
  });
  const edges = graph.edges.length;
  return [...counts, `${edges} ${edges === 1 ? "edge" : "edges"}`].join(", ");
}

// ---------------------------------------------------------------- SVG

/** Options of {@linkcode toSvg}. */
export interface SvgOptions {
  /** The heading drawn above the graph. @default "World graph" */
  title?: string;
}

const FONT_SIZE = 13;
const FONT = "ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
const MARGIN = 28;
const TITLE_H = 44;
const HEADING_H = 26;
const LEGEND_GAP = 30;
const LEGEND_ROW = 22;

/**
 * The graph as a standalone SVG picture: writers on the left, components,
 * resources and events in the middle, readers on the right, so that data
 * flows left to right along coloured curves; a legend at the bottom.
 * Every text is XML-escaped; hovering a node or an edge says what it is.
 */
export function toSvg(graph: WorldGraph, options: SvgOptions = {}): string {
  const title = options.title ?? "World graph";
  const top = MARGIN + TITLE_H + HEADING_H;
  const layout = layoutGraph(graph, { fontSize: FONT_SIZE, top, margin: MARGIN });
  const legend = legendItems(graph);
  const width = Math.max(
    layout.width,
    MARGIN * 2 + Math.max(
      textWidth(title, 18, true),
      textWidth(summary(graph), 12),
    ),
  );
  const legendRows = packLegend(legend, width - MARGIN * 2);
  const legendTop = layout.height + LEGEND_GAP;
  const height = Math.ceil(legendTop + legendRows.length * LEGEND_ROW + MARGIN - 6);

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="${xml(FONT)}" font-size="${FONT_SIZE}">`,
    `<title>${xml(`${title}: ${summary(graph)}`)}</title>`,
    `<style>.wire{fill:none;stroke-width:1.6;opacity:.8}.wire:hover{stroke-width:3.2;opacity:1}` +
    `.node:hover .shape{stroke-width:2.5}</style>`,
    `<defs>${
      GRAPH_EDGE_KINDS.map((k) =>
        `<marker id="arrow-${k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" ` +
        `markerHeight="9" markerUnits="userSpaceOnUse" orient="auto">` +
        `<path d="M0,1 L10,5 L0,9 z" fill="${EDGE_COLORS[k].color}"/></marker>`
      ).join("")
    }</defs>`,
    `<rect width="${width}" height="${height}" rx="12" fill="#ffffff" stroke="#e2e8f0"/>`,
    `<text x="${MARGIN}" y="${MARGIN + 16}" font-size="18" font-weight="700" fill="#0f172a">` +
    `${xml(title)}</text>`,
    `<text x="${MARGIN}" y="${MARGIN + 36}" font-size="12" fill="#64748b">` +
    `${xml(summary(graph))}</text>`,
    ...columnBackdrops(layout),
    ...(graph.nodes.length ? [] : [
      `<text x="${MARGIN}" y="${top + 20}" fill="#64748b">No systems started in this folder</text>`,
    ]),
    ...layout.wires.map(drawWire),
    ...layout.boxes.map(drawBox),
    ...drawLegend(legendRows, legendTop),
    `</svg>`,
  ];
  return parts.join("\n") + "\n";
}

/** The column headings, and a pale lane behind the data so the eye finds the middle. */
function columnBackdrops(layout: GraphLayout): string[] {
  const headings = {
    writers: "write · emit →",
    data: "components · resources · events",
    readers: "→ read · receive",
  };
  // Outer headings hang from the picture's edges (they are wider than a system's box).
  const anchors = {
    writers: (x: number) => ["start", x],
    data: (x: number, w: number) => ["middle", x + w / 2],
    readers: (x: number, w: number) => ["end", x + w],
  } as const;
  return layout.columns.flatMap(({ column, x, w }) => {
    const [anchor, hx] = anchors[column](x, w);
    const heading = `<text x="${hx}" y="${layout.top - 12}" text-anchor="${anchor}" ` +
      `font-size="11" letter-spacing=".04em" fill="#94a3b8">${xml(headings[column])}</text>`;
    if (column !== "data") return [heading];
    return [
      `<rect x="${x - 14}" y="${layout.top - 8}" width="${w + 28}" ` +
      `height="${layout.bodyHeight + 16}" rx="10" fill="#f1f5f9"/>`,
      heading,
    ];
  });
}

const round = (n: number) => Math.round(n * 10) / 10;

/** An edge as a horizontal S-curve ending in an arrowhead on the target's outline. */
function drawWire(w: Wire): string {
  const x1 = sideX(w.from, "right", w.y1);
  const x2 = w.loop ? sideX(w.to, "right", w.y2) : sideX(w.to, "left", w.y2);
  // Loops (data to data) bulge out to the right; others bend halfway across the gap.
  const bend = w.loop ? 60 : Math.max(30, (x2 - x1) / 2);
  const d = `M${round(x1)},${round(w.y1)} C${round(x1 + bend)},${round(w.y1)} ` +
    `${round(w.loop ? x2 + bend : x2 - bend)},${round(w.y2)} ${round(x2)},${round(w.y2)}`;
  const { color, dash } = EDGE_COLORS[w.edge.kind];
  return `<path class="wire" d="${d}" stroke="${color}"${
    dash ? ` stroke-dasharray="${dash}"` : ""
  } marker-end="url(#arrow-${w.edge.kind})"><title>${
    xml(sentence(w.from.node, w.edge.kind, w.to.node))
  }</title></path>`;
}

/** What an edge means, as a reader would say it: "door writes Transform". */
function sentence(from: GraphNode, kind: GraphEdgeKind, to: GraphNode): string {
  if (kind === "reads" || kind === "receives") return `${to.label} ${kind} ${from.label}`;
  if (kind === "port") return `${from.label} → ${to.label}`;
  return `${from.label} ${kind} ${to.label}`;
}

/** How far the slanted ends of hexagons (events) and parallelograms (ports) lean in. */
const SLANT = 10;

/** Where a box's outline is at height `y` on one side: boxes are straight, events and ports slant. */
function sideX(b: Box, side: "left" | "right", y: number): number {
  const t = Math.min(1, Math.max(0, (y - b.y) / b.h));
  const edge = side === "left" ? b.x : b.x + b.w;
  const inward = side === "left" ? 1 : -1;
  if (b.node.kind === "event") return edge + inward * SLANT * Math.abs(2 * t - 1);
  // The parallelogram leans right: its left side is inset at the top, its right side at the bottom.
  if (b.node.kind === "port") return edge + inward * SLANT * (side === "left" ? 1 - t : t);
  return edge;
}

/** A node's outline path (or element) in its kind's shape. */
function shape(kind: GraphNodeKind, x: number, y: number, w: number, h: number): string {
  const c = NODE_COLORS[kind];
  const paint = `class="shape" fill="${c.fill}" stroke="${c.stroke}" stroke-width="1.4"`;
  const r = round;
  switch (kind) {
    case "system":
      return `<rect ${paint} x="${x}" y="${y}" width="${w}" height="${h}" rx="9"/>`;
    case "driver":
      return `<rect ${paint} x="${x}" y="${y}" width="${w}" height="${h}" rx="9"/>` +
        `<rect x="${x + 3}" y="${y + 3}" width="${w - 6}" height="${h - 6}" rx="6" fill="none" ` +
        `stroke="${c.text}" stroke-opacity=".45"/>`;
    case "component":
      return `<rect ${paint} x="${x}" y="${y}" width="${w}" height="${h}" rx="3"/>`;
    case "resource": {
      // A cylinder: a body with elliptical ends, and the front rim of its lid.
      const ry = 4;
      return `<path ${paint} d="M${x},${y + ry} a${w / 2},${ry} 0 0 1 ${w},0 v${h - 2 * ry} ` +
        `a${w / 2},${ry} 0 0 1 ${-w},0 z"/>` +
        `<path d="M${x},${y + ry} a${w / 2},${ry} 0 0 0 ${w},0" fill="none" stroke="${c.stroke}" ` +
        `stroke-width="1.4"/>`;
    }
    case "event":
      return `<polygon ${paint} points="${r(x + SLANT)},${y} ${r(x + w - SLANT)},${y} ` +
        `${x + w},${r(y + h / 2)} ${r(x + w - SLANT)},${y + h} ${r(x + SLANT)},${y + h} ` +
        `${x},${r(y + h / 2)}"/>`;
    case "port":
      return `<polygon ${paint} points="${x + SLANT},${y} ${x + w},${y} ` +
        `${x + w - SLANT},${y + h} ${x},${y + h}"/>`;
  }
}

/** A node: its shape, its label centred, and a tooltip. */
function drawBox(b: Box): string {
  const { kind, label, detail } = b.node;
  const bold = kind === "system" || kind === "driver";
  const tip = `${kind} ${label}${detail ? `: ${detail}` : ""}`;
  const textY = round(b.y + b.h / 2 + FONT_SIZE * 0.35);
  return `<g class="node"><title>${xml(tip)}</title>${shape(kind, b.x, b.y, b.w, b.h)}` +
    `<text x="${b.x + b.w / 2}" y="${textY}" text-anchor="middle" fill="${
      NODE_COLORS[kind].text
    }"` +
    `${bold ? ` font-weight="600"` : ""}>${xml(label)}</text></g>`;
}

/** One entry of the legend: a swatch and its words. */
type LegendItem = { swatch: "edge"; kind: GraphEdgeKind; text: string } | {
  swatch: "node";
  kind: GraphNodeKind;
  text: string;
};

const SWATCH_W = 30;

/** The legend lists only the kinds this graph has: events' two edge kinds share one entry. */
function legendItems(graph: WorldGraph): LegendItem[] {
  const nodeKinds = GRAPH_NODE_KINDS.filter((k) => graph.nodes.some((n) => n.kind === k));
  const has = (k: GraphEdgeKind) => graph.edges.some((e) => e.kind === k);
  const edgeItems: LegendItem[] = [
    ...(has("reads") ? [{ swatch: "edge", kind: "reads", text: "reads" } as const] : []),
    ...(has("writes") ? [{ swatch: "edge", kind: "writes", text: "writes" } as const] : []),
    ...(has("emits") || has("receives")
      ? [{ swatch: "edge", kind: "emits", text: "emits · receives" } as const]
      : []),
    ...(has("port") ? [{ swatch: "edge", kind: "port", text: "port stream" } as const] : []),
  ];
  return [
    ...nodeKinds.map((kind): LegendItem => ({ swatch: "node", kind, text: kind })),
    ...edgeItems,
  ];
}

const itemWidth = (item: LegendItem) => SWATCH_W + 8 + textWidth(item.text, 12) + 22;

/** Legend items in rows that fit `width`. */
function packLegend(items: LegendItem[], width: number): LegendItem[][] {
  const rows: LegendItem[][] = [];
  let used = Infinity;
  for (const item of items) {
    const w = itemWidth(item);
    if (used + w > width) {
      rows.push([]);
      used = 0;
    }
    rows.at(-1)!.push(item);
    used += w;
  }
  return rows;
}

function drawLegend(rows: LegendItem[][], top: number): string[] {
  return rows.flatMap((row, r) => {
    let x = MARGIN;
    const y = top + r * LEGEND_ROW;
    return row.map((item) => {
      const swatch = item.swatch === "node"
        ? shape(item.kind, x, y - 7, SWATCH_W, 14)
        : `<path class="wire" d="M${x},${y} H${x + SWATCH_W - 2}" stroke="${
          EDGE_COLORS[item.kind].color
        }"${
          EDGE_COLORS[item.kind].dash ? ` stroke-dasharray="${EDGE_COLORS[item.kind].dash}"` : ""
        } marker-end="url(#arrow-${item.kind})"/>`;
      const text = `<text x="${x + SWATCH_W + 8}" y="${y + 4}" font-size="12" fill="#475569">` +
        `${xml(item.text)}</text>`;
      x += itemWidth(item);
      return swatch + text;
    });
  });
}

/** Text or an attribute value, safe inside XML. */
function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&apos;")
    // Control characters other than tab and newline are not allowed in XML 1.0 at all.
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "\ufffd");
}

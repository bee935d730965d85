import assert from "node:assert/strict";
import { type Manifest, validateDriverManifest, validateManifest } from "../roles/mod.ts";
import { layoutGraph } from "./_graph_layout.ts";
import { toMermaid, toSvg } from "./graph_render.ts";
import { buildWorldGraph, type GraphSystem, type WorldGraph } from "./world_graph.ts";

const F32 = { v: { type: "f32", default: [0] } };
const COMPONENTS = { Door: F32, Transform: F32, Player: F32, Label: F32, Spin: F32 };

/** A manifest as a child would report it, validated like one. */
function manifest(file: string, raw: Record<string, unknown>): Manifest {
  return validateManifest({ hasRun: true, components: COMPONENTS, ...raw }, file);
}

/** A small world: a door (two queries, a resource, an event), its label, and a spinner. */
function doorWorld(): GraphSystem[] {
  return [
    {
      name: "door",
      file: "scripts/door.ts",
      manifest: manifest("door.ts", {
        queries: {
          doors: { writes: ["Door", "Transform"] },
          players: { reads: ["Transform"], with: ["Player"] },
        },
        resources: { writes: ["Score"] },
        resourceSchemas: { Score: F32 },
        events: { emits: ["DoorOpened"] },
        eventSchemas: { DoorOpened: F32 },
        spawns: true,
        hasInit: true,
      }),
    },
    {
      name: "label",
      file: "scripts/label.ts",
      manifest: manifest("label.ts", {
        queries: { doors: { reads: ["Door"], writes: ["Label"], optional: ["Label"] } },
        resources: { reads: ["Score"] },
        resourceSchemas: { Score: F32 },
        events: { receives: ["DoorOpened"] },
        eventSchemas: { DoorOpened: F32 },
      }),
    },
    {
      name: "spinner",
      file: "scripts/spinner.ts",
      manifest: manifest("spinner.ts", { reads: ["Spin"], writes: ["Transform"] }),
    },
  ];
}

/** Fails unless `text` is well-formed XML: tags balanced, attributes quoted, every `&` an entity. */
function assertWellFormedXml(text: string): void {
  const entity = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  const open = /^<([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>$/;
  const stack: string[] = [];
  let roots = 0;
  let last = 0;
  for (const m of text.matchAll(/<[^<>]*>/g)) {
    const between = text.slice(last, m.index);
    assert.doesNotMatch(between, /</, `stray "<" before ${m[0]}`);
    assert.doesNotMatch(between, entity, `unescaped "&" in text before ${m[0]}`);
    last = m.index + m[0].length;
    const tag = m[0];
    const close = /^<\/([A-Za-z][\w:.-]*)\s*>$/.exec(tag);
    if (close) {
      assert.equal(stack.pop(), close[1], `closing ${tag} does not match`);
      continue;
    }
    const o = open.exec(tag);
    assert.ok(o, `malformed tag ${tag}`);
    assert.doesNotMatch(o[2]!, entity, `unescaped "&" in the attributes of ${tag}`);
    if (stack.length === 0) roots++;
    if (!o[3]) stack.push(o[1]!);
  }
  assert.doesNotMatch(text.slice(last), /</, "text after the root element");
  assert.deepEqual(stack, [], "unclosed elements");
  assert.equal(roots, 1, "one root element");
}

Deno.test("the graph has a node per system and per component, resource and event it grants", () => {
  const graph = buildWorldGraph(doorWorld());
  assert.deepEqual(graph.nodes.map((n) => n.id), [
    "system:door",
    "system:label",
    "system:spinner",
    "component:Door",
    "component:Label",
    "component:Spin",
    "component:Transform",
    "resource:Score",
    "event:DoorOpened",
  ]);
  // `with: [Player]` filters rows but moves no data: no node, no edge.
  assert.ok(!graph.nodes.some((n) => n.label === "Player"));
  assert.deepEqual(graph.nodes[0], {
    id: "system:door",
    kind: "system",
    label: "door",
    detail: "scripts/door.ts (spawns)",
  });
});

Deno.test("edges run the way data flows: into readers, out of writers, emitter to receiver", () => {
  const graph = buildWorldGraph(doorWorld());
  const lines = graph.edges.map((e) => `${e.from} ${e.kind} ${e.to}`);
  assert.deepEqual(lines, [
    "component:Door reads system:label",
    // Label is written and optional: the script sees whether it is there, so it reads it too.
    "component:Label reads system:label",
    "component:Spin reads system:spinner",
    "component:Transform reads system:door",
    "event:DoorOpened receives system:label",
    "resource:Score reads system:label",
    "system:door writes component:Door",
    "system:door writes component:Transform",
    "system:door emits event:DoorOpened",
    "system:door writes resource:Score",
    "system:label writes component:Label",
    "system:spinner writes component:Transform",
  ]);
});

Deno.test("the graph is the same whatever order the systems come in", () => {
  const systems = doorWorld();
  assert.deepEqual(buildWorldGraph([...systems].reverse()), buildWorldGraph(systems));
});

Deno.test("a component in several queries of one system is one edge", () => {
  const graph = buildWorldGraph([{
    name: "twice",
    file: "twice.ts",
    manifest: manifest("twice.ts", {
      queries: { a: { reads: ["Door"] }, b: { reads: ["Door"], with: ["Player"] } },
    }),
  }]);
  assert.deepEqual(graph.edges, [{ from: "component:Door", to: "system:twice", kind: "reads" }]);
});

Deno.test("a system that only runs init says so in its detail", () => {
  const graph = buildWorldGraph([{
    name: "scene",
    file: "scene.ts",
    manifest: manifest("scene.ts", {
      writes: ["Transform"],
      spawns: true,
      hasInit: true,
      hasRun: false,
    }),
  }]);
  assert.equal(graph.nodes[0]!.detail, "scene.ts (runs init only, spawns)");
});

Deno.test("two systems of one name cannot be one graph", () => {
  const [door] = doorWorld();
  assert.throws(
    () => buildWorldGraph([door!, door!]),
    (e) => e instanceof TypeError && /two systems are named "door"/.test(e.message),
  );
});

Deno.test("Mermaid draws each kind in its shape and each grant as an arrow", () => {
  const text = toMermaid(buildWorldGraph(doorWorld()));
  const lines = text.split("\n").map((l) => l.trim());
  assert.equal(lines[0], "%% 3 systems, 4 components, 1 resource, 1 event, 12 edges");
  assert.equal(lines[1], "flowchart LR");
  for (
    const line of [
      `system_door("door")`,
      `component_Transform["Transform"]`,
      `resource_Score[("Score")]`,
      `event_DoorOpened{{"DoorOpened"}}`,
      "component_Spin --> system_spinner",
      "system_spinner ==> component_Transform",
      "resource_Score --> system_label",
      "system_door ==> resource_Score",
      "system_door -.-> event_DoorOpened",
      "event_DoorOpened -.-> system_label",
      "class system_door,system_label,system_spinner system",
      "class resource_Score resource",
    ]
  ) {
    assert.ok(lines.includes(line), `missing line ${line} in:\n${text}`);
  }
  // Edges 0..11 in the order printed: reads are blue, writes orange.
  assert.ok(lines.includes("linkStyle 0,1,2,3,5 stroke:#2563eb"), text);
  assert.ok(lines.includes("linkStyle 6,7,9,10,11 stroke:#ea580c"), text);
});

/** A graph with names no script can declare, for the escaping and the kinds still to come. */
function oddGraph(): WorldGraph {
  return {
    nodes: [
      { id: "driver:viewer", kind: "driver", label: "viewer" },
      { id: "component:a-b", kind: "component", label: `Tag "<&>" #1` },
      { id: "component:a_b", kind: "component", label: "a_b `x`" },
      { id: "port:frames", kind: "port", label: "frames (png)" },
      { id: "port:audio", kind: "port", label: "audio" },
    ],
    edges: [
      { from: "component:a-b", to: "driver:viewer", kind: "reads" },
      { from: "driver:viewer", to: "component:a_b", kind: "writes" },
      { from: "driver:viewer", to: "port:frames", kind: "port" },
      { from: "port:frames", to: "port:audio", kind: "port" },
    ],
  };
}

Deno.test("Mermaid ids are sanitized and unique, and labels cannot break out of their quotes", () => {
  const text = toMermaid(oddGraph());
  assert.match(text, /^ {2}component_a_b\["Tag #quot;#lt;#amp;#gt;#quot; #35;1"\]$/m);
  assert.match(text, /^ {2}component_a_b_2\["a_b #96;x#96;"\]$/m);
  assert.match(text, /^ {2}driver_viewer\[\["viewer"\]\]$/m);
  assert.match(text, /^ {2}port_frames\[\/"frames \(png\)"\/\]$/m);
  assert.match(text, /^ {2}driver_viewer --o port_frames$/m);
  assert.match(text, /^ {2}component_a_b --> driver_viewer$/m);
  assert.match(text, /^ {2}driver_viewer ==> component_a_b_2$/m);
  // Every label is inside its quotes: no quote, bracket or angle left bare.
  for (const line of text.split("\n").filter((l) => l.includes('"'))) {
    assert.equal(line.split('"').length, 3, line);
  }
});

Deno.test("the SVG is well-formed XML and shows every label, edge and legend entry", () => {
  const graph = buildWorldGraph(doorWorld());
  const svg = toSvg(graph, { title: "Door world" });
  assertWellFormedXml(svg);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+"/);
  for (const n of graph.nodes) assert.ok(svg.includes(`>${n.label}</text>`), n.label);
  assert.ok(svg.includes(">Door world</text>"));
  // One curve per edge, each saying what it means when hovered.
  assert.equal(svg.match(/<path class="wire" d="M[^"]+ C/g)?.length, graph.edges.length);
  for (const tip of ["door writes Transform", "label reads Door", "label receives DoorOpened"]) {
    assert.ok(svg.includes(`<title>${tip}</title>`), tip);
  }
  for (const entry of ["system", "component", "resource", "event", "reads", "writes"]) {
    assert.ok(svg.includes(`>${entry}</text>`), entry);
  }
  assert.ok(svg.includes(">emits · receives</text>"));
  // Self-contained: nothing to fetch.
  assert.doesNotMatch(svg, /href|@import|url\((?!#)/);
});

Deno.test("the SVG escapes labels and draws the driver and port kinds", () => {
  const svg = toSvg(oddGraph(), { title: `A <"title"> & more` });
  assertWellFormedXml(svg);
  assert.ok(svg.includes(">Tag &quot;&lt;&amp;&gt;&quot; #1</text>"));
  assert.ok(svg.includes(">A &lt;&quot;title&quot;&gt; &amp; more</text>"));
  assert.ok(svg.includes(">frames (png)</text>"));
  assert.ok(svg.includes(">port stream</text>"));
});

Deno.test("an empty folder's graph still prints and draws", () => {
  const empty = { nodes: [], edges: [] };
  assert.equal(toMermaid(empty), "%% 0 edges\nflowchart LR\n");
  const svg = toSvg(empty);
  assertWellFormedXml(svg);
  assert.ok(svg.includes("No systems started in this folder"));
});

Deno.test("in the picture every edge runs left to right and boxes fit their labels", () => {
  const graph = buildWorldGraph(doorWorld());
  const layout = layoutGraph(graph, { fontSize: 13, top: 100, margin: 20 });
  for (const w of layout.wires) {
    assert.ok(w.from.x + w.from.w < w.to.x, `${w.edge.from} → ${w.edge.to}`);
  }
  // A system that writes and reads stands in both outer columns, at the same rank.
  const door = layout.boxes.filter((b) => b.node.id === "system:door").map((b) => b.column);
  assert.deepEqual(door, ["writers", "readers"]);
  // Boxes in one column never overlap.
  for (const column of ["writers", "data", "readers"]) {
    const boxes = layout.boxes.filter((b) => b.column === column).sort((a, b) => a.y - b.y);
    boxes.slice(1).forEach((b, i) => assert.ok(boxes[i]!.y + boxes[i]!.h <= b.y, b.node.id));
  }
  assert.ok(layout.boxes.every((b) => b.y >= 100 && b.y + b.h <= layout.height));
  assert.ok(layout.boxes.every((b) => b.x + b.w <= layout.width - 20));
});

Deno.test("a driver is a node: what it reads flows into it, what it writes out of it", () => {
  const f32 = { v: { type: "f32" as const, default: [0] } };
  const driver = validateDriverManifest(
    { reads: ["Heat"], writes: ["Cold"], components: { Heat: f32, Cold: f32 } },
    "lamp.ts",
  );
  const graph = buildWorldGraph([], [{ name: "lamp", file: "drivers/lamp.ts", manifest: driver }]);
  assert.deepEqual(graph.nodes.map((n) => n.id), [
    "driver:lamp",
    "component:Cold",
    "component:Heat",
  ]);
  assert.deepEqual(graph.edges, [
    { from: "component:Heat", to: "driver:lamp", kind: "reads" },
    { from: "driver:lamp", to: "component:Cold", kind: "writes" },
  ]);
});

Deno.test("a driver's output is a port node wired to the inputs of its name and type, or as the owner drew it", () => {
  const driver = (name: string, raw: Record<string, unknown>) => ({
    name,
    file: `drivers/${name}.ts`,
    manifest: validateDriverManifest(raw, `${name}.ts`),
  });
  const drivers = [
    driver("mic", { outputs: { audio: "pcm" } }),
    driver("speaker", { inputs: { audio: "pcm" } }),
    driver("recorder", { inputs: { take: "pcm" } }),
  ];
  const edges = (g: WorldGraph) => g.edges.map((e) => `${e.from} -> ${e.to}`);
  assert.deepEqual(edges(buildWorldGraph([], drivers)), [
    "driver:mic -> port:mic.audio",
    "port:mic.audio -> driver:speaker",
  ]);
  const rewired = buildWorldGraph([], drivers, [{ from: "mic.audio", to: "recorder.take" }]);
  assert.deepEqual(edges(rewired), [
    "driver:mic -> port:mic.audio",
    "port:mic.audio -> driver:recorder",
  ]);
});

/// <reference lib="dom" />
// The viewer's page: builds a three.js scene from the world's render components, keeps it live
// from the viewer's WebSocket (JSON for structure, binary frames for transforms), sends the
// keyboard as this page's Player Input, and lists the entities in an inspector. It exposes
// globalThis.syncra for devtools and tests (DESIGN §10).
import * as THREE from "three";
import { floatsOf, TransformDecoder } from "../transform_codec.ts";
import { InstancedBatches } from "./instances.ts";

type Plain = Record<string, number | boolean | string | number[]>;
type Components = Record<string, Plain>;

const transforms = new TransformDecoder();

const view = document.getElementById("view")!;
const status = document.getElementById("status")!;
const list = document.getElementById("entities")!;
const details = document.getElementById("details")!;
const search = document.getElementById("search") as HTMLInputElement;
const worldPanel = document.getElementById("world")!;
const logPanel = document.getElementById("log")!;

const renderer = new THREE.WebGLRenderer({ antialias: true });
renderer.setPixelRatio(Math.min(devicePixelRatio, 2));
view.appendChild(renderer.domElement);
const scene = new THREE.Scene();
scene.background = new THREE.Color(0x9fb4c8);
const camera = new THREE.PerspectiveCamera(60, 1, 0.1, 1000);
camera.position.set(0, 3, 9);

/** Where an entity is drawn from and to: the last two transforms, blended over a tick. */
interface Motion {
  from: { p: THREE.Vector3; q: THREE.Quaternion; s: THREE.Vector3 };
  to: { p: THREE.Vector3; q: THREE.Quaternion; s: THREE.Vector3 };
  at: number;
}

/** What the page holds: every entity the viewer sent, a light if it is one, and its motion. */
interface Held {
  components: Components;
  light: THREE.Light | null;
  motion: Motion | null;
}
const entities = new Map<number, Held>();
const batches = new InstancedBatches(scene);
/** Seconds between transform frames, smoothed: how long a blend lasts. */
let framePeriod = 1 / 60;
let lastFrameAt = 0;
let drawCalls = 0;
let tick = 0;
let player = 0;
let connected = false;
let selected = 0;
let editable = false;
const refusals: string[] = [];

const api = {
  get tick() {
    return tick;
  },
  get entityCount() {
    return entities.size;
  },
  get connected() {
    return connected;
  },
  get player() {
    return player;
  },
  /** The world's scripts, drivers, tick times and recent log, as last sent. */
  get world() {
    return worldStatus;
  },
  /** Draw calls of the last frame (entities sharing a mesh are drawn together). */
  get drawCalls() {
    return drawCalls;
  },
  get editable() {
    return editable;
  },
  /** Why the world refused this page's edits, newest last. */
  get refusals() {
    return [...refusals];
  },
  entity(id: number): Components | null {
    const e = entities.get(id);
    return e ? structuredClone(e.components) : null;
  },
  /** Asks the world to set fields of a component (with --editable; else it is refused). */
  edit(entity: number, component: string, values: Plain): void {
    socket?.send(JSON.stringify({ t: "edit", entity, component, values }));
  },
};
(globalThis as unknown as { syncra: typeof api }).syncra = api;

function light(l: Plain): THREE.Light {
  const c = (l.color as number[]) ?? [1, 1, 1];
  const color = new THREE.Color(c[0], c[1], c[2]);
  const intensity = (l.intensity as number) ?? 1;
  switch (l.kind) {
    case 1:
      return new THREE.PointLight(color, intensity, (l.range as number) || 0);
    case 2:
      return new THREE.AmbientLight(color, intensity);
    case 3:
      return new THREE.SpotLight(color, intensity, (l.range as number) || 0);
    default:
      return new THREE.DirectionalLight(color, intensity);
  }
}

/** (Re)places an entity in the scene from its components: an instance of its mesh, or a light. */
function rebuild(id: number): void {
  const e = entities.get(id)!;
  const c = e.components;
  // The page's own player is where the camera is: it draws no body for it.
  if (c.Mesh && id !== player) batches.set(id, c.Mesh, c.Material);
  else batches.remove(id);
  if (e.light && (!c.Light || e.light.userData.kind !== c.Light.kind)) {
    scene.remove(e.light);
    e.light.dispose();
    e.light = null;
  }
  if (c.Light && !c.Mesh && !e.light) {
    e.light = light(c.Light);
    e.light.userData.kind = c.Light.kind;
    scene.add(e.light);
  }
}

/** Forgets an entity: its instance, its light, its transform. */
function drop(id: number): void {
  const e = entities.get(id);
  batches.remove(id);
  if (e?.light) {
    scene.remove(e.light);
    e.light.dispose();
  }
  entities.delete(id);
  transforms.forget(id);
}

const vector = (v: number[]) => new THREE.Vector3(v[0], v[1], v[2]);

/** A new transform for `e`: the blend starts from where it is drawn now. */
function moveTo(e: Held, t: Plain, now: number): void {
  const r = t.rotation as number[];
  const to = {
    p: vector(t.position as number[]),
    q: new THREE.Quaternion(r[0], r[1], r[2], r[3]),
    s: vector(t.scale as number[]),
  };
  const from = e.motion ? shown(e.motion, now) : to;
  e.motion = { from, to, at: now };
}

/** Where a motion is drawn at `now`. */
function shown(m: Motion, now: number) {
  const a = Math.min(1, Math.max(0, (now - m.at) / (framePeriod * 1000)));
  return {
    p: m.from.p.clone().lerp(m.to.p, a),
    q: m.from.q.clone().slerp(m.to.q, a),
    s: m.from.s.clone().lerp(m.to.s, a),
  };
}

/** An entity's world matrix at `now`: its blended transform under its parents' (DESIGN §3 Parent). */
function worldMatrix(id: number, now: number, depth = 0): THREE.Matrix4 {
  const e = entities.get(id);
  const m = new THREE.Matrix4();
  if (e?.motion) {
    const { p, q, s } = shown(e.motion, now);
    m.compose(p, q, s);
  }
  const parent = e?.components.Parent?.entity as number | undefined;
  // Parents above 16 levels (or a cycle) are ignored rather than followed forever.
  if (parent && parent !== id && depth < 16 && entities.has(parent)) {
    return worldMatrix(parent, now, depth + 1).multiply(m);
  }
  return m;
}

function setComponents(id: number, components: Components): void {
  let e = entities.get(id);
  if (!e) entities.set(id, e = { components: {}, light: null, motion: null });
  // Transforms come only from the binary frames (transform_codec.ts).
  const { Transform: _, ...rest } = components;
  Object.assign(e.components, rest);
  rebuild(id);
}

function onJson(message: {
  t: string;
  tick?: number;
  player?: number;
  entities?: Record<string, Components>;
  set?: Record<string, Components>;
  gone?: number[];
  removed?: [number, string][];
}): void {
  if (typeof message.tick === "number") tick = message.tick;
  if (message.t === "hello") {
    player = message.player ?? 0;
    editable = (message as { editable?: boolean }).editable === true;
  }
  if (message.t === "status") renderStatus(message as unknown as WorldStatus);
  if (message.t === "refused") {
    refusals.push(String((message as { why?: unknown }).why));
    status.textContent = `refused: ${refusals.at(-1)}`;
  }
  if (message.t === "state") {
    for (const id of [...entities.keys()]) drop(id);
    transforms.state.clear();
    for (const [id, c] of Object.entries(message.entities ?? {})) setComponents(Number(id), c);
  }
  if (message.t === "delta") {
    for (const [id, c] of Object.entries(message.set ?? {})) setComponents(Number(id), c);
    for (const [id, name] of message.removed ?? []) {
      const e = entities.get(id);
      if (name === "Transform") transforms.forget(id);
      if (e) {
        delete e.components[name];
        if (name === "Transform") e.motion = null;
        rebuild(id);
      }
    }
    for (const id of message.gone ?? []) drop(id);
  }
  renderList();
}

function onTransforms(buffer: ArrayBuffer): void {
  const { tick: at, moved } = transforms.decode(buffer);
  tick = at;
  const now = performance.now();
  if (lastFrameAt > 0) {
    framePeriod = 0.8 * framePeriod + 0.2 * Math.min(0.25, (now - lastFrameAt) / 1000);
  }
  lastFrameAt = now;
  for (const id of moved) {
    const transform = floatsOf(transforms.state.get(id)!) as unknown as Plain;
    let e = entities.get(id);
    if (!e) entities.set(id, e = { components: {}, light: null, motion: null });
    e.components.Transform = transform;
    moveTo(e, transform, now);
  }
}

// ---- Connection, with reconnects ----

let socket: WebSocket | null = null;
let retryMs = 250;

function connect(): void {
  const ws = new WebSocket(
    `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`,
  );
  ws.binaryType = "arraybuffer";
  socket = ws;
  ws.onopen = () => {
    connected = true;
    retryMs = 250;
    status.textContent = "connected";
  };
  ws.onmessage = (event) => {
    if (typeof event.data === "string") onJson(JSON.parse(event.data));
    else onTransforms(event.data as ArrayBuffer);
  };
  ws.onclose = () => {
    connected = false;
    status.textContent = "reconnecting…";
    // The viewer restarts with backoff; the page follows and resyncs from a new snapshot.
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 4000);
  };
}
connect();

// ---- Input: the keyboard as this page's Player Input ----

const keys = new Set<string>();
addEventListener("keydown", (e) => {
  if (e.target === search) return;
  keys.add(e.code);
  sendInput();
});
addEventListener("keyup", (e) => {
  keys.delete(e.code);
  sendInput();
});
let lastInput = "";
function sendInput(): void {
  const x = (keys.has("KeyD") || keys.has("ArrowRight") ? 1 : 0) -
    (keys.has("KeyA") || keys.has("ArrowLeft") ? 1 : 0);
  const z = (keys.has("KeyS") || keys.has("ArrowDown") ? 1 : 0) -
    (keys.has("KeyW") || keys.has("ArrowUp") ? 1 : 0);
  const y = (keys.has("Space") ? 1 : 0) - (keys.has("ShiftLeft") ? 1 : 0);
  const message = JSON.stringify({ t: "input", move: [x, y, z], look: [0, 0, 0], buttons: 0 });
  if (message === lastInput || socket?.readyState !== WebSocket.OPEN) return;
  lastInput = message;
  socket.send(message);
}

// ---- The inspector ----

interface ChildStatus {
  name: string;
  state: string;
  restarts: number;
  violations: number;
  errors?: number;
  stale?: boolean;
  erroring?: boolean;
  lastError: string | null;
}

interface WorldStatus {
  tick: number;
  hz: number;
  p50: number;
  entities: number;
  scripts: ChildStatus[];
  drivers: ChildStatus[];
  log: string[];
}

/** The world's scripts and drivers, its tick times and its log, as the runtime sent them. */
function renderStatus(w: WorldStatus): void {
  const row = (kind: string, c: ChildStatus) => {
    const tr = document.createElement("tr");
    const bad = c.state !== "running" || c.stale || c.erroring || c.violations > 0;
    if (bad) tr.className = "bad";
    const cells = [
      `${kind} ${c.name}`,
      `${c.state}${c.stale ? " (stale)" : ""}${c.erroring ? " (erroring)" : ""}`,
      `${c.restarts} restarts`,
      `${c.violations} violations`,
    ];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    if (c.lastError) tr.title = c.lastError;
    return tr;
  };
  const head = document.createElement("div");
  head.textContent = `tick ${w.tick} · ${w.hz.toFixed(1)} Hz · p50 ${
    w.p50.toFixed(2)
  } ms · ${w.entities} entities · `;
  const graph = document.createElement("a");
  graph.href = "graph.svg";
  graph.target = "_blank";
  graph.textContent = "world graph";
  head.appendChild(graph);
  const table = document.createElement("table");
  for (const s of w.scripts) table.appendChild(row("system", s));
  for (const d of w.drivers) table.appendChild(row("driver", d));
  worldPanel.replaceChildren(head, table);
  logPanel.textContent = w.log.slice(-20).join("\n");
  worldStatus = w;
}
let worldStatus: WorldStatus | null = null;

function renderList(): void {
  const q = search.value.trim().toLowerCase();
  const rows = [...entities].filter(([id, e]) =>
    q === "" || String(id).includes(q) ||
    Object.keys(e.components).some((c) => c.toLowerCase().includes(q))
  ).slice(0, 500);
  list.replaceChildren(...rows.map(([id, e]) => {
    const li = document.createElement("li");
    li.textContent = `${id}${id === player ? " (you)" : ""}: ${
      Object.keys(e.components).join(", ")
    }`;
    if (id === selected) li.className = "selected";
    li.onclick = () => {
      selected = id;
      renderList();
    };
    return li;
  }));
  const chosen = entities.get(selected);
  if (!chosen) {
    details.textContent = "select an entity";
    return;
  }
  if (!editable) {
    details.textContent = JSON.stringify(chosen.components, null, 2);
    return;
  }
  // Editable: each component as JSON with an apply button; the world validates the edit.
  details.replaceChildren(
    ...Object.entries(chosen.components).map(([name, value]) => {
      const box = document.createElement("div");
      const area = document.createElement("textarea");
      area.value = JSON.stringify(value, null, 1);
      area.rows = Math.min(8, area.value.split("\n").length);
      area.style.width = "95%";
      const apply = document.createElement("button");
      apply.textContent = `apply ${name}`;
      apply.onclick = () => {
        try {
          api.edit(selected, name, JSON.parse(area.value));
        } catch {
          status.textContent = `${name}: not JSON`;
        }
      };
      box.append(document.createTextNode(name), area, apply);
      return box;
    }),
  );
}
search.oninput = renderList;

// ---- Drawing ----

function resize(): void {
  const w = view.clientWidth, h = view.clientHeight;
  renderer.setSize(w, h, false);
  camera.aspect = w / Math.max(h, 1);
  camera.updateProjectionMatrix();
}
addEventListener("resize", resize);
resize();

renderer.setAnimationLoop(() => {
  const now = performance.now();
  for (const [id, e] of entities) {
    if (!e.motion || !(batches.has(id) || e.light)) continue;
    const world = worldMatrix(id, now);
    if (e.light) world.decompose(e.light.position, e.light.quaternion, e.light.scale);
    else batches.setMatrix(id, world);
  }
  // The camera is this page's player when it has one, else the world's Camera entity.
  const own = entities.get(player)?.components.Transform;
  const worldCamera = [...entities.values()].find((e) => e.components.Camera?.active)?.components
    .Transform;
  const eye = own ?? worldCamera;
  if (eye) {
    const p = eye.position as number[], r = eye.rotation as number[];
    camera.position.set(p[0]!, p[1]!, p[2]!);
    camera.quaternion.set(r[0]!, r[1]!, r[2]!, r[3]!);
  }
  status.textContent = `${
    connected ? "connected" : "reconnecting…"
  } · tick ${tick} · ${entities.size} entities`;
  renderer.render(scene, camera);
  drawCalls = renderer.info.render.calls;
});

/// <reference lib="dom" />
// The viewer's page: builds a three.js scene from the world's render components, keeps it live
// from the viewer's WebSocket (JSON for structure, binary frames for transforms), sends its
// controls as this page's Player Input (and, in VR, the headset's and controllers' poses), and
// lists the entities in an inspector. With `?join=wss://…&token=…` in its address it shows a world
// served by the network driver instead, joined with that token (join.ts, DESIGN §11), and with
// `&voice=1` too it speaks and hears voice chat there (voice.ts). It exposes globalThis.syncra for
// devtools and tests (DESIGN §10).
import * as THREE from "three";
import { floatsOf, TransformDecoder } from "../transform_codec.ts";
import { InstancedBatches } from "./instances.ts";
import { Models } from "./models.ts";
import { Avatars } from "./avatars.ts";
import { chooseRenderer, type ChosenRenderer, webGpuRenderer } from "./renderer.ts";
import { type InputValues, PageControls } from "./controls.ts";
import { type Pose, VrSession } from "./xr.ts";
import { Inspector, type WorldStatus } from "./inspector.ts";
import { type ViewMode, ViewRig } from "./views.ts";
import { PageSound } from "./sound_control.ts";
import { NativeView } from "./native_view.ts";
import { type Connection, connectionOf, FINAL_CLOSES } from "./join.ts";
import { PageVoice, VOICE_FRAME, voiceCanGo } from "./voice.ts";

type Plain = Record<string, number | boolean | string | number[]>;
type Components = Record<string, Plain>;

const transforms = new TransformDecoder();

const view = document.getElementById("view")!;
const status = document.getElementById("status")!;
const vrButton = document.getElementById("enter-vr") as HTMLButtonElement;

/** Why the WebGPU device was lost, if it was (the page then draws with WebGL 2). */
let deviceLost: string | null = null;

/** Whether the page draws yet (a device can be lost before its first frame). */
let drawing = false;

/** A lost WebGPU device is not the end of the view: the page carries on with WebGL 2. */
function onDeviceLost(why: string): void {
  if (deviceLost !== null) return;
  deviceLost = why;
  console.warn(`syncra: the WebGPU device was lost (${why}); drawing with WebGL 2 from now on`);
  if (drawing) drawWithWebGL();
}

/** Starts drawing with WebGL 2; while the browser restarts its GPU process that may fail: retry. */
function drawWithWebGL(attempt = 1): void {
  webGpuRenderer(true).then(use, (error: unknown) => {
    if (attempt < 8) return void setTimeout(() => drawWithWebGL(attempt + 1), 250 * attempt);
    deviceLost += `; WebGL 2 cannot draw either: ${String(error)}`;
    console.error(`syncra: ${deviceLost}`);
  });
}

const startedOn = await chooseRenderer(onDeviceLost).catch((error: unknown) => {
  status.textContent = `this browser cannot draw the world: ${String(error)}`;
  throw error;
});
let chosen: ChosenRenderer = startedOn;
const scene = new THREE.Scene();
scene.background = new THREE.Color(0x9fb4c8);
// The camera rides on a rig at the page's player: the rig turns with the look's yaw; the camera
// pitches (or, in VR, the headset moves it within the rig); views.ts has the other views.
const views = new ViewRig(scene, view);
const camera = views.camera;
const viewButton = document.getElementById("view-mode") as HTMLButtonElement;
views.onChange = (mode) => {
  viewButton.textContent = `view: ${mode} (V)`;
  // In orbit a drag turns the orbit, not the player's look.
  controls.dragLooks = mode !== "orbit";
};
viewButton.onclick = () => views.set();
addEventListener("keydown", (e) => {
  if (e.code === "KeyV" && !inspector.owns(e.target)) views.set();
});

/** A transform held by the page. */
interface Placed {
  p: THREE.Vector3;
  q: THREE.Quaternion;
  s: THREE.Vector3;
}

/** Where an entity is drawn from and to: the last two transforms, blended over a tick. */
interface Motion {
  from: Placed;
  to: Placed;
  at: number;
}

/** What the page holds: every entity the viewer sent, a light if it is one, and its motion. */
interface Held {
  components: Components;
  light: THREE.Light | null;
  motion: Motion | null;
}
const entities = new Map<number, Held>();
/** The entities with a Camera component: the world's lens is the first active one. */
const lenses = new Set<number>();
const batches = new InstancedBatches(scene);
const models = new Models(scene);
const avatars = new Avatars(scene);
const controls = new PageControls(view, (target) => inspector.owns(target));
// Positional audio of the world's AudioSources, heard from the camera, once "sound on" is pressed.
const sound = new PageSound(
  document.getElementById("sound") as HTMLButtonElement,
  async (asset) => {
    const response = await fetch(`/assets/${asset}`);
    if (!response.ok) throw new Error(`/assets/${asset}: ${response.status}`);
    return response.arrayBuffer();
  },
);
// The native renderer's frames, relayed by the viewer when the world runs one.
const nativeView = new NativeView(document.getElementById("native-view")!);
// Only the WebGL renderer enters VR, and it is never replaced.
const vr = new VrSession(startedOn.renderer);
/** Seconds between transform frames, smoothed: how long a blend lasts. */
let framePeriod = 1 / 60;
let lastFrameAt = 0;
let drawCalls = 0;
let tick = 0;
let player = 0;
let connected = false;
let editable = false;
let fps = 0;
let updateMs = 0, renderMs = 0;
const refusals: string[] = [];
/** Why the page stopped connecting (a refused token, a bad `?join=`), or null. */
let ended: string | null = null;

/** A message for the status line, shown beside the world's state for a few seconds. */
let notice = "", noticeUntil = 0;
const say = (text: string) => {
  notice = text;
  noticeUntil = performance.now() + 6000;
};

const inspector = new Inspector({
  entities,
  get player() {
    return player;
  },
  get editable() {
    return editable;
  },
  edit: (entity, component, values) => api.edit(entity, component, values),
  say,
});

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
  /** The world joined with `?join=` (its wss:// URL), or null: the page's own viewer. */
  get joined() {
    return connection?.joined ?? null;
  },
  /** Why the page stopped connecting for good (such as "refused: token refused: …"), or null. */
  get ended() {
    return ended;
  },
  /** What draws the page: "webgpu", "webgl2" (WebGPU's WebGL 2 fallback) or "webxr". */
  get renderer() {
    return chosen.backend;
  },
  /** What drew the page first (the WebGPU renderer gives way to WebGL 2 if its device is lost). */
  get startedOn() {
    return startedOn.backend;
  },
  /** Why the WebGPU device was lost, or null. */
  get deviceLost() {
    return deviceLost;
  },
  /**
   * The view as the renderer draws it, offscreen at `width` pixels wide (the
   * view's aspect): RGBA rows top first, base64, in linear colour — what the
   * renderer made, whatever the compositor shows.
   */
  async capture(width = 320): Promise<{ width: number; height: number; rgba: string }> {
    const height = Math.max(1, Math.round(width / camera.aspect));
    const pixels = await chosen.capture(scene, camera, width, height);
    let binary = "";
    for (let i = 0; i < pixels.length; i += 0x8000) {
      binary += String.fromCharCode(...pixels.subarray(i, i + 0x8000));
    }
    return { width, height, rgba: btoa(binary) };
  },
  /** Whether an immersive VR session is running. */
  get presenting() {
    return vr.presenting;
  },
  /** Where the page looks: yaw and pitch in radians. */
  get look() {
    return { ...controls.look };
  },
  /** Where the page looks from: "player", "camera" (the world's Camera entity) or "orbit". */
  get view(): ViewMode {
    return views.mode;
  },
  setView(mode: ViewMode): void {
    views.set(mode);
  },
  /** The camera's position in the world, as drawn. */
  get eye(): number[] {
    return camera.getWorldPosition(new THREE.Vector3()).toArray();
  },
  /** The world's scripts, drivers, tick times and recent log, as last sent. */
  get world(): WorldStatus | null {
    return inspector.status;
  },
  /** Draw calls of the last frame (entities sharing a mesh are drawn together). */
  get drawCalls() {
    return drawCalls;
  },
  /** Frames drawn per second, over the last second. */
  get fps() {
    return fps;
  },
  /**
   * Milliseconds per frame, smoothed: `update` places every entity (blends
   * and matrices, in JavaScript), `render` is the renderer's call.
   */
  get frameMs() {
    return { update: updateMs, render: renderMs };
  },
  /** glTF models: how many entities show a loaded one, and the assets that failed to load. */
  get models() {
    return { loaded: models.loaded, failed: Object.fromEntries(models.failures) };
  },
  get editable() {
    return editable;
  },
  /** The entity the inspector shows (0: none). */
  get selected() {
    return inspector.selected;
  },
  /** Shows `id` in the inspector (what a click on it in the view or the list does). */
  select(id: number): void {
    inspector.select(id);
  },
  /** Why the world refused this page's edits, newest last. */
  get refusals() {
    return [...refusals];
  },
  /** The ids of every entity the page holds. */
  get ids(): number[] {
    return [...entities.keys()];
  },
  entity(id: number): Components | null {
    const e = entities.get(id);
    return e ? structuredClone(e.components) : null;
  },
  /** Asks the world to set fields of a component (with --editable; else it is refused). */
  edit(entity: number, component: string, values: Plain): void {
    socket?.send(JSON.stringify({ t: "edit", entity, component, values }));
  },
  /** The VR poses this page last sent (JSON), or "" outside VR. */
  get poses() {
    return lastPoses;
  },
  /** Starts "Enter VR" (what the button does). */
  enterVr: () => vr.enter(),
  /**
   * The page's positional audio: `state` ("off" until "sound on" is pressed),
   * `sources` (entities with an AudioSource), `toggle()` (what the button
   * does), and `render(seconds)`: what the page plays now, rendered offline
   * at 48 kHz stereo, as RMS per channel and the peak.
   */
  audio: {
    get state() {
      return sound.state;
    },
    get sources() {
      return sound.sources;
    },
    toggle: () => sound.toggle(),
    render: (seconds?: number) => sound.render(seconds),
  },
  /** The native renderer's frames shown (`frames`, `from`, and the last one's `size`). */
  native: nativeView,
  /**
   * Voice chat (`?join=…&voice=1`), or null: the microphone (`mic`: "on" or
   * why not), hearing (`hear`), frames `sent`, `received`, `decoded` and
   * dropped as `late`, frames received per speaker entity (`speakers`), and
   * the RMS `level` (and `peak`) of what voices played over the last second.
   */
  get voice() {
    return voice?.stats ?? null;
  },
};
(globalThis as unknown as { syncra: typeof api }).syncra = api;

models.onFailure = (asset, why) => {
  console.warn(`syncra: the model "${asset}" cannot load (${why}); drawn as its shape`);
  for (const [id, e] of entities) if (e.components.Mesh?.asset === asset) rebuild(id);
};

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

/** (Re)places an entity in the scene: a model, an instance of its mesh, a light, an avatar. */
function rebuild(id: number): void {
  const e = entities.get(id)!;
  const c = e.components;
  const asset = typeof c.Mesh?.asset === "string" ? c.Mesh.asset : "";
  // The page's own player is where the camera is: it draws no body for it.
  const mine = id === player;
  if (c.Mesh && !mine && asset !== "" && !models.failed(asset)) {
    models.set(id, asset);
    batches.remove(id);
  } else {
    models.remove(id);
    if (c.Mesh && !mine) batches.set(id, c.Mesh, c.Material);
    else batches.remove(id);
  }
  if (c.Player && !c.Mesh && !mine) avatars.set(id);
  else avatars.remove(id);
  if (c.Camera) lenses.add(id);
  else lenses.delete(id);
  sound.set(id, c.AudioSource);
  if (e.light && (!c.Light || e.light.userData.kind !== c.Light.kind)) removeLight(e);
  if (c.Light && !c.Mesh && !e.light) {
    e.light = light(c.Light);
    e.light.userData.kind = c.Light.kind;
    scene.add(e.light);
  }
}

function removeLight(e: Held): void {
  if (!e.light) return;
  scene.remove(e.light);
  e.light.dispose();
  e.light = null;
}

/** Forgets an entity: its instance, model, avatar, light, lens and transform. */
function drop(id: number): void {
  const e = entities.get(id);
  batches.remove(id);
  models.remove(id);
  avatars.remove(id);
  lenses.delete(id);
  sound.set(id, null);
  voice?.forget(id);
  if (e) removeLight(e);
  entities.delete(id);
  transforms.forget(id);
}

const placed = (): Placed => ({
  p: new THREE.Vector3(),
  q: new THREE.Quaternion(),
  s: new THREE.Vector3(1, 1, 1),
});

/** A new transform for `e`: the blend starts from where it is drawn now. */
function moveTo(e: Held, t: Plain, now: number): void {
  const p = t.position as number[], r = t.rotation as number[], s = t.scale as number[];
  const fresh = e.motion === null;
  const m = e.motion ??= { from: placed(), to: placed(), at: now };
  // Where it is drawn now is where the blend starts (the objects are reused, not reallocated).
  if (!fresh) shown(m, now, m.from);
  m.to.p.fromArray(p);
  m.to.q.set(r[0]!, r[1]!, r[2]!, r[3]!);
  m.to.s.fromArray(s);
  if (fresh) {
    m.from.p.copy(m.to.p);
    m.from.q.copy(m.to.q);
    m.from.s.copy(m.to.s);
  }
  m.at = now;
}

/** Where a motion is drawn at `now`, written into `out`. */
function shown(m: Motion, now: number, out: Placed): Placed {
  const a = Math.min(1, Math.max(0, (now - m.at) / (framePeriod * 1000)));
  if (a >= 1) {
    out.p.copy(m.to.p);
    out.q.copy(m.to.q);
    out.s.copy(m.to.s);
  } else {
    out.p.lerpVectors(m.from.p, m.to.p, a);
    out.q.slerpQuaternions(m.from.q, m.to.q, a);
    out.s.lerpVectors(m.from.s, m.to.s, a);
  }
  return out;
}

const scratch = placed();
const lensScratch = placed();

/** An entity's world matrix at `now`, into `out`: its blended transform under its parents'. */
function worldMatrix(id: number, now: number, out: THREE.Matrix4, depth = 0): THREE.Matrix4 {
  const e = entities.get(id);
  if (e?.motion) {
    const { p, q, s } = shown(e.motion, now, scratch);
    out.compose(p, q, s);
  } else out.identity();
  const parent = e?.components.Parent?.entity as number | undefined;
  // Parents above 16 levels (or a cycle) are ignored rather than followed forever.
  if (parent && parent !== id && depth < 16 && entities.has(parent)) {
    const above = worldMatrix(parent, now, new THREE.Matrix4(), depth + 1);
    out.premultiply(above);
  }
  return out;
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
  /** A native renderer's frame (`t: "frame"`): the driver, and the PNG as base64. */
  from?: string;
  png?: string;
}): void {
  if (typeof message.tick === "number") tick = message.tick;
  if (message.t === "hello") {
    player = message.player ?? 0;
    editable = (message as { editable?: boolean }).editable === true;
    // A joined world is there once it says hello (until then it may still refuse the token).
    if (connection?.hello) online();
  }
  if (message.t === "status") inspector.renderStatus(message as unknown as WorldStatus);
  if (message.t === "frame") {
    nativeView.show(String(message.from), String(message.png), Number(message.tick));
    return;
  }
  if (message.t === "refused") {
    const why = String((message as { why?: unknown }).why);
    // A refused join is the status itself once the world closes (onclose); an edit's is a notice.
    if (connection?.hello && !connected) refusedJoin = why;
    else {
      refusals.push(why);
      say(`refused: ${why}`);
    }
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
  if (message.t !== "status") inspector.renderList();
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
/** Why a joined world refused this connection's join, before it closed it. */
let refusedJoin: string | null = null;

let connection: Connection | null = null;
try {
  connection = connectionOf(location);
} catch (error) {
  ended = (error as Error).message;
}

/** The world is there: input flows (sent afresh) and the next drop retries quickly. */
function online(): void {
  connected = true;
  retryMs = 250;
  lastInput = "";
}

function connect(to: Connection): void {
  const ws = new WebSocket(to.url);
  ws.binaryType = "arraybuffer";
  socket = ws;
  refusedJoin = null;
  ws.onopen = () => {
    // A network driver hears the join first, on every connect: the same token, the same Player.
    if (to.hello) ws.send(to.hello);
    else online();
  };
  ws.onmessage = (event) => {
    if (typeof event.data === "string") return onJson(JSON.parse(event.data));
    // Binary frames say what they are in their first byte: transforms (2), or voice (3).
    const bytes = new Uint8Array(event.data as ArrayBuffer);
    if (bytes[0] === VOICE_FRAME) voice?.receive(bytes);
    else onTransforms(event.data as ArrayBuffer);
  };
  ws.onclose = (event) => {
    connected = false;
    const final = to.hello ? FINAL_CLOSES.get(event.code) : undefined;
    if (final) {
      // The same token would be refused again (or throw out the page that took its place).
      ended = `${final}: ${refusedJoin ?? (event.reason || `closed with ${event.code}`)}`;
      console.warn(`syncra: ${to.joined}: ${ended}`);
      return;
    }
    // The world restarts with backoff; the page follows and resyncs from a new snapshot.
    setTimeout(() => connect(to), retryMs);
    retryMs = Math.min(retryMs * 2, 4000);
  };
}
/**
 * Voice chat, for a world joined with `&voice=1`: it plays into the page's live sound (the
 * browser may hold that until the page's first click or key) and sends only once joined (before
 * its hello, a world takes a binary frame for a bad join).
 */
const voice = connection?.voice
  ? new PageVoice(sound.context(), (frame) => {
    if (!connected || !voiceCanGo(socket)) return false;
    socket.send(frame);
    return true;
  })
  : null;

if (connection) connect(connection);
else console.error(`syncra: ${ended}`);

// ---- Sending: Input every frame it changed; in VR, the poses too ----

let lastInput = "";
let lastPoses = "";

function sendIfChanged(input: InputValues, poses: string | null): void {
  // A joined world hears nothing before its hello (what comes during the join is dropped).
  if (!connected || socket?.readyState !== WebSocket.OPEN) return;
  const message = JSON.stringify({ t: "input", ...input });
  if (message !== lastInput) {
    lastInput = message;
    socket.send(message);
  }
  if (poses !== null && poses !== lastPoses) {
    lastPoses = poses;
    socket.send(poses);
  }
}

/** A pose rounded to what is visible (0.1 mm, 1e-5 of a quaternion), or null. */
const rounded = (pose: Pose | null) => pose ? pose.map((v) => Math.round(v * 1e5) / 1e5) : null;

// ---- Picking: a click (not a drag) on the view selects the entity under it ----

let downAt: { x: number; y: number } | null = null;
view.addEventListener("pointerdown", (e) => (downAt = { x: e.clientX, y: e.clientY }));
view.addEventListener("click", (e) => {
  if (!downAt || Math.hypot(e.clientX - downAt.x, e.clientY - downAt.y) > 4) return;
  const bounds = chosen.renderer.domElement.getBoundingClientRect();
  const ndc = new THREE.Vector2(
    ((e.clientX - bounds.left) / bounds.width) * 2 - 1,
    -((e.clientY - bounds.top) / bounds.height) * 2 + 1,
  );
  const ray = new THREE.Raycaster();
  ray.setFromCamera(ndc, camera);
  const id = batches.pick(ray);
  if (id) inspector.select(id);
});

// ---- Enter VR ----

if (startedOn.backend === "webxr") {
  vrButton.hidden = false;
  vrButton.onclick = () => {
    const action = vr.presenting ? vr.exit() : vr.enter();
    action.catch((error: unknown) => say(`VR: ${String(error)}`));
  };
}

// ---- Drawing ----

function resize(): void {
  const w = view.clientWidth, h = view.clientHeight;
  chosen.renderer.setSize(w, h, false);
  camera.aspect = w / Math.max(h, 1);
  camera.updateProjectionMatrix();
}
addEventListener("resize", resize);

const world = new THREE.Matrix4();
const soundAt = new THREE.Matrix4();
let lastLoopAt = performance.now();
let framesThisSecond = 0, secondStartedAt = lastLoopAt;

function drawFrame(_time: number, frame?: Parameters<typeof vr.poses>[0]): void {
  const now = performance.now();
  const dt = Math.min(0.1, (now - lastLoopAt) / 1000);
  lastLoopAt = now;
  framesThisSecond++;
  if (now - secondStartedAt >= 1000) {
    fps = (framesThisSecond * 1000) / (now - secondStartedAt);
    framesThisSecond = 0;
    secondStartedAt = now;
  }
  for (const [id, e] of entities) {
    if (!e.motion) continue;
    const light = e.light, model = models.has(id), instance = batches.has(id);
    const avatar = avatars.has(id);
    if (!light && !model && !instance && !avatar) continue;
    worldMatrix(id, now, world);
    if (light) world.decompose(light.position, light.quaternion, light.scale);
    else if (model) models.setMatrix(id, world, e.components.Mesh!.size as number[]);
    else if (instance) batches.setMatrix(id, world);
    if (avatar) avatars.update(id, world, e.components.Player!);
  }

  // From this page's player (turned by its look), the world's Camera entity, or the orbit.
  const own = entities.get(player)?.motion;
  let lens: Held | undefined;
  for (const id of lenses) {
    const e = entities.get(id);
    if (e?.components.Camera?.active && e.motion) {
      lens = e;
      break;
    }
  }
  views.update(
    own
      ? { p: shown(own, now, scratch).p, yaw: controls.look.yaw, pitch: controls.look.pitch }
      : null,
    lens
      ? {
        p: shown(lens.motion!, now, lensScratch).p,
        q: lensScratch.q,
        fov: Number(lens.components.Camera!.fov ?? 60),
      }
      : null,
    vr.presenting,
  );
  const placeSound = (id: number, out: THREE.Vector3) => {
    if (!entities.get(id)?.motion) return false;
    out.setFromMatrixPosition(worldMatrix(id, now, soundAt));
    return true;
  };
  sound.update(camera, placeSound);
  voice?.update(camera, placeSound);

  const poses = vr.poses(frame);
  const input = poses ? vr.input(poses, controls, dt) : controls.read(dt);
  sendIfChanged(
    input,
    poses &&
      JSON.stringify({
        t: "pose",
        head: rounded(poses.head),
        left: rounded(poses.left),
        right: rounded(poses.right),
      }),
  );

  status.textContent = `${
    ended ?? (connected ? "connected" : "reconnecting…")
  } · tick ${tick} · ${entities.size} entities · ${chosen.backend}${
    vr.presenting ? " · in VR" : ""
  }${voice ? ` · ${voice.summary}` : ""}${now < noticeUntil ? ` · ${notice}` : ""}`;
  const renderStart = performance.now();
  chosen.renderer.render(scene, camera);
  const end = performance.now();
  // Smoothed over about 20 frames.
  updateMs += 0.05 * (renderStart - now - updateMs);
  renderMs += 0.05 * (end - renderStart - renderMs);
  drawCalls = chosen.drawCalls();
}

/** Draws with `next` from now on (at the start, or after a lost device), in place of the last. */
function use(next: ChosenRenderer): void {
  if (next !== chosen) {
    chosen.renderer.setAnimationLoop(null);
    chosen.renderer.domElement.remove();
    try {
      chosen.renderer.dispose();
    } catch {
      // A renderer whose device is gone may fail to free what the device already freed.
    }
    chosen = next;
  }
  chosen.renderer.setPixelRatio(Math.min(devicePixelRatio, 2));
  view.prepend(chosen.renderer.domElement);
  resize();
  chosen.renderer.setAnimationLoop(drawFrame);
}
use(startedOn);
drawing = true;
if (deviceLost !== null) drawWithWebGL();

// The viewer driver (DESIGN §10): serves the page (built by the runtime into the world's
// .syncra/viewer folder) and the world's assets read-only on loopback, and streams the world to
// every open page over a WebSocket: a snapshot on connect, then what each feed changed. Each page
// gets its own Player entity, removed when it leaves; its controls arrive as Input, and in VR its
// headset's and controllers' poses as the Player's pose fields.
import {
  AudioSource,
  Camera,
  defineDriver,
  Input,
  Light,
  Material,
  Mesh,
  Parent,
  Player,
  Transform,
} from "@syncra/std";
import { type Mirror, mirrorChanges } from "./mirror.ts";
import { serveFile } from "./serve_file.ts";
import { TransformEncoder } from "./transform_codec.ts";
import { lookOf, type PlayerPose, poseOf, vec3 } from "./page_input.ts";

/**
 * What the page renders (and, for AudioSource, plays positionally with
 * WebAudio): every entity of these components reaches it.
 */
const READS = [Transform, Mesh, Material, Light, Camera, Player, Parent, AudioSource];

/** Where a new page's player starts. */
const SPAWN_AT = [0, 1.6, 6];

/** Largest message a page may send, in bytes: input is tiny; anything bigger is hostile. */
const MAX_PAGE_MESSAGE = 4096;

interface Page {
  socket: WebSocket;
  player: number;
  /** Its Player's id (the pages' count when it connected). */
  id: number;
  /** Its Player component as the page last reported it (VR poses), written at the next feed. */
  pose: PlayerPose | null;
  /** Whether `pose` changed since it was last written. */
  posed: boolean;
}

export default defineDriver({
  name: "viewer",
  reads: READS,
  writes: [Player, Input, Transform],
  spawns: true,
  // The renderer driver's frames (drivers/renderer), when the world runs one, for the pages.
  inputs: { frames: "image/png" },
  // The runtime picks the port (--port) and grants exactly that address.
  capabilities: { serve: ["127.0.0.1:8000"], read: [".syncra/viewer", "assets"] },
  start(ctx) {
    const port = Number(ctx.config.port ?? 8000);
    const pageDir = String(ctx.config.pageDir ?? "");
    const assetsDir = String(ctx.config.assetsDir ?? "");
    // With --editable, an inspector's edit is a write with editor authority (validated by the world).
    const editable = ctx.config.editable === true;
    const mirror: Mirror = new Map();
    // What every page holds of each transform (all pages get the same frames after their snapshot).
    const transforms = new TransformEncoder();
    const pages = new Set<Page>();
    let tick = 0;
    let pageCount = 0;
    /** The world's last state for the inspector, as JSON (sent to a page when it connects). */
    let status: string | null = null;
    /** The renderer's last frame, as a page's message (sent to a page when it connects). */
    let rendered: string | null = null;
    ctx.onPort("frames", (png, from) => {
      rendered = JSON.stringify({ t: "frame", from, tick, png: base64(png) });
      for (const page of pages) send(page, rendered);
    });

    const send = (page: Page, data: string | Uint8Array) => {
      if (page.socket.readyState !== WebSocket.OPEN) return;
      // A page that cannot keep up is dropped rather than buffered without bound.
      if (page.socket.bufferedAmount > 16 * 1024 * 1024) return page.socket.close(1013, "too slow");
      page.socket.send(data);
    };

    const open = (socket: WebSocket) => {
      const id = ++pageCount;
      const player = ctx.spawn({
        Player: { id },
        Transform: { position: SPAWN_AT },
        Input: {},
      });
      const page: Page = { socket, player, id, pose: null, posed: false };
      socket.binaryType = "arraybuffer";
      socket.onopen = () => {
        pages.add(page);
        send(page, JSON.stringify({ t: "hello", player, tick, editable }));
        send(page, JSON.stringify({ t: "state", tick, entities: withoutTransforms(mirror) }));
        const snapshot = transforms.snapshot(tick);
        if (snapshot) send(page, snapshot);
        if (status) send(page, status);
        if (rendered) send(page, rendered);
      };
      socket.onmessage = (event) => {
        const text = typeof event.data === "string" ? event.data : "";
        if (text.length === 0 || text.length > MAX_PAGE_MESSAGE) {
          return socket.close(1009, "messages are JSON text of at most 4 KiB");
        }
        let message: {
          t?: unknown;
          move?: unknown;
          look?: unknown;
          buttons?: unknown;
          entity?: unknown;
          component?: unknown;
          values?: unknown;
        };
        try {
          message = JSON.parse(text);
        } catch {
          return socket.close(1007, "not JSON");
        }
        if (message?.t === "edit") {
          const { entity, component, values } = message;
          if (!editable) {
            return send(
              page,
              JSON.stringify({
                t: "refused",
                why: "this world runs without --editable: the inspector only reads",
              }),
            );
          }
          if (
            Number.isInteger(entity) && typeof component === "string" &&
            typeof values === "object" && values !== null && !Array.isArray(values)
          ) {
            ctx.edit(entity as number, component, values as Record<string, unknown>);
          }
          return;
        }
        if (message?.t === "pose") {
          page.pose = poseOf(message as Record<string, unknown>, page.pose);
          page.posed = true;
          return;
        }
        if (message?.t !== "input") return;
        try {
          ctx.set(player, Input, {
            move: vec3(message.move),
            look: lookOf(message.look),
            buttons: Number.isInteger(message.buttons) ? message.buttons as number : 0,
          });
        } catch {
          socket.close(1007, "bad input values");
        }
      };
      socket.onclose = () => {
        pages.delete(page);
        ctx.despawn(player);
      };
      socket.onerror = () => {};
    };

    Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, (request) => {
      const url = new URL(request.url);
      if (url.pathname === "/ws") {
        if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
          return new Response("a WebSocket endpoint", { status: 426 });
        }
        const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 30 });
        open(socket);
        return response;
      }
      if (url.pathname === "/favicon.ico") return new Response(null, { status: 204 });
      if (url.pathname.startsWith("/assets/")) {
        return serveFile(assetsDir, url.pathname.slice("/assets/".length));
      }
      return serveFile(pageDir, url.pathname === "/" ? "index.html" : url.pathname);
    });
    ctx.log(`serving the world on http://127.0.0.1:${port}/`);

    ctx.onChanges((changes) => {
      tick = changes.tick;
      const delta = mirrorChanges(mirror, changes, READS);
      // Poses arrive each frame a headset draws; the world takes the latest once per tick. The
      // feed never echoes a driver's own writes, so the mirror and the pages hear them here.
      for (const page of pages) {
        if (!page.posed || !page.pose) continue;
        page.posed = false;
        const value = { id: page.id, head: 0, ...page.pose };
        ctx.set(page.player, Player, value);
        const held = mirror.get(page.player);
        if (held) held.Player = value;
        (delta.set[page.player] ??= {}).Player = value;
      }
      if (changes.snapshot) transforms.state.clear();
      for (const id of changes.despawned) transforms.forget(id);
      for (const [id, name] of changes.removed) if (name === "Transform") transforms.forget(id);
      const { entities, columns } = changes.rows(Transform);
      const frame = transforms.encode(
        tick,
        entities,
        columns.position,
        columns.rotation,
        columns.scale,
      );
      const json = JSON.stringify({ t: "delta", tick, ...delta });
      if (changes.status) status = JSON.stringify({ t: "status", ...changes.status });
      for (const page of pages) {
        send(page, json);
        if (frame) send(page, frame);
        if (changes.status && status) send(page, status);
      }
    });
  },
});

/** Bytes as base64, in pieces (a spread of a large frame would overflow the stack). */
function base64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** The mirror for a page's first state, transforms left to their binary snapshot. */
function withoutTransforms(mirror: Mirror): Record<number, Record<string, unknown>> {
  const out: Record<number, Record<string, unknown>> = {};
  for (const [id, components] of mirror) {
    const { Transform: _, ...rest } = components;
    out[id] = rest;
  }
  return out;
}

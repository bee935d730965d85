// The network driver (DESIGN §11): serves the world to its clients over WebSocket with TLS, one
// protocol with the viewer's page (hello, state, JSON deltas, binary transform frames). A client
// joins with a token signed by the world's key; it gets a Player entity of its own and writes only
// that entity's Transform, Input and Player; the server owns the rest. What a client hears is its
// interest (distance from its Player), within a bandwidth budget, nearest moves first.
//
// Its reads are the world's replicated components (readsReplicated), so nothing else can reach a
// client through it; it reads its TLS files' text from its settings and the revocations from the
// one folder it may read.
import { defineDriver, Input, Player, Transform } from "@syncra/std";
import { type Mirror, mirrorChanges, type PlainComponent } from "../viewer/mirror.ts";
import { ClientSession } from "./client_session.ts";
import { ClientFrameError, parseClientFrame, VOICE_FRAME } from "./client_frames.ts";
import { distance, entitiesInRange, mostUrgent, placeOf } from "./interest.ts";
import { serveFile } from "../viewer/serve_file.ts";
import { quantize, type QuantizedTransform } from "../viewer/transform_codec.ts";
import {
  fromBase64url,
  publicKeyOf,
  readRevocations,
  type Revocations,
  TokenError,
  verifyToken,
} from "../../runtime/network/token_check.ts";

/** The protocol a client speaks: the viewer page's, with a join first. */
export const NETWORK_PROTOCOL = 1;

/** Where a new client's avatar starts. */
const SPAWN_AT = [0, 1.6, 6];

/** How often a client's interest is worked out again, in ticks. */
const INTEREST_EVERY = 6;

/** Bytes a joining client may be sent at once for its first state. */
const JOIN_BURST = 4 * 1024 * 1024;

/** How long a socket may stay open without joining, in ms. */
const JOIN_TIMEOUT_MS = 5000;

/** The components a client may write, of its own Player entity only. */
const CLIENT_WRITES = new Set(["Transform", "Input", "Player"]);

export default defineDriver({
  name: "network",
  readsReplicated: true,
  writes: [Player, Input, Transform],
  spawns: true,
  // The runtime picks the address (--network) and grants exactly it, and the revocations' folder.
  capabilities: { serve: ["127.0.0.1:7443"], read: [".syncra/revocations", "assets"] },
  async start(ctx) {
    // Every setting comes from the runtime (runtime/app/network_entry.ts, with the owner's
    // syncra.json "network" section checked against its ranges in runtime/policy).
    const c = ctx.config;
    const hostname = String(c.hostname);
    const port = Number(c.port);
    const hz = Number(c.hz) || 60;
    const radius = Number(c.interestRadius);
    const graceMs = Number(c.graceMs);
    const maxSpeed = Number(c.maxSpeed);
    const limits = {
      bytesPerSecond: Number(c.bytesPerSecond),
      messagesPerSecond: Number(c.messagesPerSecond),
      maxRefusals: Number(c.maxRefusals),
      maxSpeed,
    };
    const voiceRate = Number(c.voiceFramesPerSecond);
    const channels = (c.channels ?? {}) as Record<
      string,
      { maxBytes: number; perSecond: number; range: "interest" | "world" }
    >;
    const revocationsFile = String(c.revocationsFile ?? "");
    const assetsDir = String(c.assetsDir ?? "");
    const world = {
      publicKey: await publicKeyOf(fromBase64url(String(c.publicKey ?? ""))),
      worldId: String(c.worldId ?? ""),
    };
    let revoked: Revocations = await readRevocations(revocationsFile);

    const mirror: Mirror = new Map();
    /** The replicated components' schemas, for a client's hello (from the feed). */
    let schemas: Record<string, unknown> = {};
    const sessions = new Map<string, ClientSession>();
    let tick = 0;
    let playerIds = 0;
    /** Refusals logged this second, so a flood of them costs the log little. */
    let logged = 0;
    setInterval(() => (logged = 0), 1000);

    const refuse = (session: ClientSession, why: string) => {
      if (logged++ < 5) ctx.log(`refused client "${session.name}": ${why}`);
      session.send(JSON.stringify({ t: "refused", why }));
      if (session.refuse()) session.socket?.close(1008, "too many refused messages");
    };

    /** The other connected clients that hear `from`: within the interest radius, or all. */
    const inRange = (from: ClientSession, range: "interest" | "world"): ClientSession[] => {
      const center = centerOf(from);
      return [...sessions.values()].filter((s) => {
        if (s === from || !s.socket) return false;
        if (range === "world") return true;
        return distance(centerOf(s), center) <= radius;
      });
    };

    /** Its avatar's place as the world has it (the mirror), else where it started. */
    const centerOf = (session: ClientSession) => placeOf(mirror, session.player) ?? SPAWN_AT;

    /** The components of an entity a client gets as JSON (transforms travel binary). */
    const plainOf = (id: number): Record<string, PlainComponent> => {
      const { Transform: _, ...rest } = mirror.get(id) ?? {};
      return rest;
    };

    /** Records a write of the driver's own in its mirror: the feed never echoes them. */
    const echo = (id: number, component: string, value: PlainComponent) => {
      const held = mirror.get(id);
      if (held) held[component] = { ...held[component], ...value };
      for (const s of sessions.values()) {
        if (!s.known.has(id)) continue;
        if (component === "Transform") s.owed.set(id, s.owed.get(id) ?? tick);
        else s.send(JSON.stringify({ t: "delta", tick, set: { [id]: { [component]: value } } }));
      }
    };

    const onFrame = (session: ClientSession, data: unknown) => {
      if (!session.takeMessage()) return refuse(session, "more messages than allowed per second");
      let frame;
      try {
        frame = parseClientFrame(data);
      } catch (error) {
        if (error instanceof ClientFrameError) return refuse(session, error.message);
        throw error;
      }
      const player = session.player;
      switch (frame.t) {
        case "join":
          return refuse(session, "already joined");
        case "voice": {
          if (!session.takeOn("voice", voiceRate)) {
            return refuse(session, `more than ${voiceRate} voice frames a second`);
          }
          // Relayed as it came (the server never decodes it), with who spoke, to those in range.
          const out = new Uint8Array(9 + frame.opus.length);
          const view = new DataView(out.buffer);
          out[0] = VOICE_FRAME;
          view.setUint32(1, player, true);
          view.setUint32(5, frame.seq, true);
          out.set(frame.opus, 9);
          for (const other of inRange(session, "interest")) if (other.hearsVoice) other.send(out);
          return;
        }
        case "say": {
          const channel = channels[frame.channel];
          if (!channel) {
            const known = Object.keys(channels);
            return refuse(
              session,
              `there is no channel "${frame.channel}" (${
                known.length ? `this world's are ${known.join(", ")}` : "this world declares none"
              })`,
            );
          }
          if (frame.bytes > channel.maxBytes) {
            return refuse(
              session,
              `"${frame.channel}" takes messages of at most ${channel.maxBytes} bytes`,
            );
          }
          if (!session.takeOn(`say:${frame.channel}`, channel.perSecond)) {
            return refuse(
              session,
              `more than ${channel.perSecond} messages a second on "${frame.channel}"`,
            );
          }
          const said = JSON.stringify({
            t: "said",
            channel: frame.channel,
            from: player,
            name: session.name,
            data: frame.data,
          });
          for (const other of inRange(session, channel.range)) other.send(said);
          return;
        }
        case "input":
          ctx.set(player, Input, { move: frame.move, look: frame.look, buttons: frame.buttons });
          return;
        case "pose":
          session.pose = frame.pose(session.pose);
          session.posed = true;
          return;
        case "transform": {
          const last = session.lastPlace ?? centerOf(session);
          const metres = distance(frame.position, last);
          const allowed = session.takeStride(metres);
          if (allowed !== null) {
            return refuse(
              session,
              `moved ${metres.toFixed(1)} m with ${allowed.toFixed(1)} m allowed: faster than ` +
                `${maxSpeed} m/s`,
            );
          }
          session.lastPlace = frame.position;
          const scale = mirror.get(player)?.Transform?.scale ?? [1, 1, 1];
          const value = { position: frame.position, rotation: frame.rotation, scale };
          ctx.set(player, Transform, value);
          echo(player, "Transform", value as PlainComponent);
          return;
        }
        case "set": {
          if (frame.entity !== player || !CLIENT_WRITES.has(frame.component)) {
            return refuse(
              session,
              `it may not write ${frame.component} of entity ${frame.entity}: a client writes ` +
                `only ${[...CLIENT_WRITES].join(", ")} of its own Player (entity ${player})`,
            );
          }
          return refuse(session, `send "${frame.component}" as input, pose or transform`);
        }
      }
    };

    const join = async (socket: WebSocket, data: unknown): Promise<ClientSession | null> => {
      let token: string;
      let voice = false;
      try {
        const frame = parseClientFrame(data);
        if (frame.t !== "join") throw new ClientFrameError("the first message must be a join");
        token = frame.token;
        voice = frame.voice;
      } catch (error) {
        socket.close(4000, (error as Error).message.slice(0, 120));
        return null;
      }
      let name: string;
      try {
        revoked = await readRevocations(revocationsFile);
        name = (await verifyToken(token, world, revoked)).name;
      } catch (error) {
        const why = error instanceof TokenError ? error.message : "the token could not be checked";
        socket.send(JSON.stringify({ t: "refused", why: `token refused: ${why}` }));
        socket.close(4001, `token refused: ${why}`.slice(0, 120));
        if (logged++ < 5) ctx.log(`a client's token was refused: ${why}`);
        return null;
      }
      let session = sessions.get(name);
      if (session?.socket) session.socket.close(4002, "joined again elsewhere");
      if (!session) {
        const playerId = ++playerIds;
        const player = ctx.spawn({
          Player: { id: playerId },
          Transform: { position: SPAWN_AT },
          Input: {},
        });
        session = new ClientSession(name, player, playerId, limits);
        sessions.set(name, session);
        mirror.set(player, {
          Player: { id: playerId },
          Transform: { position: SPAWN_AT, rotation: [0, 0, 0, 1], scale: [1, 1, 1] },
        });
        ctx.log(`client "${name}" joined as entity ${player}`);
      } else {
        ctx.log(`client "${name}" came back to entity ${session.player}`);
      }
      session.attach(socket, JOIN_BURST);
      session.hearsVoice = voice;
      session.send(JSON.stringify({
        t: "hello",
        v: NETWORK_PROTOCOL,
        player: session.player,
        name,
        tick,
        editable: false,
        schemas,
        channels: Object.keys(channels),
      }));
      session.send(JSON.stringify({ t: "state", tick, entities: {} }));
      return session;
    };

    const open = (socket: WebSocket) => {
      socket.binaryType = "arraybuffer";
      let session: ClientSession | null = null;
      let joining = false;
      const timer = setTimeout(() => {
        if (!session) socket.close(4000, "no join within 5 s");
      }, JOIN_TIMEOUT_MS);
      socket.onmessage = (event) => {
        if (session) {
          if (session.socket === socket) onFrame(session, event.data);
          return;
        }
        if (joining) return;
        joining = true;
        void join(socket, event.data).then((s) => {
          clearTimeout(timer);
          session = s;
        });
      };
      socket.onclose = () => {
        clearTimeout(timer);
        if (!session || session.socket !== socket) return;
        session.socket = null;
        const left = session;
        // The same name within the grace gets its Player back; after it, the avatar goes.
        setTimeout(() => {
          if (left.socket || sessions.get(left.name) !== left) return;
          sessions.delete(left.name);
          ctx.despawn(left.player);
          // Gone for everyone at once: no ghost avatar waits for the feed to say so.
          mirror.delete(left.player);
          for (const other of sessions.values()) {
            if (!other.forget(left.player)) continue;
            other.send(
              JSON.stringify({ t: "delta", tick, set: {}, gone: [left.player], removed: [] }),
            );
          }
          ctx.log(`client "${left.name}" left`);
        }, graceMs);
      };
      socket.onerror = () => {};
    };

    // A revocation ends a connected client's session too, within a second.
    setInterval(async () => {
      if (sessions.size === 0) return;
      revoked = await readRevocations(revocationsFile).catch(() => revoked);
      for (const s of sessions.values()) {
        if (Object.hasOwn(revoked, s.name) && s.socket) s.socket.close(4001, "token revoked");
      }
    }, 1000);

    Deno.serve({
      hostname,
      port,
      cert: String(c.certPem ?? ""),
      key: String(c.keyPem ?? ""),
      onListen() {},
    }, (request) => {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        // The world's assets (models, sounds) for pages joined from another origin, read-only.
        const path = new URL(request.url).pathname;
        if (request.method === "GET" && path.startsWith("/assets/")) {
          return serveFile(assetsDir, path.slice("/assets/".length), {
            "access-control-allow-origin": "*",
          });
        }
        return new Response("a Syncra world: join over WebSocket\n", { status: 426 });
      }
      const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 30 });
      open(socket);
      return response;
    });
    ctx.log(`serving the world on wss://${hostname}:${port}/`);

    ctx.onChanges((changes) => {
      tick = changes.tick;
      if (changes.snapshot) {
        schemas = {};
        for (const component of changes.components) schemas[component.name] = component.schema;
      }
      const delta = mirrorChanges(mirror, changes, changes.components);
      const moved = changes.rows(Transform).entities;
      // VR poses arrive each frame a headset draws; the world takes the latest once per tick.
      for (const s of sessions.values()) {
        if (!s.posed || !s.pose) continue;
        s.posed = false;
        const value = { id: s.playerId, head: 0, ...s.pose };
        ctx.set(s.player, Player, value);
        echo(s.player, "Player", value as unknown as PlainComponent);
      }
      quantized = new Map();
      for (const s of sessions.values()) {
        if (!s.socket) continue;
        if (changes.snapshot) s.attach(s.socket, JOIN_BURST);
        feedSession(s, delta, moved);
      }
    });

    /** Each moved entity's transform quantized once a feed, shared by every client's frame. */
    let quantized = new Map<number, QuantizedTransform>();
    const quantizedOf = (id: number): QuantizedTransform => {
      let q = quantized.get(id);
      if (!q) {
        const t = mirror.get(id)?.Transform ?? {};
        const position = (t.position as number[] | undefined) ?? [0, 0, 0];
        const rotation = (t.rotation as number[] | undefined) ?? [0, 0, 0, 1];
        const scale = (t.scale as number[] | undefined) ?? [1, 1, 1];
        quantized.set(id, q = quantize(position, rotation, scale, 0));
      }
      return q;
    };

    /** What one client is sent this tick: its interest's changes, then moves within its budget. */
    const feedSession = (
      s: ClientSession,
      delta: ReturnType<typeof mirrorChanges>,
      moved: Uint32Array,
    ) => {
      const center = centerOf(s);
      const set: Record<number, Record<string, PlainComponent>> = {};
      const gone: number[] = [];
      for (const id of delta.gone) if (s.forget(id)) gone.push(id);
      const first = s.interestAt < 0;
      if (first || tick - s.interestAt >= INTEREST_EVERY) {
        s.interestAt = tick;
        const wanted = entitiesInRange(mirror, center, radius, s.player);
        for (const id of s.known) if (!wanted.has(id) && s.forget(id)) gone.push(id);
        for (const id of wanted) {
          if (s.known.has(id)) continue;
          s.known.add(id);
          set[id] = plainOf(id);
          if (mirror.get(id)?.Transform) s.owed.set(id, tick);
        }
      }
      for (const [idText, components] of Object.entries(delta.set)) {
        const id = Number(idText);
        if (s.known.has(id) && !set[id]) set[id] = components;
      }
      const removed = delta.removed.filter(([id]) => s.known.has(id));
      for (const [id, name] of removed) if (name === "Transform") s.transforms.forget(id);
      for (const id of moved) if (s.known.has(id) && !s.owed.has(id)) s.owed.set(id, tick);
      s.refill();
      if (Object.keys(set).length > 0 || gone.length > 0 || removed.length > 0) {
        s.budget -= s.send(JSON.stringify({ t: "delta", tick, set, gone, removed }));
      }
      if (s.owed.size === 0 || s.congested || s.budget <= 0) {
        if (first && !s.congested) s.endBurst(hz);
        return;
      }
      // About 7 bytes a move once the client holds the entity, about 25 for a new one.
      const ids = mostUrgent(mirror, s.owed, center, tick, Math.max(16, Math.floor(s.budget / 8)));
      ids.sort((a, b) => a - b);
      const values = ids.map((id) => {
        s.owed.delete(id);
        return quantizedOf(id);
      });
      const frame = s.transforms.encodeQuantized(tick, ids, values);
      if (frame) s.budget -= s.send(frame);
      if (first) s.endBurst(hz);
    };
  },
});

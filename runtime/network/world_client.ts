/**
 * The client side of the network protocol (DESIGN §11), for a headless
 * instance (`deno task world --join URL --token T [--ca FILE]`): connects
 * over TLS (trusting `--ca`, such as a world's `.syncra/tls/dev-ca.pem`, or
 * the system's roots), joins with the token, and keeps a
 * {@linkcode RemoteMirror} of what the server sends. A lost connection is
 * tried again with backoff, with the same token, so the server gives back
 * the same Player; a refused token ends the client with the server's reason.
 *
 * @module
 */
import { floatsOf, TransformDecoder } from "../../drivers/viewer/transform_codec.ts";
import type { WireSchema } from "../protocol/mod.ts";
import { RemoteMirror, type RemoteValue } from "./remote_mirror.ts";

/** How a client joins. */
export interface JoinOptions {
  url: string;
  token: string;
  /** A CA certificate file (PEM) to trust, or null for the system's. */
  ca: string | null;
  /** Who owns the mirrored entities locally (a name beside the world's scripts). */
  file: string;
  /** Where the client says what happens (reconnects, refusals). */
  note: (line: string) => void;
}

/** Why a join failed (a refused token, a server that is not a world, TLS). */
export class JoinError extends Error {
  override name = "JoinError";
}

interface Hello {
  t: "hello";
  player: number;
  name: string;
  tick: number;
  schemas: Record<string, WireSchema>;
}

/** A joined world: its mirror, this client's Player there, and the way to leave. */
export interface WorldClient extends AsyncDisposable {
  readonly mirror: RemoteMirror;
  /** This client's Player entity, as the server numbers it. */
  readonly player: number;
  readonly name: string;
  /** The server's last tick this client heard of. */
  readonly tick: number;
  /** Whether the socket is open and joined. */
  readonly connected: boolean;
  /** Messages and bytes received, for reports. */
  readonly received: { messages: number; bytes: number; refusals: string[] };
  close(): Promise<void>;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Opens a socket and joins; resolves with the socket and the server's hello. */
async function connect(
  options: JoinOptions,
  caCerts: string[],
): Promise<{ socket: WebSocket; hello: Hello; early: MessageEvent[] }> {
  const client = caCerts.length > 0 ? Deno.createHttpClient({ caCerts }) : undefined;
  const socket = new WebSocket(options.url, client ? { client } as never : undefined);
  socket.binaryType = "arraybuffer";
  const early: MessageEvent[] = [];
  return await new Promise((resolve, reject) => {
    let hello: Hello | null = null;
    socket.onopen = () => socket.send(JSON.stringify({ t: "join", token: options.token }));
    socket.onmessage = (event) => {
      if (hello) return early.push(event);
      let message: unknown;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return;
      }
      if (!isRecord(message)) return;
      if (message.t === "refused") {
        reject(new JoinError(`Cannot join ${options.url}: ${String(message.why).slice(0, 300)}`));
        return socket.close();
      }
      if (
        message.t !== "hello" || !Number.isInteger(message.player) || !isRecord(message.schemas)
      ) {
        reject(new JoinError(`Cannot join ${options.url}: it did not answer as a Syncra world`));
        return socket.close();
      }
      hello = message as unknown as Hello;
      resolve({ socket, hello, early });
    };
    socket.onerror = (event) => {
      const why = (event as ErrorEvent).message ?? "";
      reject(
        new JoinError(
          `Cannot join ${options.url}: ${why || "the connection failed"}` +
            (/certificate|UnknownIssuer|tls/i.test(why)
              ? " (trust the world's certificate with --ca FILE, e.g. its .syncra/tls/dev-ca.pem)"
              : ""),
        ),
      );
    };
    socket.onclose = (event) => {
      if (!hello) {
        reject(
          new JoinError(
            `Cannot join ${options.url}: the server closed the connection (${event.code}${
              event.reason ? `: ${event.reason}` : ""
            })`,
          ),
        );
      }
    };
  });
}

/** Joins the world at `options.url`; rejects with a {@linkcode JoinError} saying why it cannot. */
export async function joinWorld(options: JoinOptions): Promise<WorldClient> {
  const caCerts = options.ca ? [await Deno.readTextFile(options.ca)] : [];
  const first = await connect(options, caCerts);
  const mirror = new RemoteMirror(options.file, first.hello.schemas, options.note);
  const received = { messages: 0, bytes: 0, refusals: [] as string[] };
  let socket: WebSocket | null = null;
  let tick = first.hello.tick;
  let closing = false;
  let decoder = new TransformDecoder();

  const onJson = (message: Record<string, unknown>) => {
    if (typeof message.tick === "number") tick = message.tick;
    if (message.t === "state") {
      // Everything again: what this client held is dropped, and the server resends its interest.
      mirror.clear();
      decoder = new TransformDecoder();
      if (isRecord(message.entities)) setAll(message.entities);
    } else if (message.t === "delta") {
      if (isRecord(message.set)) setAll(message.set);
      for (const pair of Array.isArray(message.removed) ? message.removed : []) {
        if (!Array.isArray(pair) || typeof pair[1] !== "string") continue;
        const id = Number(pair[0]);
        if (pair[1] === "Transform") decoder.forget(id);
        mirror.remove(id, pair[1]);
      }
      for (const id of Array.isArray(message.gone) ? message.gone : []) {
        decoder.forget(Number(id));
        mirror.drop(Number(id));
      }
    } else if (message.t === "refused") {
      const why = String(message.why).slice(0, 300);
      received.refusals.push(why);
      options.note(`the joined world refused: ${why}`);
    }
  };
  const setAll = (entities: Record<string, unknown>) => {
    for (const [id, components] of Object.entries(entities)) {
      if (!isRecord(components)) continue;
      for (const [name, value] of Object.entries(components)) {
        if (isRecord(value)) mirror.set(Number(id), name, value as RemoteValue);
      }
    }
  };
  const onMessage = (event: MessageEvent) => {
    received.messages++;
    if (typeof event.data === "string") {
      received.bytes += event.data.length;
      try {
        const message = JSON.parse(event.data);
        if (isRecord(message)) onJson(message);
      } catch {
        options.note("the joined world sent a message that is not JSON; it is ignored");
      }
      return;
    }
    const bytes = new Uint8Array(event.data as ArrayBuffer);
    received.bytes += bytes.byteLength;
    try {
      const { tick: at, moved } = decoder.decode(bytes);
      tick = at;
      for (const id of moved) {
        const t = floatsOf(decoder.state.get(id)!);
        mirror.set(id, "Transform", t as unknown as RemoteValue);
      }
    } catch (error) {
      options.note(`the joined world sent a broken transform frame (${(error as Error).message})`);
    }
  };

  const adopt = (s: WebSocket, early: MessageEvent[]) => {
    socket = s;
    s.onmessage = onMessage;
    for (const event of early) onMessage(event);
    s.onclose = (event) => {
      socket = null;
      if (closing) return;
      options.note(
        `lost ${options.url} (${event.code}${
          event.reason ? `: ${event.reason}` : ""
        }); joining again`,
      );
      void rejoin(250);
    };
  };
  const rejoin = async (waitMs: number): Promise<void> => {
    await new Promise((r) => setTimeout(r, waitMs));
    if (closing) return;
    try {
      const again = await connect(options, caCerts);
      options.note(`joined ${options.url} again as entity ${again.hello.player}`);
      adopt(again.socket, again.early);
    } catch (error) {
      if (closing) return;
      const refused = /refused|revoked|expired/.test((error as Error).message);
      options.note(`${(error as Error).message}${refused ? "" : "; trying again"}`);
      if (!refused) void rejoin(Math.min(waitMs * 2, 4000));
    }
  };
  adopt(first.socket, first.early);

  const close = async () => {
    if (closing) return;
    closing = true;
    const s = socket as WebSocket | null;
    if (s && s.readyState === WebSocket.OPEN) {
      const closed = new Promise((r) => (s.onclose = r));
      s.close(1000, "leaving");
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
    }
  };
  return {
    mirror,
    player: first.hello.player,
    name: first.hello.name,
    get tick() {
      return tick;
    },
    get connected() {
      return socket !== null;
    },
    received,
    close,
    [Symbol.asyncDispose]: close,
  };
}

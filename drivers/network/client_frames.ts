// What a client may send the network driver, parsed as if every client were hostile: JSON text
// of at most 4 KiB, one of a few kinds, every value checked. Anything else is refused by name.
import { lookOf, type PlayerPose, poseOf, vec3 } from "../viewer/page_input.ts";

/** The largest message a client may send, in bytes (input and poses are tiny). */
export const MAX_CLIENT_MESSAGE = 4096;

/** How far from the origin a client may put its avatar, in metres. */
export const WORLD_BOUND = 10_000;

/** The first byte of a voice frame (transform frames are 2: drivers/viewer/transform_codec.ts). */
export const VOICE_FRAME = 3;

/** The most Opus bytes in one voice frame (RFC 6716's largest packet is 1275). */
export const MAX_VOICE_BYTES = 1275;

/** A channel's name: what `"say"` messages name. */
const CHANNEL_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

/** A client's message, checked. */
export type ClientFrame =
  | { t: "join"; token: string; voice: boolean }
  | { t: "voice"; seq: number; opus: Uint8Array }
  | { t: "say"; channel: string; data: unknown; bytes: number }
  | { t: "input"; move: number[]; look: number[]; buttons: number }
  | { t: "pose"; pose: (last: PlayerPose | null) => PlayerPose }
  | { t: "transform"; position: number[]; rotation: number[] }
  | { t: "set"; entity: number; component: string; values: Record<string, unknown> };

/** Why a client's message was refused (it is counted, and enough of them end the connection). */
export class ClientFrameError extends Error {
  override name = "ClientFrameError";
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** A position within the world's bounds, or null. */
function position(value: unknown): number[] | null {
  if (!Array.isArray(value) || value.length !== 3) return null;
  return value.every((v) => finite(v) && Math.abs(v) <= WORLD_BOUND) ? [...value] : null;
}

/** A unit quaternion (normalized here; one far from unit length is refused), or null. */
function rotation(value: unknown): number[] | null {
  if (!Array.isArray(value) || value.length !== 4 || !value.every(finite)) return null;
  const length = Math.hypot(...value);
  if (length < 0.5 || length > 1.5) return null;
  return value.map((v) => v / length);
}

/** Parses one message of a client; throws ClientFrameError saying what is wrong. */
export function parseClientFrame(data: unknown): ClientFrame {
  if (data instanceof ArrayBuffer) data = new Uint8Array(data);
  if (data instanceof Uint8Array) {
    // Binary frames are voice: [u8 3][u32 sequence, little-endian][Opus packet].
    if (data.length < 6 || data[0] !== VOICE_FRAME || data.length > 5 + MAX_VOICE_BYTES) {
      throw new ClientFrameError(
        `a binary frame must be voice: [3][u32 sequence][an Opus packet of 1 to ${MAX_VOICE_BYTES} bytes]`,
      );
    }
    const seq = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(1, true);
    return { t: "voice", seq, opus: data.slice(5) };
  }
  if (typeof data !== "string") throw new ClientFrameError("a message is neither text nor bytes");
  if (data.length === 0 || data.length > MAX_CLIENT_MESSAGE) {
    throw new ClientFrameError(`messages are JSON text of at most ${MAX_CLIENT_MESSAGE} bytes`);
  }
  let message: Record<string, unknown>;
  try {
    message = JSON.parse(data);
  } catch {
    throw new ClientFrameError("a message is not JSON");
  }
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    throw new ClientFrameError('a message must be a JSON object with a "t"');
  }
  switch (message.t) {
    case "join":
      if (typeof message.token !== "string" || message.token.length > 2048) {
        throw new ClientFrameError("join needs a token");
      }
      return { t: "join", token: message.token, voice: message.voice === true };
    case "say": {
      if (typeof message.channel !== "string" || !CHANNEL_NAME.test(message.channel)) {
        throw new ClientFrameError(
          "say needs a channel name (a letter, then letters, digits, _ or -)",
        );
      }
      return { t: "say", channel: message.channel, data: message.data ?? null, bytes: data.length };
    }
    case "input":
      return {
        t: "input",
        move: vec3(message.move),
        look: lookOf(message.look),
        buttons: Number.isInteger(message.buttons) && (message.buttons as number) >= 0 &&
            (message.buttons as number) <= 0xffffffff
          ? message.buttons as number
          : 0,
      };
    case "pose":
      return { t: "pose", pose: (last) => poseOf(message, last) };
    case "transform": {
      const p = position(message.position);
      const r = rotation(message.rotation ?? [0, 0, 0, 1]);
      if (!p || !r) {
        throw new ClientFrameError(
          `a transform needs a position within ${WORLD_BOUND} m and a unit rotation`,
        );
      }
      return { t: "transform", position: p, rotation: r };
    }
    case "set": {
      const { entity, component, values } = message;
      if (
        !Number.isSafeInteger(entity) || typeof component !== "string" ||
        component.length > 64 || typeof values !== "object" || values === null ||
        Array.isArray(values)
      ) {
        throw new ClientFrameError("set needs an entity, a component name and an object of values");
      }
      return {
        t: "set",
        entity: entity as number,
        component,
        values: values as Record<string, unknown>,
      };
    }
    default:
      throw new ClientFrameError(
        `unknown message ${JSON.stringify(String(message.t).slice(0, 32))}: a client sends ` +
          `join, input, pose, transform, say or set (and voice as binary frames)`,
      );
  }
}

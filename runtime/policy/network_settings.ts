/**
 * The world owner's settings of the network driver (DESIGN §11), in
 * `syncra.json`:
 *
 * ```json
 * { "network": { "interestRadius": 80, "bytesPerSecond": 131072, "graceMs": 5000,
 *   "channels": { "chat": { "maxBytes": 512, "perSecond": 5, "range": "world" } } } }
 * ```
 *
 * Each has a default and a range; a misspelled name or a value out of range
 * stops the world at start, naming it. A channel is a custom data channel
 * between clients (DESIGN §11): a client may `say` on the channels the owner
 * declared, each bounded in size and rate per client, heard by the clients
 * in range (within the interest radius) or in the whole world.
 *
 * @module
 */
import { didYouMean } from "./did_you_mean.ts";

/** How the network driver treats its clients. */
export interface NetworkSettings {
  /** How far from its Player a client hears of entities, metres. */
  interestRadius: number;
  /** World updates per client per second, bytes (a join's first state may burst past it). */
  bytesPerSecond: number;
  /** Messages a client may send per second; more are refused and counted. */
  messagesPerSecond: number;
  /** Refused messages after which a client is disconnected. */
  maxRefusals: number;
  /** How long a client's Player waits for it to come back after its socket closes, ms. */
  graceMs: number;
  /** How fast a client may move its own avatar, metres per second. */
  maxSpeed: number;
  /** Voice frames a client may send a second (20 ms Opus frames are 50). */
  voiceFramesPerSecond: number;
  /** The custom data channels clients may use, by name. */
  channels: Record<string, ChannelSettings>;
}

/** One custom data channel. */
export interface ChannelSettings {
  /** The largest message, bytes of JSON. */
  maxBytes: number;
  /** Messages a client may send on it a second. */
  perSecond: number;
  /** Who hears a message: clients within the interest radius of the sender, or every client. */
  range: "interest" | "world";
}

/** The settings a world has unless its syncra.json says otherwise. */
export const DEFAULT_NETWORK_SETTINGS: Readonly<NetworkSettings> = Object.freeze({
  interestRadius: 50,
  bytesPerSecond: 256 * 1024,
  messagesPerSecond: 240,
  maxRefusals: 200,
  graceMs: 10_000,
  maxSpeed: 20,
  voiceFramesPerSecond: 60,
  channels: {},
});

const CHANNEL_DEFAULTS: Readonly<ChannelSettings> = Object.freeze({
  maxBytes: 512,
  perSecond: 10,
  range: "interest",
});

type NumberSetting = Exclude<keyof NetworkSettings, "channels">;

const RANGES: Readonly<Record<NumberSetting, { min: number; max: number }>> = Object.freeze({
  interestRadius: { min: 1, max: 100_000 },
  bytesPerSecond: { min: 1024, max: 1_000_000_000 },
  messagesPerSecond: { min: 1, max: 100_000 },
  maxRefusals: { min: 1, max: 1_000_000 },
  graceMs: { min: 0, max: 3_600_000 },
  maxSpeed: { min: 0.1, max: 100_000 },
  voiceFramesPerSecond: { min: 1, max: 1000 },
});

const NAMES = [...Object.keys(RANGES), "channels"] as (keyof NetworkSettings)[];
const CHANNEL_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

function parseChannels(
  raw: unknown,
  fail: (why: string) => never,
): Record<string, ChannelSettings> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    fail(`"network"."channels" must be an object of channels by name`);
  }
  const out: Record<string, ChannelSettings> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const where = `"network"."channels"."${name}"`;
    if (!CHANNEL_NAME.test(name)) {
      fail(`${where}: a channel's name is a letter, then up to 31 letters, digits, _ or -`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      fail(`${where} must be an object (maxBytes, perSecond, range)`);
    }
    const channel: ChannelSettings = { ...CHANNEL_DEFAULTS };
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (key === "range") {
        if (v !== "interest" && v !== "world") fail(`${where}.range must be "interest" or "world"`);
        channel.range = v as ChannelSettings["range"];
      } else if (key === "maxBytes" || key === "perSecond") {
        const [min, max] = key === "maxBytes" ? [1, 4096] : [1, 1000];
        if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
          fail(
            `${where}.${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`,
          );
        }
        channel[key] = v as number;
      } else {
        fail(`${where}."${key}" is not a channel setting; they are maxBytes, perSecond, range`);
      }
    }
    out[name] = channel;
  }
  return out;
}

/** Validates `"network"`; `fail` throws the configuration's error. */
export function parseNetworkSettings(
  raw: unknown,
  fail: (why: string) => never,
): NetworkSettings {
  if (raw === undefined) return { ...DEFAULT_NETWORK_SETTINGS };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    fail(`"network" must be an object of settings (${NAMES.join(", ")})`);
  }
  const out: NetworkSettings = { ...DEFAULT_NETWORK_SETTINGS };
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name === "channels") {
      out.channels = parseChannels(value, fail);
      continue;
    }
    if (!Object.hasOwn(RANGES, name)) {
      const guess = didYouMean(name, NAMES);
      fail(
        `"network"."${name}" is not a setting${guess ? ` (did you mean "${guess}"?)` : ""}; ` +
          `settings are ${NAMES.join(", ")}`,
      );
    }
    const { min, max } = RANGES[name as NumberSetting];
    if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
      fail(
        `"network"."${name}" must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`,
      );
    }
    out[name as NumberSetting] = value as number;
  }
  return out;
}

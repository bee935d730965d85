/**
 * The world owner's settings of the network driver (DESIGN §11), in
 * `syncra.json`:
 *
 * ```json
 * { "network": { "interestRadius": 80, "bytesPerSecond": 131072, "graceMs": 5000 } }
 * ```
 *
 * Each has a default and a range; a misspelled name or a value out of range
 * stops the world at start, naming it.
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
}

/** The settings a world has unless its syncra.json says otherwise. */
export const DEFAULT_NETWORK_SETTINGS: Readonly<NetworkSettings> = Object.freeze({
  interestRadius: 50,
  bytesPerSecond: 256 * 1024,
  messagesPerSecond: 240,
  maxRefusals: 200,
  graceMs: 10_000,
  maxSpeed: 20,
});

const RANGES: Readonly<Record<keyof NetworkSettings, { min: number; max: number }>> = Object.freeze(
  {
    interestRadius: { min: 1, max: 100_000 },
    bytesPerSecond: { min: 1024, max: 1_000_000_000 },
    messagesPerSecond: { min: 1, max: 100_000 },
    maxRefusals: { min: 1, max: 1_000_000 },
    graceMs: { min: 0, max: 3_600_000 },
    maxSpeed: { min: 0.1, max: 100_000 },
  },
);

const NAMES = Object.keys(RANGES) as (keyof NetworkSettings)[];

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
    if (!Object.hasOwn(RANGES, name)) {
      const guess = didYouMean(name, NAMES);
      fail(
        `"network"."${name}" is not a setting${guess ? ` (did you mean "${guess}"?)` : ""}; ` +
          `settings are ${NAMES.join(", ")}`,
      );
    }
    const { min, max } = RANGES[name as keyof NetworkSettings];
    if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
      fail(
        `"network"."${name}" must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`,
      );
    }
    out[name as keyof NetworkSettings] = value as number;
  }
  return out;
}

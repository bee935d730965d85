import assert from "node:assert/strict";
import { DEFAULT_NETWORK_SETTINGS, parseNetworkSettings } from "./network_settings.ts";

const fail = (why: string): never => {
  throw new Error(why);
};

Deno.test("network settings: defaults, the owner's values, channels, and a bad one refused by name", () => {
  assert.deepEqual(parseNetworkSettings(undefined, fail), DEFAULT_NETWORK_SETTINGS);
  const s = parseNetworkSettings(
    { graceMs: 500, channels: { chat: { perSecond: 2 }, emote: { range: "world", maxBytes: 64 } } },
    fail,
  );
  assert.equal(s.graceMs, 500);
  assert.equal(s.interestRadius, DEFAULT_NETWORK_SETTINGS.interestRadius);
  assert.deepEqual(s.channels, {
    chat: { maxBytes: 512, perSecond: 2, range: "interest" },
    emote: { maxBytes: 64, perSecond: 10, range: "world" },
  });
  assert.throws(
    () => parseNetworkSettings({ graceMS: 1 }, fail),
    /"network"."graceMS" is not a setting \(did you mean "graceMs"\?\)/,
  );
  assert.throws(
    () => parseNetworkSettings({ bytesPerSecond: 10 }, fail),
    /"network"."bytesPerSecond" must be a number from 1024 to 1000000000, got 10/,
  );
  assert.throws(
    () => parseNetworkSettings({ channels: { "9lives": {} } }, fail),
    /"network"."channels"."9lives": a channel's name is a letter/,
  );
  assert.throws(
    () => parseNetworkSettings({ channels: { chat: { range: "galaxy" } } }, fail),
    /"network"."channels"."chat".range must be "interest" or "world"/,
  );
});

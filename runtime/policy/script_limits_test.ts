import assert from "node:assert/strict";
import { parseWorldConfig } from "./world_config.ts";
import { DEFAULT_SCRIPT_LIMITS, formatLimits, limitsFor } from "./script_limits.ts";

const BASE = DEFAULT_SCRIPT_LIMITS;

const parse = (limits: unknown) => parseWorldConfig({ limits }, "syncra.json");

Deno.test('a script gets the world\'s defaults, then "default", then its own entry, key by key', () => {
  const config = parse({
    default: { deadlineMs: 100, threads: 32 },
    "scene.ts": { initSpawns: 25_000, threads: 48 },
  });
  const scene = limitsFor(config.limits!, "scripts/scene.ts", "scripts", BASE);
  assert.deepEqual(scene.limits, { ...BASE, deadlineMs: 100, threads: 48, initSpawns: 25_000 });
  assert.deepEqual(scene.from, ["default", "scene.ts"]);
  const other = limitsFor(config.limits!, "scripts/door.ts", "scripts", BASE);
  assert.deepEqual(other.limits, { ...BASE, deadlineMs: 100, threads: 32 });
  assert.match(
    formatLimits(scene, "syncra.json"),
    /25000 init spawns.*\(syncra\.json: "default", "scene\.ts"\)$/,
  );
  assert.match(
    formatLimits(limitsFor(parse(undefined).limits!, "x.ts", ".", BASE), "s"),
    /\(defaults\)$/,
  );
});

Deno.test("invalid limits are refused naming the key, the range and what was given", () => {
  const refused = (limits: unknown, message: RegExp) =>
    assert.throws(() => parse(limits), (e: Error) => {
      assert.match(e.message, /^Invalid world configuration in syncra\.json: /);
      assert.match(e.message, message);
      return true;
    });
  refused(
    { "door.ts": { heapMb: 8 } },
    /"limits"\."door\.ts"\."heapMb" must be an integer from 16 to 16384, got 8/,
  );
  refused({ default: { threads: 2.5 } }, /"threads" must be an integer from 16 to 4096, got 2\.5/);
  refused({ default: { deadlineMs: "100" } }, /got "100"/);
  refused(
    { "door.ts": { initSpawn: 100 } },
    /"initSpawn" is not a limit \(did you mean "initSpawns"\?\)/,
  );
  refused({ "door.ts": { colour: 1 } }, /"colour" is not a limit; limits are heapMb, /);
  refused({ "door.ts": 5 }, /"limits"\."door\.ts" must be an object of limits/);
  refused([1], /"limits" must be an object/);
});

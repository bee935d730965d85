/**
 * Raw children that send forged and malformed frames (a user script cannot:
 * see channel_test.ts), run as scripts of a real world beside the counter —
 * the real coordinator, supervisor, launcher, jail and cgroups, with only the
 * bundling step swapped for `.js` files so that no in-child host stands
 * between the attack and the coordinator's decoder.
 *
 * @module
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import {
  COUNTER_MODULE,
  COUNTER_SCRIPT,
  IN_CI,
  makeScripts,
  peakRss,
  rawHelloFrame,
  resetPeakRss,
} from "../_world.ts";
import { createWorld, reportScript, resultFrameLimits } from "../../runtime/app/mod.ts";
import { DEFAULT_COORDINATOR_OPTIONS } from "../../runtime/coordinator/mod.ts";
import type { SupervisorEvent } from "../../runtime/supervision/mod.ts";
import { assertNoSurvivors, type ExitEvent, FIXTURES, RUNTIME_GROWTH_BUDGET } from "./_attack.ts";

/** Each raw child, the exit reason it must get and the detail that names its fault. */
const RAW: Record<string, { reason: string; detail: RegExp }> = {
  raw_length_4gib: {
    reason: "protocol",
    detail: /Frame of 4294967295 bytes exceeds the limit of 67108864$/,
  },
  raw_empty_frame: { reason: "protocol", detail: /: Empty frame$/ },
  raw_truncated_msgpack: {
    reason: "protocol",
    detail: /Malformed MessagePack: needs 2 bytes at offset 3, only 1 left$/,
  },
  raw_trailing_bytes: {
    reason: "protocol",
    detail: /Malformed MessagePack: 2 trailing bytes after the value$/,
  },
  raw_deep_nesting: {
    reason: "protocol",
    detail: /Malformed MessagePack: nesting deeper than 32$/,
  },
  raw_huge_array_length: {
    reason: "protocol",
    detail: /Malformed MessagePack: array of 4294967295 items exceeds the limit of 1000000$/,
  },
  raw_huge_map_length: {
    reason: "protocol",
    detail: /Malformed MessagePack: map of 8589934590 items exceeds the limit of 1000000$/,
  },
  raw_huge_string_length: {
    reason: "protocol",
    detail: /Malformed MessagePack: string of 4294967295 bytes exceeds the limit of 65536$/,
  },
  raw_huge_bin_length: {
    reason: "protocol",
    detail: /Malformed MessagePack: bin of 4294967295 bytes exceeds the limit of 67108864$/,
  },
  raw_proto_key: {
    reason: "protocol",
    detail: /Malformed MessagePack: the map key "__proto__" is not allowed$/,
  },
  raw_duplicate_keys: {
    reason: "protocol",
    detail: /Malformed MessagePack: duplicate map key "t"$/,
  },
  raw_invalid_utf8: {
    reason: "protocol",
    detail: /Malformed MessagePack: string is not valid UTF-8$/,
  },
  raw_ext_type: {
    reason: "protocol",
    detail: /Malformed MessagePack: unsupported type byte 0xd4$/,
  },
  raw_int64_overflow: {
    reason: "protocol",
    detail: /Malformed MessagePack: 64-bit integer out of the safe range$/,
  },
  raw_unsolicited_result: {
    reason: "protocol",
    detail: /sent a result for tick 99 that was not asked for$/,
  },
  raw_second_hello: { reason: "protocol", detail: /sent an unexpected "hello" frame$/ },
  raw_empty_map_padding: {
    reason: "protocol",
    // The budget of a script allowed the default 10 000 init spawns (runtime/app/launcher.ts).
    detail: new RegExp(
      `Malformed MessagePack: more than ${
        resultFrameLimits(DEFAULT_COORDINATOR_OPTIONS.maxInitSpawns).maxContainers
      } arrays and maps in one message$`,
    ),
  },
  raw_random_garbage: {
    reason: "protocol",
    detail: /Frame of 648850234 bytes exceeds the limit of 67108864$/,
  },
  // A frame that never completes is no error of the decoder: the deadline ends it.
  raw_stall_mid_frame: {
    reason: "deadline",
    detail: /tick \d+ ran past the deadline of 2000 ms$/,
  },
};

/** A raw child's source: its hello frame, the shared preamble, the attack, then it idles. */
async function rawChild(name: string): Promise<string> {
  const hello = rawHelloFrame(name);

  const read = (file: string) => Deno.readTextFile(new URL(`raw/${file}`, FIXTURES));
  return [
    `const HELLO = new Uint8Array(${JSON.stringify([...hello])});`,
    await read("_preamble.js"),
    await read(`${name}.js`),
    "setInterval(() => {}, 60_000); // stays alive with nothing to do",
  ].join("\n");
}

Deno.test("forged and malformed frames from raw children — 4 GiB prefixes, truncation, trailing bytes, deep nesting, huge lengths, __proto__ — end in a protocol kill and a restart while the world keeps ticking", async () => {
  const files: Record<string, string> = {
    "_counter.ts": COUNTER_MODULE,
    "counter.ts": COUNTER_SCRIPT,
  };
  for (const name of Object.keys(RAW)) files[`${name}.js`] = await rawChild(name);
  await using folder = await makeScripts(files);

  const events: SupervisorEvent[] = [];
  await using live = await createWorld({
    scriptsDir: folder.scripts,
    jail: IN_CI ? "on" : "auto",
    hz: 50,
    // Not a deadline test: 18 jailed children restarting at once load a 2-core machine.
    deadlineMs: 2000,
    fresh: true,
    quiet: true,
    watch: false,
    onEvent: (e) => events.push(e),
  }, {
    slotOptions: { backoffMs: 50 },
    // The one swap: a `.js` raw child is its own bundle, with no in-child host.
    launcher: (real) => ({
      ...real,
      bundle: async (file) => {
        if (!file.endsWith(".js")) return await real.bundle(file);
        const path = resolve(file);
        return { path, bytes: (await Deno.stat(path)).size, inputs: [path] };
      },
    }),
  });
  const { supervisor, coordinator } = live;
  // Ticks at 50 Hz until every raw child has been killed and started again (at most 10 s).
  const restarted = () =>
    Object.keys(RAW).every((name) =>
      events.filter((e) => e.type === "ready" && e.script === name).length >= 2
    );
  let ticks = 0;
  resetPeakRss(); // for the peak checked below
  const before = peakRss();
  try {
    await live.start();
    while (ticks < 500 && (ticks < 25 || !restarted())) {
      await live.step();
      ticks++;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await live.stop();
  }
  coordinator.flushCommands();

  const reports = supervisor.slots().map(reportScript);
  for (const [name, { reason, detail }] of Object.entries(RAW)) {
    const report = reports.find((r) => r.name === name);
    assert.ok(report, `${name} is in the world`);
    if (IN_CI) assert.equal(report.isolation, "jail", `${name} ran in the jail`);
    const exits = events.filter((e): e is ExitEvent => e.type === "exit" && e.script === name);
    assert.ok(exits.length >= 1, `${name} was killed: ${JSON.stringify(report)}`);
    for (const exit of exits) {
      assert.equal(exit.reason, reason, `${name}: ${exit.detail}`);
      assert.match(exit.detail, detail, `${name}: ${exit.detail}`);
    }
    const starts = events.filter((e) => e.type === "ready" && e.script === name).length;
    assert.ok(starts >= 2, `${name} was restarted: ${starts} starts`);
  }
  // The coordinator never threw: every tick ran and the counter beside the raw children lost none.
  assert.equal(coordinator.tick, ticks);
  const counters = coordinator.world.dump().filter((e) => e.components.Counter);
  const counterReport = reports.find((r) => r.name === "counter")!;
  assert.deepEqual(counters.map((e) => e.components.Counter!.value), [
    ticks - counterReport.lateTicks - counterReport.skippedTicks,
  ]);
  // The runtime's memory stayed within budget while it decoded (and refused) every one.
  // (24 million empty maps decoded unbounded would take gigabytes.)
  const grown = peakRss() - before;
  assert.ok(
    grown <= RUNTIME_GROWTH_BUDGET,
    `the runtime grew by ${Math.round(grown / 2 ** 20)} MiB under 18 raw children's attacks`,
  );
  const counter = reports.find((r) => r.name === "counter")!;
  assert.equal(counter.restarts, 0);
  assert.equal(counter.exits.deadline ?? 0, 0);
  await assertNoSurvivors(folder);
});

import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnStdioChild } from "../runtime/link/mod.ts";
import { DEFAULT_SYSTEM_OPTIONS, type ScriptLauncher, SystemRole } from "../runtime/roles/mod.ts";
import { EventStream, type SupervisorEvent } from "../runtime/supervision/mod.ts";
import { encodeFrame, PROTOCOL_VERSION } from "../runtime/protocol/mod.ts";
import { DEFAULT_SCRIPT_LIMITS } from "../runtime/policy/mod.ts";
import { deriveChildCommand } from "../sandbox/command/mod.ts";
import type { ProtocolError } from "../runtime/protocol/mod.ts";
import { rawHelloFrame } from "./_world.ts";

// Raw children that speak (or break) the protocol by hand, without the in-child host.
const HELLO = [...rawHelloFrame("raw")];

function rawChild(afterHello: string): string {
  return `
    const out = (bytes) => { let n = 0; while (n < bytes.length) n += Deno.stdout.writeSync(bytes.subarray(n)); };
    out(new Uint8Array(${JSON.stringify(HELLO)}));
    const reader = Deno.stdin.readable.getReader();
    await reader.read();
    ${afterHello}
    await new Promise(() => {});
  `;
}

const GARBAGE: Record<string, string> = {
  "a length prefix claiming 4 GiB": `out(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));`,
  "malformed MessagePack": `out(new Uint8Array([3, 0, 0, 0, 0xc1, 0xc1, 0xc1]));`,
  "trailing bytes in a frame": `out(new Uint8Array([3, 0, 0, 0, 0x01, 0x02, 0x03]));`,
  "deep nesting":
    `const d = new Uint8Array(200).fill(0x91); d[199] = 1; out(new Uint8Array([200, 0, 0, 0, ...d]));`,
  "a __proto__ key":
    `const k = new TextEncoder().encode("__proto__"); out(new Uint8Array([12, 0, 0, 0, 0x81, 0xa9, ...k, 1]));`,
  "a result nobody asked for": `out(new Uint8Array(${
    JSON.stringify([
      ...encodeFrame({ t: "result", tick: 99, changed: {}, commands: [], error: null }),
    ])
  }));`,
};

async function withRawScript(source: string, body: (file: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "raw.js");
    await Deno.writeTextFile(file, source);
    await body(file);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Starts `file` as it is (no bundle, no jail): raw children speak the protocol by hand. */
function rawLauncher(file: string): ScriptLauncher {
  return {
    bundle: () => Promise.resolve({ path: file, bytes: 0, inputs: [file] }),
    prepare: (bundle) => {
      const command = deriveChildCommand({
        denoPath: Deno.execPath(),
        bundlePath: bundle.path,
        heapMb: 64,
        grants: { net: [], storageDir: null },
      });
      return Promise.resolve({
        command,
        display: [command.program, ...command.args],
        isolation: "flags-only",
        budget: "none",
        group: null,
      });
    },
    spawn: spawnStdioChild,
    admit: () => ({ net: [], storageDir: null }),
    limits: () => DEFAULT_SCRIPT_LIMITS,
  };
}

Deno.test("the link reports an oversized length prefix as a protocol error without allocating it", async () => {
  await withRawScript(rawChild(GARBAGE["a length prefix claiming 4 GiB"]!), async (file) => {
    const errors: ProtocolError[] = [];
    const command = deriveChildCommand({
      denoPath: Deno.execPath(),
      bundlePath: file,
      heapMb: 64,
      grants: { net: [], storageDir: null },
    });
    const { link, process } = spawnStdioChild(command, {
      message: () => {},
      protocolError: (e) => errors.push(e),
      stderr: () => {},
    });
    await link.send({ t: "shutdown" });
    const until = performance.now() + 5000;
    while (errors.length === 0 && performance.now() < until) {
      await new Promise((r) => setTimeout(r, 10));
    }
    process.kill();
    await process.exited;
    assert.match(errors[0]?.message ?? "", /Frame of 4294967295 bytes exceeds the limit/);
    assert.equal(errors.length, 1, "reading stops at the first broken frame");
  });
});

for (const [attack, code] of Object.entries(GARBAGE)) {
  Deno.test(`a child that sends ${attack} is killed for protocol and restarted`, async () => {
    await withRawScript(rawChild(code), async (file) => {
      const events: SupervisorEvent[] = [];
      const stream = new EventStream();
      stream.on((e) => events.push(e));
      const launcher = rawLauncher(file);
      const slot = new SystemRole(file, launcher, stream, {
        ...DEFAULT_SYSTEM_OPTIONS,
        backoffMs: 50,
      });
      await slot.start();
      assert.ok(slot.commitPending(), "the raw child said hello");
      const outcome = await slot.request(
        {
          t: "tick",
          tick: 1,
          dt: 0,
          queries: {},
        },
        { waitMs: 2000, deadlineMs: 2000 },
        () => {},
      );
      assert.notEqual(outcome.kind, "result");
      const until = performance.now() + 5000;
      while (events.filter((e) => e.type === "ready").length < 2 && performance.now() < until) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const exit = events.find((e) => e.type === "exit");
      assert.equal(exit?.type === "exit" && exit.reason, "protocol");
      assert.ok(events.filter((e) => e.type === "ready").length >= 2, "restarted");
      await slot.stop("shutdown");
    });
  });
}

Deno.test("a child host of another protocol version is refused, saying which versions differ", async () => {
  const hello = [...encodeFrame({ t: "hello", v: 99, manifest: {} })];
  const source = `
    let n = 0; const bytes = new Uint8Array(${JSON.stringify(hello)});
    while (n < bytes.length) n += Deno.stdout.writeSync(bytes.subarray(n));
    await new Promise(() => {});
  `;
  await withRawScript(source, async (file) => {
    const events: SupervisorEvent[] = [];
    const stream = new EventStream();
    stream.on((e) => events.push(e));
    const slot = new SystemRole(file, rawLauncher(file), stream, DEFAULT_SYSTEM_OPTIONS);
    await slot.start();
    assert.equal(slot.state, "refused");
    assert.match(
      slot.lastError ?? "",
      new RegExp(
        `speaks protocol version 99, this runtime speaks ${PROTOCOL_VERSION}: its child host is ` +
          `from another Syncra version`,
      ),
    );
    assert.ok(events.some((e) => e.type === "refused"));
    await slot.stop("shutdown");
  });
});

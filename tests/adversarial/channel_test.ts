import assert from "node:assert/strict";
import { join } from "node:path";
import { makeScripts, scriptReport } from "../_world.ts";
import {
  assertConfined,
  assertDenied,
  assertKeptTicking,
  attackFolder,
  exitsOf,
  lastWords,
  notCapable,
  runAttacks,
} from "./_attack.ts";
import { bundleScript, stopBundler } from "../../sandbox/bundle/mod.ts";
import { deriveChildCommand } from "../../sandbox/command/mod.ts";
import {
  encodeFrame,
  FrameReader,
  MessagePackWriter,
  type ResultMessage,
  writeRuntimeFrame,
} from "../../runtime/protocol/mod.ts";
import { GUEST_FRAME_LIMITS } from "../../sandbox/guest/mod.ts";

/** Scripts that forge frames on the channel, and the protocol error each must end in. */
const FORGERS: Record<string, RegExp> = {
  process_stdout_forge: /^Killed \(protocol\): Frame of 4294967295 bytes exceeds the limit of \d+$/,
  encoder_length_forge: /^Killed \(protocol\): Frame of 4294967280 bytes exceeds the limit of \d+$/,
  encoder_truncated_forge:
    /^Killed \(protocol\): Malformed MessagePack: needs \d+ bytes at offset \d+, only 0 left$/,
  encoder_trailing_forge:
    /^Killed \(protocol\): Malformed MessagePack: 1 trailing bytes after the value$/,
  result_tick_forge: /^Killed \(protocol\): sent a result for tick 999999 that was not asked for$/,
};

const ATTACKS = [
  "raw_stdio_access",
  ...Object.keys(FORGERS),
  "forged_result_columns",
  "log_frame_injection",
];

Deno.test("scripts cannot reach the frame channel, and whatever they forge on it ends their process, never the world", async (t) => {
  await using folder = await attackFolder(ATTACKS);
  const ticks = 60;
  const run = await runAttacks(folder, ticks, { hz: 50, deadlineMs: 1000 });

  await t.step("the raw streams and the host's internals are out of reach", () => {
    assertDenied(run, "raw_stdio_access", {
      stdout: /^TypeError: Cannot read properties of undefined \(reading 'writeSync'\)$/,
      stderr: /^TypeError: Cannot read properties of undefined \(reading 'writeSync'\)$/,
      stdin: /^TypeError: Cannot read properties of undefined \(reading 'readSync'\)$/,
      redefine: /^TypeError: Cannot redefine property: stdout$/,
      internal: /^TypeError: Cannot read properties of undefined \(reading 'core'\)$/,
      writeSync: /^TypeError: D\.writeSync is not a function$/,
      fsFile: /^TypeError: 'Deno\.FsFile' cannot be constructed/,
      devStdout: notCapable("write", "/dev/stdout"),
      procFd1: notCapable("write", "/proc/self/fd/1"),
      procFd0: notCapable("read", "/proc/self/fd/0"),
      consoleReplaced: /^TypeError: Cannot redefine property: log$/,
    });
  });

  await t.step("forged bytes are a protocol kill, then a restart", () => {
    for (const [name, detail] of Object.entries(FORGERS)) {
      const exits = exitsOf(run, name);
      if (name === "process_stdout_forge" && exits.length === 0) {
        // Once Node's process is gone from scripts (holes_test.ts), this one cannot even write.
        assert.match(
          scriptReport(run, name).lastError ?? "",
          /^ReferenceError: process is not defined/,
        );
        continue;
      }
      assert.ok(exits.length >= 1, `${name} was killed`);
      exits.forEach((exit, i) => {
        assert.equal(exit.reason, "protocol", `${name}: ${exit.detail}`);
        assert.match(exit.detail, detail, name);
        // Every kill schedules a restart, except one the world's stop overtook (the last).
        if (i < exits.length - 1) assert.notEqual(exit.restartInMs, null);
      });
      const ready = run.events.filter((e) => e.type === "ready" && e.script === name);
      assert.ok(ready.length >= 2, `${name} was restarted: ${ready.length} starts`);
      assert.ok(scriptReport(run, name).restarts >= 1);
    }
  });

  await t.step(
    "a result forged past the host's grant checks is a violation, and is dropped",
    () => {
      const violations = run.events.filter((e) =>
        e.type === "violation" && e.script === "forged_result_columns"
      );
      assert.ok(violations.length >= 10, `${violations.length} violations`);
      for (const v of violations) {
        assert.equal(
          v.type === "violation" && v.message,
          `Cannot write component "Counter" from script "forged_result_columns": it is not in the script's writes`,
        );
      }
      assert.equal(exitsOf(run, "forged_result_columns")[0]?.reason, "violation");
    },
  );

  await t.step("frames hidden in a log line stay text", () => {
    const texts = run.events.filter((e) => e.type === "log" && e.script === "log_frame_injection")
      .map((e) => e.type === "log" ? e.text : "");
    assert.ok(
      texts.includes("\u0005\u0000\u0000\u0000\u0081\u00a1t\u00a6result\u00ff\u00ff\u00ff\u00ff"),
      "the forged bytes arrived as the text they were",
    );
    assert.ok(texts.includes(`tick ${ticks}`));
    assert.deepEqual(exitsOf(run, "log_frame_injection"), []);
    assert.equal(scriptReport(run, "log_frame_injection").state, "running");
  });

  await t.step("the world kept ticking and the counter lost no tick", () => {
    assertConfined(run, ATTACKS);
    assertKeptTicking(run, ticks);
  });
});

Deno.test("no script can reach fds 0 and 1 with no permissions: no fd functions, FsFile, device or /proc path, fetch, or stream left in reach", async () => {
  await using folder = await attackFolder(["stdio_fd_reach"]);
  const run = await runAttacks(folder, 10, { hz: 50, deadlineMs: 1000 });
  const notFunction = (name: string) => new RegExp(`^TypeError: D\\.${name} is not a function$`);
  assertDenied(run, "stdio_fd_reach", {
    denoReadSync: notFunction("readSync"),
    denoRead: notFunction("read"),
    denoFsFile: notFunction("fsFile"),
    fsFileStdin: /^TypeError: 'Deno\.FsFile' cannot be constructed/,
    fsFileStdout: /^TypeError: 'Deno\.FsFile' cannot be constructed/,
    stdinDescriptor:
      /^OK: {"value":"undefined","writable":false,"enumerable":true,"configurable":false}$/,
    devStdin: notCapable("read", "/dev/stdin"),
    devFd0: notCapable("read", "/dev/fd/0"),
    devFd1: notCapable("write", "/dev/fd/1"),
    procFd0: notCapable("read", "/proc/self/fd/0"),
    procThreadFd1: notCapable("write", "/proc/thread-self/fd/1"),
    readFileStdin: notCapable("read", "/dev/stdin"),
    writeFileStdout: notCapable("write", "/dev/stdout"),
    fetchStdin: notCapable("read", "/dev/stdin"),
    reachable: /^OK: \[\]$/,
  });
  assert.deepEqual(exitsOf(run, "stdio_fd_reach"), [], lastWords(run, "stdio_fd_reach"));
  assertConfined(run, ["stdio_fd_reach"]);
  assertKeptTicking(run, 10);
});

/** Scripts that stop their own host from reading or writing the channel, and must be killed for it. */
const BLOCKERS = ["channel_timer_spin", "channel_subarray_spin"];

Deno.test("a script that keeps its host from the channel — spinning in a timer between ticks, or inside the host's own reader — is killed at the deadline while the world keeps ticking", async () => {
  await using folder = await attackFolder(BLOCKERS);
  const ticks = 40;
  const run = await runAttacks(folder, ticks, { hz: 20, deadlineMs: 400 });
  for (const name of BLOCKERS) {
    const exits = exitsOf(run, name);
    assert.ok(exits.length >= 1, `${name} was killed: ${lastWords(run, name)}`);
    for (const exit of exits) {
      assert.equal(exit.reason, "deadline", `${name}: ${exit.detail}`);
      assert.notEqual(exit.restartInMs, null, `${name} is restarted`);
    }
    const starts = run.events.filter((e) => e.type === "ready" && e.script === name).length;
    assert.ok(starts >= 2, `${name} was started again: ${starts} starts`);
  }
  assertConfined(run, BLOCKERS);
  assertKeptTicking(run, ticks);
});

// ---- The child's end of the channel, driven by hand: one real (unjailed) child per test. ----

/** A real child running a bundled script, its channel over pipes or a TCP socket on fds 0 and 1. */
interface Guest extends AsyncDisposable {
  send(bytes: Uint8Array): Promise<void>;
  /** The next message from the child (null once its output ended). */
  next(): Promise<unknown>;
  /** Ends the child's input (end of file on its fd 0). */
  closeInput(): Promise<void>;
  /** Exit code and stderr, once the child has exited. */
  exited: Promise<{ code: number; stderr: string }>;
}

type Transport = "pipe" | "socket";

async function startGuest(source: string, transport: Transport): Promise<Guest> {
  const folder = await makeScripts({ "guest.ts": source });
  let bundlePath: string;
  try {
    bundlePath = (await bundleScript(join(folder.scripts, "guest.ts"), {
      scriptsDir: folder.scripts,
      outDir: join(folder.root, "out"),
    })).path;
  } finally {
    await stopBundler();
  }
  const command = deriveChildCommand({
    denoPath: Deno.execPath(),
    bundlePath,
    heapMb: 256,
    grants: { net: [], storageDir: null },
  });
  let child: Deno.ChildProcess;
  let input: WritableStream<Uint8Array>;
  let output: ReadableStream<Uint8Array>;
  let conn: Deno.TcpConn | null = null;
  if (transport === "pipe") {
    child = new Deno.Command(command.program, {
      args: command.args,
      env: command.env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    input = child.stdin;
    output = child.stdout;
  } else {
    // bash connects, then becomes the child with the socket as its fds 0 and 1.
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const script =
      `exec 3<>/dev/tcp/127.0.0.1/${listener.addr.port} && exec "$0" "$@" <&3 >&3 3<&-`;
    child = new Deno.Command("bash", {
      args: ["-c", script, command.program, ...command.args],
      env: command.env,
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    conn = await listener.accept();
    input = conn.writable;
    output = conn.readable;
  }
  const writer = input.getWriter();
  writer.closed.catch(() => {});
  const socket = conn;
  const closeInput = socket ? () => socket.closeWrite() : () => writer.close().catch(() => {});
  const reader = output.getReader();
  const frames = new FrameReader();
  const queue: unknown[] = [];
  const stderr = new Response(child.stderr).text();
  const exited = (async () => {
    const status = await child.status;
    return { code: status.code, stderr: await stderr };
  })();
  const guest: Guest = {
    send: (bytes) => writer.write(bytes),
    async next() {
      while (queue.length === 0) {
        const { value, done } = await reader.read();
        if (done) return null;
        queue.push(...frames.push(value));
      }
      return queue.shift();
    },
    closeInput: () => closeInput(),
    exited,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await exited;
      await reader.cancel().catch(() => {});
      await writer.close().catch(() => {});
      try {
        conn?.close();
      } catch { /* closed */ }
      await folder[Symbol.asyncDispose]();
    },
  };
  const hello = await guest.next() as { t?: string };
  assert.equal(hello?.t, "hello", `the child said hello: ${JSON.stringify(hello)}`);
  return guest;
}

/** Resolves with the child's exit, or fails the test if it has not exited within `ms`. */
async function exitWithin(guest: Guest, ms: number): Promise<{ code: number; stderr: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      guest.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the child still runs after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const MOVER = `
import { defineComponent, defineSystem } from "@syncra/std";
const P = defineComponent("P", { p: "vec3" });
let between = 0;
setInterval(() => between++, 1);
export default defineSystem({
  writes: [P],
  run(ctx) {
    const p = ctx.write(P).p;
    const step = () => { for (let i = 0; i < p.length; i++) p[i] += ctx.tick; };
    // Odd ticks answer at once; even ones await a timer and a promise chain first.
    if (ctx.tick % 2 === 1) {
      step();
      ctx.log(\`tick \${ctx.tick} sync, timer fired \${between} times\`);
      return;
    }
    return (async () => {
      await new Promise((r) => setTimeout(r, 5));
      await Promise.resolve().then(() => Promise.resolve());
      step();
      ctx.log(\`tick \${ctx.tick} async, timer fired \${between} times\`);
    })();
  },
});
`;

/** A tick of `n` rows of P, every p zero. */
function moverTick(writer: MessagePackWriter, tick: number, n: number): Uint8Array {
  return writeRuntimeFrame(writer, {
    t: "tick",
    tick,
    dt: 0.01,
    queries: {
      default: {
        count: n,
        entities: new Uint8Array(new Uint32Array(n).map((_, i) => i).buffer),
        columns: { P: { p: new Uint8Array(n * 12) } },
      },
    },
  }).slice();
}

for (const transport of ["pipe", "socket"] as const) {
  Deno.test(`over a ${transport}, an async run's timers and promises settle before its result, timers run between ticks, and end of input ends the child`, async () => {
    await using guest = await startGuest(MOVER, transport);
    const writer = new MessagePackWriter();
    // 100 000 rows: a 1.6 MB frame, read in many partial reads.
    const n = 100_000;
    const fired: number[] = [];
    for (let tick = 1; tick <= 6; tick++) {
      await guest.send(moverTick(writer, tick, n));
      const log = await guest.next() as { t: string; text: string };
      assert.equal(log.t, "log");
      const kind = tick % 2 === 1 ? "sync" : "async";
      const match = new RegExp(`^tick ${tick} ${kind}, timer fired (\\d+) times$`).exec(log.text);
      assert.ok(match, log.text);
      fired.push(Number(match[1]));
      const result = await guest.next() as ResultMessage;
      assert.equal(result.t, "result");
      assert.equal(result.tick, tick);
      assert.equal(result.error, null);
      const p = result.changed.default?.P?.p as Uint8Array | undefined;
      assert.ok(p, "the written column came back");
      assert.equal(p.length, n * 12);
      const values = new Float32Array(p.slice().buffer);
      assert.ok(values.every((v) => v === tick), `every value moved by ${tick}`);
      // Idle between ticks: the child's timers run meanwhile.
      await new Promise((r) => setTimeout(r, 30));
    }
    for (let i = 1; i < fired.length; i++) {
      assert.ok(fired[i]! > fired[i - 1]!, `the interval fired between ticks: ${fired}`);
    }
    await guest.closeInput();
    const exit = await exitWithin(guest, 5000);
    assert.deepEqual(exit, { code: 0, stderr: "" });
  });

  Deno.test(`over a ${transport}, a frame cut short by the runtime ends the child with a clear message instead of a hang`, async () => {
    await using guest = await startGuest(MOVER, transport);
    const frame = moverTick(new MessagePackWriter(), 1, 10_000);
    await guest.send(frame.subarray(0, 70_000));
    await guest.closeInput();
    const exit = await exitWithin(guest, 5000);
    assert.equal(exit.code, 1);
    assert.equal(
      exit.stderr,
      `The frame channel from the runtime broke: Input ended inside a frame: 69996 of ${
        frame.length - 4
      } bytes arrived\n`,
    );
  });

  Deno.test(`over a ${transport}, a frame over the child's limit ends it at once with a clear message, before anything is allocated`, async () => {
    await using guest = await startGuest(MOVER, transport);
    const over = GUEST_FRAME_LIMITS.maxFrameBytes + 1;
    const prefix = new Uint8Array(new Uint32Array([over]).buffer);
    // The channel stays open: the child must not wait for the rest.
    await guest.send(new Uint8Array([...prefix, 0x81, 0xa1]));
    const exit = await exitWithin(guest, 5000);
    assert.equal(exit.code, 1);
    assert.equal(
      exit.stderr,
      `The frame channel from the runtime broke: Frame of ${over} bytes exceeds the limit of ${GUEST_FRAME_LIMITS.maxFrameBytes}\n`,
    );
  });
}

Deno.test("a malformed tick from the runtime ends the child with a clear message", async () => {
  await using guest = await startGuest(MOVER, "pipe");
  await guest.send(encodeFrame({ t: "tick", tick: 1, dt: 0, count: 0 }));
  const exit = await exitWithin(guest, 5000);
  assert.equal(exit.code, 1);
  assert.equal(
    exit.stderr,
    "The frame channel from the runtime broke: Malformed tick frame: no blob or layout\n",
  );
});

/**
 * The in-child host, the entry the bundler puts in front of every script
 * (sandbox/bundle/bundle.ts): the trusted-by-nobody code that runs inside a
 * script's process before the script itself. Evaluating this module hardens
 * the process (hardening.ts: captures fds 0, 1 and 2, hides the raw streams,
 * Deno's internals and the globals no script may have) and routes
 * `console.*` to log frames (console_route.ts). `runChildHost` then loads
 * the script, says hello with its manifest (manifest.ts) and serves frames
 * (channel.ts) until shutdown or end of input, running each tick on a fresh
 * context (tick_context.ts).
 *
 * Nothing here is a security boundary: the runtime validates every frame as
 * if the child were hostile. The host only makes honest scripts pleasant
 * (clear errors with line numbers) and casual misuse of stdio impossible.
 * The pure pieces are exported side-effect free by `mod.ts`; importing this
 * file hardens the process that imports it.
 *
 * @module
 */
import type { DriverDefinition, RemoteChangeValue, SystemDefinition } from "../../std/mod.ts";
import { RemoteChange } from "../../std/mod.ts";
import { PROTOCOL_VERSION, ProtocolError, type WireError } from "../../runtime/protocol/mod.ts";
import { hardenProcess } from "./hardening.ts";
import { FrameChannel } from "./channel.ts";
import { routeConsole } from "./console_route.ts";
import { describeManifest } from "./manifest.ts";
import { ColumnOriginals, createTickContext, resultOf } from "./tick_context.ts";
import { toWireError } from "./wire_error.ts";
import { serveDriver } from "./driver_host.ts";

// ---- Before any user code exists: the script's module is imported lazily by runChildHost. ----
const host = hardenProcess();
// Taken now: a script could replace these globals before the host needs them.
const encoder = new TextEncoder();
const { BrokenPipe } = Deno.errors;
const channel = new FrameChannel(host.stdin, host.stdout);
routeConsole(host.Console, (message) => channel.send(message));

/** Writes the host's last words to fd 2 (a line the runtime keeps as the exit's detail) and exits. */
function die(error: unknown): never {
  const why = typeof error === "string"
    ? error
    : error instanceof ProtocolError
    ? `The frame channel from the runtime broke: ${error.message}`
    : `The child host failed: ${error instanceof Error ? error.stack : host.inspect(error)}`;
  const bytes = encoder.encode(`${why}\n`);
  try {
    let written = 0;
    while (written < bytes.length) written += host.stderr.writeSync(bytes.subarray(written));
  } catch {
    // Nobody is listening any more.
  }
  return host.exit(1);
}

/**
 * Resolves once the event loop has nothing left to do (Deno's
 * "beforeunload"), and keeps the process alive then: an awaited promise that
 * nothing can settle any more would otherwise end the child with code 0.
 */
function whenIdle(): { idle: Promise<void>; cancel(): void } {
  let onIdle = (_event: Event) => {};
  const idle = new Promise<void>((resolve) => {
    onIdle = (event) => {
      event.preventDefault();
      globalThis.removeEventListener("beforeunload", onIdle);
      resolve();
    };
  });
  globalThis.addEventListener("beforeunload", onIdle);
  return { idle, cancel: () => globalThis.removeEventListener("beforeunload", onIdle) };
}

/** Awaits what `init` or `run` returned; a promise that can never settle is the script's error. */
async function settle(work: unknown, hook: "init" | "run" | "onRemoteChange"): Promise<void> {
  if (!(work instanceof Promise)) return;
  const watch = whenIdle();
  try {
    const settled = await Promise.race([work.then(() => true), watch.idle.then(() => false)]);
    if (!settled) {
      const error = new Error(
        `${hook}() returned a promise that never settles: nothing it waits for is left to ` +
          `happen (no timer, read or fetch is pending)`,
      );
      // The host's frames say nothing about the script's code.
      error.stack = `${error.name}: ${error.message}`;
      throw error;
    }
  } finally {
    watch.cancel();
  }
}

/** Loads the script, says hello, then serves frames until shutdown or end of input. */
export async function runChildHost(
  load: () => Promise<Record<string, unknown>>,
  fileName: string,
): Promise<never> {
  let system: SystemDefinition;
  let name: string;
  try {
    // Messages name the file, not the declared name: the runtime decides which name a
    // script runs under (runtime/system_names.ts), and a declared name may be someone else's.
    name = fileName.replace(/\.[^.]+$/, "");
    const module = await load();
    const exported = module.default as SystemDefinition | DriverDefinition | undefined;
    if (exported?.kind === "syncra.driver") {
      const exit = (code: number) => host.exit(code);
      return await serveDriver(exported, name, channel, exit, die);
    }
    if (!exported || exported.kind !== "syncra.system") {
      throw new TypeError(
        `Script "${fileName}" must export a system as its default: export default defineSystem({ ... })`,
      );
    }
    system = exported;
    const manifest = describeManifest(system);
    channel.send({ t: "hello", v: PROTOCOL_VERSION, manifest });
  } catch (error) {
    channel.send({ t: "fail", error: toWireError(error, host.inspect) });
    return host.exit(1);
  }

  const options = { storage: host.storage, originals: new ColumnOriginals(), watchReads: false };
  /** Read-only fields this script was already told it wrote into. */
  const warned = new Set<string>();
  while (true) {
    let message: { t: string } & Record<string, unknown>;
    let ctx;
    try {
      const next = await channel.next() as typeof message | null;
      if (next === null || next.t === "shutdown") return host.exit(0);
      message = next;
      // One message at a time: its columns are views into the channel's buffer.
      const tick = typeof message.tick === "number" ? message.tick : 0;
      // Writes into read-only columns are looked for on a few ticks: it costs a copy of them.
      options.watchReads = tick <= 3 || tick % 64 === 0;
      ctx = createTickContext(system, name, message, options);
    } catch (error) {
      return die(error);
    }
    let error: WireError | null = null;
    try {
      // Awaited before the next read, so an async run's timers and I/O settle first.
      const hook = message.t === "init" ? "init" : "run";
      if (hook === "run" && system.onRemoteChange) {
        for (const change of ctx.events(RemoteChange) as RemoteChangeValue[]) {
          await settle(system.onRemoteChange(ctx, change), "onRemoteChange");
        }
      }
      await settle(hook === "init" ? system.init?.(ctx) : system.run?.(ctx), hook);
    } catch (e) {
      error = toWireError(e, host.inspect);
    }
    for (const { what, fix } of error ? [] : ctx.writesIntoReads()) {
      if (warned.has(what)) continue;
      warned.add(what);
      channel.send({
        t: "log",
        level: "warn",
        text: `wrote into ${
          what.startsWith("resource ") ? what : `"${what}"`
        }, which it only reads: the write is dropped; add ${fix} to change it`,
      });
    }
    try {
      channel.send(resultOf(ctx, error));
    } catch (e) {
      // The runtime is gone (a broken pipe): as at end of input, there is nobody to serve.
      if (e instanceof BrokenPipe) return host.exit(0);
      return die(e);
    }
  }
}

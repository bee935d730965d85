/**
 * Which channel children get on this machine: the unix socket where the
 * FFI launcher works (about a third of the cost of stdio per round trip),
 * stdio pipes otherwise. `SYNCRA_CHANNEL=stdio|socket` forces one.
 *
 * @module
 */
import type { ChannelChoice } from "./link.ts";
import { spawnSocketChild } from "./socket_link.ts";
import { spawnStdioChild } from "./stdio_link.ts";

/** Options of {@linkcode chooseChannel}. */
export interface ChooseChannelOptions {
  /**
   * A forced channel, "stdio" or "socket"; anything else is a TypeError.
   * @default the `SYNCRA_CHANNEL` environment variable, if set
   */
  force?: string | undefined;
}

/** Longest the probe's child may take to start and exit. */
const PROBE_TIMEOUT_MS = 5000;

let probed: Promise<string | null> | null = null;

/**
 * Picks the channel: the socket when a probe launch through it works
 * (once per process: a `true` child started and reaped), else stdio, and
 * says which and why. Throws where the socket is forced but unavailable.
 */
export async function chooseChannel(options: ChooseChannelOptions = {}): Promise<ChannelChoice> {
  const force = "force" in options ? options.force : Deno.env.get("SYNCRA_CHANNEL");
  if (force !== undefined && force !== "" && force !== "stdio" && force !== "socket") {
    throw new TypeError(`Invalid SYNCRA_CHANNEL "${force}": expected "stdio" or "socket"`);
  }
  if (force === "stdio") {
    return { kind: "stdio", description: "stdio pipes (SYNCRA_CHANNEL=stdio)", spawn: stdio };
  }
  const unavailable = await (probed ??= probeSocketLauncher());
  if (unavailable === null) {
    const why = force === "socket" ? "SYNCRA_CHANNEL=socket" : "launched through FFI";
    return { kind: "socket", description: `unix socket on fds 0/1 (${why})`, spawn: socket };
  }
  if (force === "socket") {
    throw new Error(`Cannot use the socket channel (SYNCRA_CHANNEL=socket): ${unavailable}`);
  }
  return {
    kind: "stdio",
    description: `stdio pipes (socket launcher unavailable: ${unavailable})`,
    spawn: stdio,
  };
}

const stdio: ChannelChoice["spawn"] = (command, handlers, options) =>
  spawnStdioChild(command, handlers, options);
const socket: ChannelChoice["spawn"] = (command, handlers, options) =>
  spawnSocketChild(command, handlers, options);

/** Launches `true` over the socket; null when that worked, else why not. */
export async function probeSocketLauncher(): Promise<string | null> {
  const program = ["/bin/true", "/usr/bin/true"].find(exists);
  if (program === undefined) return "no /bin/true to probe the launcher with";
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const child = spawnSocketChild({ program, args: [], env: {} }, {
      message: () => {},
      protocolError: () => {},
      stderr: () => {},
    });
    const timeout = new Promise<"timeout">((r) =>
      timer = setTimeout(() => r("timeout"), PROBE_TIMEOUT_MS)
    );
    const exit = await Promise.race([child.process.exited, timeout]);
    if (exit === "timeout") {
      child.process.kill();
      await child.process.exited;
      return `the probe child did not exit within ${PROBE_TIMEOUT_MS} ms`;
    }
    if (exit.code !== 0) return `the probe child exited with ${exit.signal ?? `code ${exit.code}`}`;
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

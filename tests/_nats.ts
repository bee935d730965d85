/**
 * Shared by the NATS tests: whether nats-server is here (CI fails rather
 * than skips), and the CLI's world and system host as real processes whose
 * output is kept.
 *
 * @module
 */
import { join, relative } from "node:path";
import { IN_CI } from "./_world.ts";
import { findExecutable } from "../sandbox/command/mod.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Why the NATS tests cannot run here, or null. Throws in CI. */
export function natsMissing(): string | null {
  if (findExecutable("nats-server") !== null) return null;
  const why = `nats-server is missing (Debian package "nats-server")`;
  if (IN_CI) throw new Error(`CI needs it: ${why}`);
  return why;
}

/** A CLI process whose stdout and stderr are collected as they come. */
export interface CliProcess {
  readonly pid: number;
  /** What it wrote to stderr so far. */
  logged(): string;
  /** What it wrote to stdout so far. */
  printed(): string;
  /** Resolves once `pattern` has been printed or logged (rejects after `ms`). */
  until(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  stop(signal: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Runs `deno run -A main.ts ...args` in `cwd` (with `raw`, `deno ...args`). */
export function spawnCli(args: string[], cwd: string, raw = false): CliProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: raw ? args : ["run", "-A", MAIN, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "", err = "";
  const read = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) add(text);
  };
  const reading = Promise.all([
    read(child.stdout, (s) => (out += s)),
    read(child.stderr, (s) => (err += s)),
  ]);
  let status: Deno.CommandStatus | null = null;
  const exited = child.status.then((s) => (status = s));
  return {
    pid: child.pid,
    logged: () => err,
    printed: () => out,
    async until(pattern, ms = 30_000) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const match = pattern.exec(out) ?? pattern.exec(err);
        if (match) return match;
        if (status) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(
        `${args[0]} did not say ${pattern} (${status ? `exited ${status.code}` : "timed out"}):\n` +
          `${out}\n${err}`,
      );
    },
    async stop(signal) {
      if (!status) {
        try {
          child.kill(signal);
        } catch { /* already gone */ }
      }
      const s = await child.status;
      await exited;
      await reading;
      return s;
    },
  };
}

/** `deno task world --nats MODE` in `root`, once it printed where its NATS is. */
export async function spawnNatsWorld(
  root: string,
  hz: number,
  extra: string[] = [],
  nats = "auto",
  fresh = true,
): Promise<CliProcess & { url: string }> {
  const world = spawnCli(
    [
      "world",
      "--nats",
      nats,
      "--no-viewer",
      "--hz",
      String(hz),
      ...(fresh ? ["--fresh"] : []),
      ...extra,
    ],
    root,
  );
  try {
    const [, url] = await world.until(/nats: (nats:\/\/127\.0\.0\.1:\d+)/);
    return Object.assign(world, { url: url! });
  } catch (error) {
    await world.stop("SIGKILL");
    throw error;
  }
}

/** `deno task system FILE|NAME --nats URL --instance ID` in `root`, once it serves. */
export async function spawnHost(
  root: string,
  /** A script file, or a system name (the world's own copy). */
  script: string,
  url: string,
  instance: string,
): Promise<CliProcess> {
  const host = spawnCli(["system", script, "--nats", url, "--instance", instance], root);
  try {
    await host.until(/^instance: /m);
    return host;
  } catch (error) {
    await host.stop("SIGKILL");
    throw error;
  }
}

/**
 * A nats-server the owner runs (not the world's own): `body` is the rest
 * of its configuration (an authorization block, an include); JetStream in
 * `dir`. Resolves once it accepts connections.
 */
export async function startOwnerServer(
  dir: string,
  port: number,
  body: string,
): Promise<Deno.ChildProcess> {
  const conf = join(dir, "owner.conf");
  await Deno.writeTextFile(
    conf,
    `listen: "127.0.0.1:${port}"\njetstream { store_dir: "${dir}/js" }\n${body}`,
  );
  const server = new Deno.Command(findExecutable("nats-server")!, {
    args: ["-c", conf],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 100; i++) {
    const up = await Deno.connect({ hostname: "127.0.0.1", port }).then((c) => {
      c.close();
      return true;
    }, () => false);
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return server;
}

/** The include line for the world's authorization block, relative to `dir` (nats-server needs it so). */
export function includeWorldUsers(dir: string, root: string): string {
  return `include "${relative(dir, join(root, ".syncra", "nats", "authorization.conf"))}"`;
}

/**
 * Multi-user test tools (DESIGN §11): a world served by the real CLI with
 * `--network 127.0.0.1:0` (its `network: wss://…` line read from stdout),
 * tokens from `deno task token`, and a client speaking the page's protocol
 * over TLS — join, JSON state and deltas, binary transform frames decoded
 * with the page's own decoder — that records everything it hears.
 *
 * @module
 */
import { join } from "node:path";
import { floatsOf, TransformDecoder } from "../drivers/viewer/transform_codec.ts";
import { cli } from "./_cli.ts";
import type { TestFolder } from "./_world.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** A world serving clients, run by the CLI in a child process. */
export interface NetworkWorld extends AsyncDisposable {
  url: string;
  /** The development CA clients trust. */
  caPath: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Stops it with SIGTERM (a clean stop: dump and report written) and returns its output. */
  stop(): Promise<{ code: number; output: string }>;
}

/** Starts `deno task world --network 127.0.0.1:0` over a test folder. */
export async function startNetworkWorld(
  folder: TestFolder,
  args: readonly string[] = [],
): Promise<NetworkWorld> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "world",
      "--scripts",
      folder.scripts,
      "--no-viewer",
      "--fresh",
      "--network",
      "127.0.0.1:0",
      ...args,
    ],
    cwd: folder.root,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const until = performance.now() + 60_000;
  let match: RegExpExecArray | null = null;
  while (!(match = /^network: (wss:\/\/127\.0\.0\.1:\d+\/)$/m.exec(text))) {
    if (performance.now() > until) {
      child.kill("SIGKILL");
      throw new Error(`The world printed no network line in 60 s:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  let stopped: Promise<{ code: number; output: string }> | null = null;
  const stop = () =>
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const status = await child.status;
      await pumped;
      return { code: status.code, output: text };
    })();
  return {
    url: match[1]!,
    caPath: join(folder.root, ".syncra", "tls", "dev-ca.pem"),
    output: () => text,
    stop,
    [Symbol.asyncDispose]: async () => void await stop(),
  };
}

/** Runs `deno task world --join` on `world` with `token` (trusting its CA unless `ca` is false). */
export function joinCli(
  world: { url: string; caPath: string },
  scripts: string,
  token: string,
  more: readonly string[],
  ca = true,
): ReturnType<typeof cli> {
  return cli([
    "world",
    "--scripts",
    scripts,
    "--join",
    world.url,
    "--token",
    token,
    ...(ca ? ["--ca", world.caPath] : []),
    ...more,
  ]);
}

/** A client token for `name` from `deno task token`. */
export async function tokenFor(folder: TestFolder, name: string): Promise<string> {
  const out = await cli(["token", "--scripts", folder.scripts, "--name", name]);
  if (out.code !== 0) throw new Error(`deno task token failed: ${out.stderr}`);
  return out.stdout.trim();
}

type Plain = Record<string, unknown>;

/** A client on the wire, recording what it hears. */
export class TestClient {
  readonly socket: WebSocket;
  /** Entity → component → value, as the client holds them (transforms decoded). */
  readonly entities = new Map<number, Record<string, Plain>>();
  hello: Plain | null = null;
  readonly refusals: string[] = [];
  readonly gone: number[] = [];
  /** Bytes received, with when (ms), for bandwidth windows. */
  readonly received: { at: number; bytes: number }[] = [];
  closed: { code: number; reason: string } | null = null;
  readonly opened: Promise<void>;
  readonly #transforms = new TransformDecoder();

  constructor(url: string, caPath: string) {
    const client = Deno.createHttpClient({ caCerts: [Deno.readTextFileSync(caPath)] });
    this.socket = new WebSocket(url, { client } as never);
    this.socket.binaryType = "arraybuffer";
    this.opened = new Promise((resolve, reject) => {
      this.socket.onopen = () => resolve();
      this.socket.onerror = (e) => reject(new Error((e as ErrorEvent).message));
    });
    this.socket.onmessage = (event) => this.#hear(event.data);
    this.socket.onclose = (event) => (this.closed = { code: event.code, reason: event.reason });
  }

  /** Opens a client and joins with `token` (the hello, or a refusal, arrives later). */
  static async join(world: { url: string; caPath: string }, token: string): Promise<TestClient> {
    const client = new TestClient(world.url, world.caPath);
    await client.opened;
    client.send({ t: "join", token });
    return client;
  }

  /** This client's Player entity, once joined. */
  get player(): number {
    return Number(this.hello?.player ?? 0);
  }

  send(message: unknown): void {
    this.socket.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** Sends bytes or text as they are. */
  sendRaw(data: string | Uint8Array): void {
    this.socket.send(data);
  }

  #hear(data: unknown): void {
    const bytes = typeof data === "string" ? data.length : (data as ArrayBuffer).byteLength;
    this.received.push({ at: performance.now(), bytes });
    if (typeof data !== "string") {
      // Voice frames (kind 3) are for whoever listens for them; transform frames are kind 2.
      if (new Uint8Array(data as ArrayBuffer)[0] !== 2) return;
      const { moved } = this.#transforms.decode(data as ArrayBuffer);
      for (const id of moved) {
        this.#entity(id).Transform = floatsOf(this.#transforms.state.get(id)!) as unknown as Plain;
      }
      return;
    }
    const m = JSON.parse(data);
    if (m.t === "hello") this.hello = m;
    if (m.t === "refused") this.refusals.push(String(m.why));
    if (m.t === "state") {
      this.entities.clear();
      this.#transforms.state.clear();
    }
    if (m.t === "delta") {
      for (const [id, components] of Object.entries(m.set ?? {})) {
        Object.assign(this.#entity(Number(id)), components);
      }
      for (const [id, name] of m.removed ?? []) delete this.entities.get(id)?.[name];
      for (const id of m.gone ?? []) {
        this.entities.delete(id);
        this.#transforms.forget(id);
        this.gone.push(id);
      }
    }
  }

  #entity(id: number): Record<string, Plain> {
    let e = this.entities.get(id);
    if (!e) this.entities.set(id, e = {});
    return e;
  }

  /** Waits until `what` holds (checked every 20 ms); throws with `why` after `timeoutMs`. */
  async until(what: () => boolean, why: string, timeoutMs = 10_000): Promise<void> {
    const end = performance.now() + timeoutMs;
    while (!what()) {
      if (performance.now() > end) throw new Error(`Timed out waiting for ${why}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Bytes received between `from` and `to` (performance.now() ms). */
  bytesBetween(from: number, to: number): number {
    return this.received.filter((r) => r.at >= from && r.at < to).reduce((n, r) => n + r.bytes, 0);
  }

  /** Closes the socket and waits until it is closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    const done = new Promise<void>((r) => this.socket.addEventListener("close", () => r()));
    this.socket.close();
    await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
  }
}

/** A position of an entity a client holds, or null. */
export function positionOf(client: TestClient, id: number): number[] | null {
  const p = client.entities.get(id)?.Transform?.position;
  return Array.isArray(p) ? p as number[] : null;
}

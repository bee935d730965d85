/**
 * Many clients of the network driver in one process, for the load test
 * (tests/network_load_test.ts) and the network bench
 * (bench/network_bench.ts): a lighter client than tests/_network.ts's
 * TestClient — it keeps the integer transforms it decoded (or only counts
 * them) and counters of what it heard, not a record per message — the
 * world process found under this process, and its CPU time per process
 * from /proc.
 *
 * @module
 */
import { floatsOf, TransformDecoder } from "../drivers/viewer/transform_codec.ts";
import { childrenOf, CLOCK_TICKS, cpuMs, wsFrameBytes } from "./_bench_tools.ts";

/** What a client heard, counted. Wire bytes are whole WebSocket frames, header included. */
export interface HeardCounts {
  messages: number;
  wireBytes: number;
  jsonMessages: number;
  jsonWireBytes: number;
  transformFrames: number;
  transformWireBytes: number;
  /** Entity transforms in the transform frames (each frame's count). */
  transforms: number;
}

/** When things first happened to a client (performance.now() ms; NaN: not yet). */
export interface ClientTimes {
  created: number;
  opened: number;
  joinSent: number;
  hello: number;
  state: number;
  firstTransform: number;
}

/** A character past U+007F (text without one has its UTF-8 length as its length). */
const nonAscii = /[\u0080-\uffff]/;
const utf8 = new TextEncoder();

/** Options of a {@linkcode LoadClient}. */
export interface LoadClientOptions {
  /** Decode transform frames (and keep what it holds); false only counts them. @default true */
  decode?: boolean;
  /** Called after each message it heard. */
  onHeard?: (client: LoadClient) => void;
}

/** A client on the wire speaking the page's protocol: join, JSON, binary transform frames. */
export class LoadClient {
  readonly name: string;
  readonly socket: WebSocket;
  /** Its transforms as integers (transform_codec.ts), when it decodes. */
  readonly decoder: TransformDecoder | null;
  /** Entity → its JSON components (not Transform: those are in `decoder`). */
  readonly entities = new Map<number, Record<string, unknown>>();
  hello: Record<string, unknown> | null = null;
  readonly refusals: string[] = [];
  closed: { code: number; reason: string } | null = null;
  error: string | null = null;
  /** The tick of the last transform frame it heard, or -1. */
  lastTick = -1;
  readonly counts: HeardCounts = {
    messages: 0,
    wireBytes: 0,
    jsonMessages: 0,
    jsonWireBytes: 0,
    transformFrames: 0,
    transformWireBytes: 0,
    transforms: 0,
  };
  readonly times: ClientTimes;
  readonly opened: Promise<void>;
  readonly #onHeard: ((client: LoadClient) => void) | null;

  constructor(url: string, http: Deno.HttpClient, name: string, options: LoadClientOptions = {}) {
    this.name = name;
    this.decoder = options.decode === false ? null : new TransformDecoder();
    this.#onHeard = options.onHeard ?? null;
    const now = performance.now();
    this.times = {
      created: now,
      opened: NaN,
      joinSent: NaN,
      hello: NaN,
      state: NaN,
      firstTransform: NaN,
    };
    this.socket = new WebSocket(url, { client: http } as never);
    this.socket.binaryType = "arraybuffer";
    this.opened = new Promise((resolve, reject) => {
      this.socket.onopen = () => {
        this.times.opened = performance.now();
        resolve();
      };
      this.socket.onerror = (e) => {
        this.error = (e as ErrorEvent).message ?? "error";
        reject(new Error(`${name}: ${this.error}`));
      };
    });
    this.socket.onmessage = (event) => this.#hear(event.data);
    this.socket.onclose = (event) => (this.closed = { code: event.code, reason: event.reason });
  }

  /** Sends the join (once the socket is open). */
  join(token: string): void {
    this.times.joinSent = performance.now();
    this.send({ t: "join", token });
  }

  /** Its Player entity, once joined (0 before). */
  get player(): number {
    return Number(this.hello?.player ?? 0);
  }

  /** Whether it may still send: open, not closed. */
  get open(): boolean {
    return this.closed === null && this.socket.readyState === WebSocket.OPEN;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** The position it holds for entity `id` (metres), or null. */
  positionOf(id: number): number[] | null {
    const t = this.decoder?.state.get(id);
    return t ? floatsOf(t).position : null;
  }

  /** How many entities it holds a transform of. */
  get transformsHeld(): number {
    return this.decoder?.state.size ?? 0;
  }

  #hear(data: unknown): void {
    const now = performance.now();
    const c = this.counts;
    c.messages++;
    if (typeof data !== "string") {
      const buffer = data as ArrayBuffer;
      const wire = wsFrameBytes(buffer.byteLength);
      c.wireBytes += wire;
      c.transformFrames++;
      c.transformWireBytes += wire;
      const view = new DataView(buffer);
      this.lastTick = view.getUint32(1, true);
      c.transforms += view.getUint32(5, true);
      if (Number.isNaN(this.times.firstTransform)) this.times.firstTransform = now;
      this.decoder?.decode(buffer);
      this.#onHeard?.(this);
      return;
    }
    const wire = wsFrameBytes(!nonAscii.test(data) ? data.length : utf8.encode(data).length);
    c.wireBytes += wire;
    c.jsonMessages++;
    c.jsonWireBytes += wire;
    const m = JSON.parse(data);
    if (m.t === "hello") {
      this.hello = m;
      this.times.hello = now;
    } else if (m.t === "refused") this.refusals.push(String(m.why));
    else if (m.t === "state") {
      this.times.state = now;
      this.entities.clear();
      this.decoder?.state.clear();
    } else if (m.t === "delta") {
      for (const [id, components] of Object.entries(m.set ?? {})) {
        const key = Number(id);
        const held = this.entities.get(key);
        if (held) Object.assign(held, components);
        else this.entities.set(key, { ...(components as Record<string, unknown>) });
      }
      for (const [id, name] of m.removed ?? []) delete this.entities.get(id)?.[name];
      for (const id of m.gone ?? []) {
        this.entities.delete(id);
        this.decoder?.forget(id);
      }
    }
    this.#onHeard?.(this);
  }

  /** Closes the socket and waits (up to 2 s) until it is closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    const done = new Promise<void>((r) => this.socket.addEventListener("close", () => r()));
    try {
      this.socket.close();
    } catch { /* not open yet */ }
    await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
  }
}

/** Counts `b − a`, field by field. */
export function countsBetween(a: HeardCounts, b: HeardCounts): HeardCounts {
  const out = { ...b };
  for (const k of Object.keys(out) as (keyof HeardCounts)[]) out[k] = b[k] - a[k];
  return out;
}

/** Opens clients and joins each with its token, `concurrency` handshakes at a time. */
export async function joinClients(
  world: { url: string },
  http: Deno.HttpClient,
  tokens: readonly { name: string; token: string }[],
  options: LoadClientOptions & { concurrency?: number } = {},
): Promise<LoadClient[]> {
  const out: LoadClient[] = new Array(tokens.length);
  let next = 0;
  const worker = async () => {
    while (next < tokens.length) {
      const i = next++;
      const { name, token } = tokens[i]!;
      const client = new LoadClient(world.url, http, name, options);
      await client.opened;
      client.join(token);
      out[i] = client;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  return out;
}

/** Waits until `what` holds (checked every `everyMs`); throws with `why` after `timeoutMs`. */
export async function until(
  what: () => boolean,
  why: () => string,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<number> {
  const start = performance.now();
  while (!what()) {
    if (performance.now() - start > timeoutMs) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${why()}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return performance.now() - start;
}

/**
 * Waits until the network driver says it serves: the world prints its
 * `network: wss://…` line before the driver's process has started and
 * listens, and a client that connects in between is refused (ECONNREFUSED).
 */
export function untilServing(world: { output(): string }, timeoutMs = 30_000): Promise<number> {
  return until(
    () => /\[network\] serving the world on wss:\/\//.test(world.output()),
    () => `the network driver to serve:\n${world.output().slice(-2000)}`,
    timeoutMs,
  );
}

// ---- The world's processes ----

function read(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

/** A process's command line, its arguments joined by spaces ("" if gone). */
export function commandLine(pid: number): string {
  return (read(`/proc/${pid}/cmdline`) ?? "").split("\0").join(" ").trim();
}

/** The pid of the `main.ts world` child of this process that runs over `scripts`. */
export function worldPid(scripts: string): number {
  for (const pid of childrenOf("self")) {
    const line = commandLine(pid);
    if (/main\.ts world\b/.test(line) && line.includes(scripts)) return pid;
  }
  throw new Error(`No world process over ${scripts} under this process`);
}

/** CPU time of a world's processes by part, ms: the runtime, the network driver, the scripts. */
export interface WorldCpu {
  /** The world process itself (the coordinator, the supervision, the bundler's host side). */
  runtime: number;
  /** The network driver's process (jailed: bwrap → bwrap → deno; the deno counts). */
  network: number;
  /** Everything else below the world: the scripts' processes, their jails, esbuild. */
  others: number;
  total: number;
  /** Each process's CPU time, by pid, and which part it is of. */
  processes: Map<number, { part: "runtime" | "network" | "others"; ms: number }>;
}

/** The CPU time so far of the world process `pid` and all its descendants, by part. */
export function worldCpu(pid: number): WorldCpu {
  const processes: WorldCpu["processes"] = new Map();
  processes.set(pid, { part: "runtime", ms: cpuMs(pid) });
  const queue = childrenOf(pid);
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (processes.has(p)) continue;
    const part = /bundles\/drivers\/network\//.test(commandLine(p)) ? "network" : "others";
    processes.set(p, { part, ms: cpuMs(p) });
    queue.push(...childrenOf(p));
  }
  return summed(processes);
}

function summed(processes: WorldCpu["processes"]): WorldCpu {
  const out: WorldCpu = { runtime: 0, network: 0, others: 0, total: 0, processes };
  for (const { part, ms } of processes.values()) {
    out[part] += ms;
    out.total += ms;
  }
  return out;
}

/**
 * `b − a`, process by process: one that ended meanwhile counts nothing (its
 * time since `a` is lost with it), one that started counts all its time.
 */
export function cpuBetween(a: WorldCpu, b: WorldCpu): WorldCpu {
  const processes: WorldCpu["processes"] = new Map();
  for (const [pid, { part, ms }] of b.processes) {
    processes.set(pid, { part, ms: Math.max(0, ms - (a.processes.get(pid)?.ms ?? 0)) });
  }
  return summed(processes);
}

/** The machine's CPU time so far, ms over all cores, from /proc/stat: busy, idle, stolen. */
export interface MachineCpu {
  busy: number;
  idle: number;
  /** Time the hypervisor gave this machine's CPUs to others (a noisy neighbour). */
  steal: number;
}

/** {@linkcode MachineCpu} now. */
export function machineCpu(): MachineCpu {
  const line = (read("/proc/stat") ?? "").split("\n")[0] ?? "";
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/)
    .slice(1).map((v) => Number(v) * (1000 / CLOCK_TICKS));
  return {
    busy: (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0),
    idle: (idle ?? 0) + (iowait ?? 0),
    steal: steal ?? 0,
  };
}

/** The machine's busy CPU time between `a` and `b`, ms (all processes, all cores). */
export function busyBetween(a: MachineCpu, b: MachineCpu): number {
  return b.busy - a.busy;
}

/** The share of the machine's CPU time between `a` and `b` that was stolen, 0–1. */
export function stolenShare(a: MachineCpu, b: MachineCpu): number {
  const busy = b.busy - a.busy, idle = b.idle - a.idle, steal = b.steal - a.steal;
  return steal / Math.max(1, busy + idle + steal);
}

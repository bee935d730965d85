/**
 * `deno task bench` (last part): what the viewer costs.
 *
 * - **Bytes per changed Transform** on the WebSocket: 1 000 entities moving
 *   at 0–3 m/s and turning at 0–180°/s for 600 ticks at 60 Hz, whole
 *   WebSocket frames counted (payload and frame header) by a headless client
 *   speaking the page's protocol. Target: ≤ 8 B (lossless to 1 mm and 0.1°,
 *   checked in drivers/viewer/transform_codec_test.ts).
 * - **Tick cost of feeding clients**: the same world's tick p50 with the
 *   viewer and 10 connected clients, and again with a real page in headless
 *   Chromium besides, against no viewer, same run. Target: ≤ 1.1×.
 * - **Latency**: from the start of the tick that changed a transform to a
 *   client holding it (the tick's frame received and decoded), p50 and p99
 *   over the run. Target: ≤ one tick (16.7 ms) + 5 ms.
 *
 * Writes `bench/viewer_results.json` (unless `--no-json`).
 *
 * @module
 */
import { join } from "node:path";
import { chooseViewerPort, runWorld } from "../runtime/app/mod.ts";
import { stats, wsFrameBytes } from "./_bench_tools.ts";
import { stopBundler } from "../sandbox/bundle/mod.ts";
import { TransformDecoder } from "../drivers/viewer/transform_codec.ts";
import { liveViewerWorld, writeMovingBoxes } from "./_moving_boxes.ts";
import { launchBrowser } from "../tests/browser/_browser.ts";

const ENTITIES = 1000;
const TICKS = 600;
const CLIENTS = 10;

/** A headless client speaking the page's protocol, counting what it receives. */
function client(port: number) {
  const decoder = new TransformDecoder();
  const counts = { transformBytes: 0, transforms: 0, allBytes: 0, frames: 0 };
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  ws.binaryType = "arraybuffer";
  let first = true;
  ws.onmessage = (e) => {
    const size = typeof e.data === "string"
      ? new TextEncoder().encode(e.data).length
      : e.data.byteLength;
    counts.allBytes += wsFrameBytes(size);
    if (typeof e.data === "string") return;
    const { moved } = decoder.decode(e.data as ArrayBuffer);
    // The snapshot on connect is not a change: only the frames after it count.
    if (first) return void (first = false);
    counts.transformBytes += wsFrameBytes(size);
    counts.transforms += moved.length;
    counts.frames++;
  };
  return { ws, counts, opened: new Promise((r) => (ws.onopen = r)) };
}

/** A scripts folder of the moving world under `root/name`, and a free port for its viewer. */
async function caseFolder(root: string, name: string): Promise<{ scripts: string; port: number }> {
  const scripts = join(root, name, "scripts");
  await Deno.mkdir(scripts, { recursive: true });
  await writeMovingBoxes(scripts, ENTITIES);
  return { scripts, port: chooseViewerPort(0) };
}

async function runCase(root: string, viewer: boolean, realPage = false) {
  const { scripts, port } = await caseFolder(root, `${viewer}_${realPage}`);
  const clients: ReturnType<typeof client>[] = [];
  // A real page in headless Chromium too: it renders the world as it moves.
  const browser = realPage ? await launchBrowser() : null;
  let page: Promise<unknown> | null = null;
  const report = await runWorld({
    scriptsDir: scripts,
    ticks: TICKS,
    hz: 60,
    fresh: true,
    quiet: true,
    watch: false,
    viewer,
    port,
    onEvent: (e) => {
      // Clients connect once the viewer serves.
      if (viewer && e.type === "log" && e.script === "viewer" && /serving/.test(e.text)) {
        for (let i = 0; i < CLIENTS; i++) clients.push(client(port));
        page = browser?.newPage({ viewport: { width: 800, height: 600 } })
          .then((p) => p.goto(`http://127.0.0.1:${port}/`)) ?? null;
      }
    },
  });
  for (const c of clients) c.ws.close();
  await page;
  await browser?.close();
  return { report, clients };
}

/** Tick start → a client holding that tick's transforms, ms, for each tick a frame carried. */
async function latency(root: string): Promise<number[]> {
  const { scripts, port } = await caseFolder(root, "latency");
  await using live = await liveViewerWorld(scripts, port);
  await live.start();
  await new Promise((r) => setTimeout(r, 500));
  const started = new Map<number, number>();
  const out: number[] = [];
  const decoder = new TransformDecoder();
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  ws.binaryType = "arraybuffer";
  ws.onmessage = (e) => {
    if (typeof e.data === "string") return;
    const { tick } = decoder.decode(e.data as ArrayBuffer);
    const at = started.get(tick);
    if (at !== undefined) out.push(performance.now() - at);
  };
  await new Promise((r) => (ws.onopen = r));
  for (let i = 0; i < TICKS; i++) {
    const begin = performance.now();
    started.set(live.coordinator.tick + 1, begin);
    await live.step();
    const wait = begin + 1000 / 60 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  ws.close();
  return out;
}

if (import.meta.main) {
  const root = await Deno.makeTempDir({ prefix: "syncra_viewer_bench_" });
  try {
    const without = await runCase(root, false);
    const withViewer = await runCase(root, true);
    const withPage = await runCase(root, true, true);
    const c = withViewer.clients[0]!.counts;
    const perTransform = c.transformBytes / Math.max(1, c.transforms);
    const tickRatio = withViewer.report.tickMs.p50 / without.report.tickMs.p50;
    const pageRatio = withPage.report.tickMs.p50 / without.report.tickMs.p50;
    const lag = stats(await latency(root));
    const rows = {
      bytesPerChangedTransform: Math.round(perTransform * 100) / 100,
      changedTransforms: c.transforms,
      transformFrames: c.frames,
      bytesPerTickPerClient: Math.round(c.allBytes / TICKS),
      tickP50NoViewerMs: without.report.tickMs.p50,
      tickP50ViewerAnd10ClientsMs: withViewer.report.tickMs.p50,
      tickRatio: Math.round(tickRatio * 100) / 100,
      tickP50ViewerClientsAndPageMs: withPage.report.tickMs.p50,
      tickRatioWithPage: Math.round(pageRatio * 100) / 100,
      latencyMs: { p50: lag.p50, p99: lag.p99, n: lag.n },
      targets: { bytesPerChangedTransform: 8, tickRatio: 1.1, latencyMs: 1000 / 60 + 5 },
    };
    console.log(
      `| bytes per changed Transform | ${rows.bytesPerChangedTransform} B (${c.transforms} ` +
        `changes in ${c.frames} frames) | ≤ 8 B | ${perTransform <= 8 ? "pass" : "MISS"} |`,
    );
    console.log(
      `| tick p50, viewer + ${CLIENTS} clients vs none | ${rows.tickP50ViewerAnd10ClientsMs} ms vs ` +
        `${rows.tickP50NoViewerMs} ms (${rows.tickRatio}×) | ≤ 1.1× | ${
          tickRatio <= 1.1 ? "pass" : "MISS"
        } |`,
    );
    console.log(
      `| tick p50, viewer + ${CLIENTS} clients + a real page vs none | ` +
        `${rows.tickP50ViewerClientsAndPageMs} ms vs ${rows.tickP50NoViewerMs} ms ` +
        `(${rows.tickRatioWithPage}×) | ≤ 1.1× | ${pageRatio <= 1.1 ? "pass" : "MISS"} |`,
    );
    console.log(
      `| tick start → client holds it | p50 ${lag.p50.toFixed(1)} ms, p99 ${
        lag.p99.toFixed(1)
      } ms ` +
        `(${lag.n} ticks) | ≤ 21.7 ms | ${lag.p50 <= 1000 / 60 + 5 ? "pass" : "MISS"} (p50) |`,
    );
    if (!Deno.args.includes("--no-json")) {
      await Deno.writeTextFile(
        new URL("./viewer_results.json", import.meta.url),
        JSON.stringify({ date: new Date().toISOString(), ...rows }, null, 2) + "\n",
      );
    }
  } finally {
    await stopBundler();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

/**
 * `deno task bench` (the viewer's page): frames per second of the page in
 * headless Chromium on this machine's software GPU, with 1 000 and 10 000
 * moving boxes (instanced), on WebGL 2 and on WebGPU (SwiftShader,
 * presenting through Vulkan on Mesa's lavapipe, where installed), and what a
 * frame costs: placing every entity in JavaScript (blend and matrices) and
 * the renderer's call.
 *
 * Writes `bench/viewer_page_results.json` (unless `--no-json`).
 *
 * @module
 */
import { join } from "node:path";
import { chooseViewerPort } from "../runtime/app/mod.ts";
import { stopBundler } from "../sandbox/bundle/mod.ts";
import { liveViewerWorld, writeMovingBoxes } from "./_moving_boxes.ts";
import { launchBrowser, vulkanMissing, WEBGPU_ON_VULKAN } from "../tests/browser/_browser.ts";

const COUNTS = [1000, 10_000];
/** Seconds of frames counted per case, after two seconds to settle. */
const SAMPLE_S = 4;

type PageStats = { fps: number; frameMs: { update: number; render: number }; renderer: string };

async function measure(root: string, count: number, flags: readonly string[]) {
  const folder = join(root, `${count}_${flags.length}`);
  const scripts = join(folder, "scripts");
  await Deno.mkdir(scripts, { recursive: true });
  await writeMovingBoxes(scripts, count);
  // Ten thousand boxes in one init is more than a script may spawn by default.
  await Deno.writeTextFile(
    join(folder, "syncra.json"),
    JSON.stringify({ limits: { "scene.ts": { initSpawns: count + 100, heapMb: 256 } } }),
  );
  const port = chooseViewerPort(0);
  await using live = await liveViewerWorld(scripts, port);
  await live.start();
  let stopped = false;
  const ticking = (async () => {
    while (!stopped) {
      const begin = performance.now();
      await live.step();
      const wait = begin + 1000 / 60 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  await using browser = await launchBrowser(flags);
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(
    (n) =>
      (globalThis as unknown as { syncra?: { entityCount: number } }).syncra?.entityCount! >= n,
    count,
    { timeout: 60_000 },
  );
  await page.waitForTimeout(2000);
  const samples: PageStats[] = [];
  for (let i = 0; i < SAMPLE_S; i++) {
    await page.waitForTimeout(1000);
    samples.push(
      await page.evaluate(() => {
        const s = (globalThis as unknown as { syncra: PageStats }).syncra;
        return { fps: s.fps, frameMs: s.frameMs, renderer: s.renderer };
      }),
    );
  }
  stopped = true;
  await ticking;
  const mean = (f: (s: PageStats) => number) =>
    Math.round((samples.reduce((a, s) => a + f(s), 0) / samples.length) * 10) / 10;
  return {
    entities: count,
    renderer: samples.at(-1)!.renderer,
    fps: mean((s) => s.fps),
    updateMs: mean((s) => s.frameMs.update),
    renderMs: mean((s) => s.frameMs.render),
  };
}

if (import.meta.main) {
  const root = await Deno.makeTempDir({ prefix: "syncra_page_bench_" });
  const configs: (readonly string[])[] = [[]];
  if (vulkanMissing() === null) configs.push(WEBGPU_ON_VULKAN);
  else console.log(`(WebGPU skipped: ${vulkanMissing()})`);
  try {
    const rows = [];
    console.log("| renderer | moving boxes | frames/s | place entities (JS) | render call |");
    console.log("| -------- | -----------: | -------: | ------------------: | ----------: |");
    for (const flags of configs) {
      for (const count of COUNTS) {
        const row = await measure(root, count, flags);
        rows.push(row);
        console.log(
          `| ${row.renderer} | ${count} | ${row.fps} | ${row.updateMs} ms | ${row.renderMs} ms |`,
        );
      }
    }
    if (!Deno.args.includes("--no-json")) {
      await Deno.writeTextFile(
        new URL("./viewer_page_results.json", import.meta.url),
        JSON.stringify({ date: new Date().toISOString(), rows }, null, 2) + "\n",
      );
    }
  } finally {
    await stopBundler();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

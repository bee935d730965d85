/**
 * The viewer shows what the native renderer sees: in a world running both,
 * the renderer's frames travel its `frames` port to the viewer, which relays
 * the latest to every page; the page shows it in a corner (a real browser, a
 * real renderer on Deno's WebGPU in its own jailed child).
 */
import assert from "node:assert/strict";
import { makeScripts } from "../_world.ts";
import { browserMissing, collectErrors, launchBrowser, startViewerWorld } from "./_browser.ts";

const missing = browserMissing();
const gpu = (navigator as { gpu?: GPU }).gpu;
if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", "/tmp");
const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;

const SCENE = `
import { Camera, defineSystem, Material, Mesh, Transform } from "@syncra/std";
export default defineSystem({
  writes: [Transform, Mesh, Material, Camera], spawns: true,
  init(ctx) {
    ctx.spawn({ Transform: {}, Mesh: { shape: 0 }, Material: { color: [0, 0, 0], emissive: [1, 0, 0] } });
    ctx.spawn({ Transform: { position: [0, 0, 5] }, Camera: {} });
  },
  run() {},
});`;

type Native = { frames: number; from: string; size: { width: number; height: number } };

Deno.test({
  name: "the page shows the renderer driver's latest frame, relayed by the viewer from its port",
  ignore: missing !== null || !adapter,
  async fn() {
    await using folder = await makeScripts({ "scene.ts": SCENE });
    const { live, port } = await startViewerWorld(folder, {
      renderer: { frames: null, width: 160, height: 120, rate: 5, batching: "instanced" },
    });
    try {
      await using browser = await launchBrowser();
      const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
      const errors = collectErrors(page);
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(
        () => {
          const n = (globalThis as unknown as { syncra?: { native: Native } }).syncra?.native;
          return n !== undefined && n.frames >= 2 && n.size.width > 0;
        },
        null,
        { timeout: 30_000 },
      );
      const native = await page.evaluate(() => {
        const n = (globalThis as unknown as { syncra: { native: Native } }).syncra.native;
        return { frames: n.frames, from: n.from, size: n.size };
      });
      assert.equal(native.from, "renderer");
      assert.deepEqual(native.size, { width: 160, height: 120 });
      assert.equal(await page.isVisible("#native-view img"), true);
      // The red cube is in the middle of the picture the page shows (decoded by the browser).
      // (Page code as a string: this file is type-checked without the DOM's types.)
      const centre = await page.evaluate(`(() => {
        const img = document.querySelector("#native-view img");
        const canvas = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
        const context = canvas.getContext("2d");
        context.drawImage(img, 0, 0);
        return [...context.getImageData(80, 60, 1, 1).data.slice(0, 3)];
      })()`);
      assert.deepEqual(centre, [255, 0, 0]);
      assert.deepEqual(errors, []);
    } finally {
      await live.stop();
    }
  },
});

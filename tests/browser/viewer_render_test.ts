/**
 * What the viewer's page draws, in pixels, on both of its renderers: the
 * WebGPURenderer on WebGPU (Chromium's SwiftShader adapter, with
 * --enable-unsafe-webgpu) and on its WebGL 2 fallback (without). A red box
 * and a green glTF model sit in front of the page's camera; each must cover
 * the expected place on screen in its colour, a model that cannot load is
 * drawn as its shape and reported, a moving box moves, and a click on the box
 * selects it in the inspector.
 */
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { join } from "node:path";
import { makeScripts } from "../_world.ts";
import type { Page } from "playwright-core";
import {
  browserMissing,
  captureView,
  collectErrors,
  dominated,
  launchBrowser,
  MOVER,
  pixelsAt,
  startViewerWorld,
  vulkanMissing,
  WEBGPU,
  WEBGPU_ON_VULKAN,
} from "./_browser.ts";
import { gltfModel } from "./_gltf.ts";

const missing = browserMissing();

// The page's player starts at (0, 1.6, 6) looking down -z: both objects are 4 m ahead of it.
const SCENE = `
import { defineSystem, Light, LightKind, Material, Mesh, MeshShape, Transform, Velocity } from "@syncra/std";
export default defineSystem({
  writes: [Transform, Mesh, Material, Light, Velocity], spawns: true,
  init(ctx) {
    ctx.spawn({ Transform: { position: [0.9, 1.6, 2] }, Mesh: { shape: MeshShape.Box },
      Material: { color: [1, 0, 0], emissive: [1, 0, 0] } });
    ctx.spawn({ Transform: { position: [-0.9, 1.6, 2] }, Mesh: { asset: "models/green.gltf" } });
    ctx.spawn({ Transform: { position: [0, 3.4, 2] }, Mesh: { shape: MeshShape.Box, asset: "models/missing.glb" },
      Material: { color: [0, 0, 1], emissive: [0, 0, 1] } });
    ctx.spawn({ Transform: { position: [-3, 0.5, 0] }, Mesh: { shape: MeshShape.Sphere },
      Material: { color: [1, 1, 0] }, Velocity: { linear: [1.2, 0, 0] } });
    ctx.spawn({ Light: { kind: LightKind.Ambient, intensity: 1 } });
  },
});`;

type Syncra = {
  connected: boolean;
  entityCount: number;
  renderer: string;
  startedOn: string;
  deviceLost: string | null;
  selected: number;
  models: { loaded: number; failed: Record<string, string> };
  entity(id: number): Record<string, Record<string, unknown>> | null;
};

/** Where the objects are in the 480 × 600 view, as fractions of its width and height. */
const PLACES = {
  // 4 m ahead the view is ±1.85 m wide and ±2.31 m high: x ±0.9 m is at 123 and 357 px.
  red: [357 / 480, 0.5],
  green: [123 / 480, 0.5],
  sky: [0.5, 130 / 600],
  blue: [0.5, 30 / 600],
} as const;

/** RGB at each of PLACES. */
type Colours = Record<string, readonly number[]>;

/** Checks the colours at PLACES, as read by `colours` (x, y fractions → RGB). */
function assertScene(
  colours: Colours,
  how: string,
): void {
  const [red, green, sky, blue] = [colours.red!, colours.green!, colours.sky!, colours.blue!];
  assert.ok(dominated(red, 0), `${how}: the red box is drawn red at its place: ${red}`);
  assert.ok(dominated(green, 1), `${how}: the glTF model is drawn green at its place: ${green}`);
  assert.ok(!dominated(sky, 0) && !dominated(sky, 1), `${how}: between them is the sky: ${sky}`);
  assert.ok(dominated(blue, 2), `${how}: the model that cannot load is drawn as its box: ${blue}`);
}

/** The colours at PLACES in a screenshot of the page's canvas. */
async function fromScreenshot(page: Page): Promise<Colours> {
  const shot = await page.locator("canvas").screenshot();
  const names = Object.keys(PLACES) as (keyof typeof PLACES)[];
  const rgb = await pixelsAt(
    page,
    shot,
    names.map((n) => [PLACES[n][0] * 480, PLACES[n][1] * 600]),
  );
  return Object.fromEntries(names.map((n, i) => [n, rgb[i]!]));
}

/** The colours at PLACES in what the renderer drew (syncra.capture). */
async function fromCapture(page: Page): Promise<Colours> {
  const view = await captureView(page);
  const names = Object.keys(PLACES) as (keyof typeof PLACES)[];
  return Object.fromEntries(
    names.map((n) => [n, view.at(PLACES[n][0] * view.width, PLACES[n][1] * view.height)]),
  );
}

/** Console errors but the browser's own line for the model that is missing on purpose. */
const unexpected = (errors: string[]) =>
  errors.filter((e) => !/^Failed to load resource: .* 404 \(Not Found\)$/.test(e));

/** A world with the scene, and a page on it in a browser launched with `flags`. */
async function openScene(flags: readonly string[]) {
  const folder = await makeScripts({ "scene.ts": SCENE, "mover.ts": MOVER });
  await Deno.mkdir(join(folder.root, "assets", "models"), { recursive: true });
  await Deno.writeTextFile(
    join(folder.root, "assets", "models", "green.gltf"),
    gltfModel([{
      shape: "box",
      at: [0, 0, 0],
      size: [1, 1, 1],
      color: [0, 1, 0],
      emissive: [0, 1, 0],
    }]),
  );
  const { live, port } = await startViewerWorld(folder);
  const browser = await launchBrowser(flags);
  // The view is 480 × 600 beside the 320-pixel inspector.
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  const errors = collectErrors(page);
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(
    () => {
      const s = (globalThis as unknown as { syncra?: Syncra }).syncra;
      return s?.connected && s.entityCount >= 6 && s.models.loaded === 1 &&
        Object.keys(s.models.failed).length === 1;
    },
    null,
    { timeout: 20_000 },
  );
  const syncra = () =>
    page.evaluate(() => {
      const s = (globalThis as unknown as { syncra: Syncra }).syncra;
      return {
        renderer: s.renderer,
        startedOn: s.startedOn,
        deviceLost: s.deviceLost,
        failed: Object.keys(s.models.failed),
      };
    });
  assert.deepEqual((await syncra()).failed, ["models/missing.glb"]);
  await page.waitForTimeout(400);
  return {
    page,
    errors,
    syncra,
    async [Symbol.asyncDispose]() {
      await browser.close();
      await live.stop();
      await folder[Symbol.asyncDispose]();
    },
  };
}

Deno.test({
  name: "on WebGL 2 (no WebGPU adapter) the page draws the scene in the right places and colours",
  ignore: missing !== null,
  async fn() {
    await using scene = await openScene([]);
    const { page, errors } = scene;
    assert.deepEqual(await scene.syncra(), {
      renderer: "webgl2",
      startedOn: "webgl2",
      deviceLost: null,
      failed: ["models/missing.glb"],
    });
    assertScene(await fromScreenshot(page), "on screen");
    assertScene(await fromCapture(page), "as the renderer drew it");

    // The sphere moves: the picture changes.
    const canvas = page.locator("canvas");
    const before = await canvas.screenshot();
    let after = before;
    for (const until = performance.now() + 15_000; performance.now() < until;) {
      await page.waitForTimeout(500);
      after = await canvas.screenshot();
      if (!isDeepStrictEqual(after, before)) break;
    }
    assert.notDeepEqual(after, before, "the picture changed as the sphere moved");

    // A click on the red box selects it.
    await canvas.click({ position: { x: 357, y: 300 } });
    const selected = await page.evaluate(() => {
      const s = (globalThis as unknown as { syncra: Syncra }).syncra;
      return s.entity(s.selected);
    });
    assert.deepEqual(selected?.Material?.color, [1, 0, 0], "the click selected the red box");
    assert.match(await page.locator("#details").innerText(), /^Material\n {2}color: \[1, 0, 0\]$/m);
    assert.deepEqual(unexpected(errors), [], "no console errors");
  },
});

Deno.test({
  name:
    "on WebGPU (SwiftShader, presenting through Vulkan) the page draws the scene in the right places and colours",
  ignore: missing !== null || vulkanMissing() !== null,
  async fn() {
    await using scene = await openScene(WEBGPU_ON_VULKAN);
    const { page, errors } = scene;
    assert.deepEqual(await scene.syncra(), {
      renderer: "webgpu",
      startedOn: "webgpu",
      deviceLost: null,
      failed: ["models/missing.glb"],
    });
    assertScene(await fromCapture(page), "as WebGPU drew it");
    // The sphere moves: what WebGPU draws changes. SwiftShader on a loaded machine may draw a
    // frame a second or less, so the change is waited for (up to 15 s), not timed.
    const before = await captureView(page);
    let after = before;
    for (const until = performance.now() + 15_000; performance.now() < until;) {
      await page.waitForTimeout(500);
      after = await captureView(page);
      if (!isDeepStrictEqual(after.rgba, before.rgba)) break;
    }
    assert.notDeepEqual(after.rgba, before.rgba, "the picture changed as the sphere moved");
    assert.deepEqual(unexpected(errors), [], "no console errors");
  },
});

Deno.test({
  name: "when the WebGPU device is lost the page goes on drawing with WebGL 2",
  ignore: missing !== null,
  async fn() {
    // Headless, SwiftShader's WebGPU device cannot present to a canvas and is lost at once.
    await using scene = await openScene(WEBGPU);
    const { page, errors } = scene;
    await page.waitForFunction(
      () => (globalThis as unknown as { syncra: Syncra }).syncra.renderer === "webgl2",
      null,
      { timeout: 15_000 },
    ).catch(async (error) => {
      const text = await page.locator("#status").innerText();
      throw new Error(`${JSON.stringify(await scene.syncra())} ${text} ${errors}`, {
        cause: error,
      });
    });
    const state = await scene.syncra();
    assert.equal(state.startedOn, "webgpu");
    assert.equal(typeof state.deviceLost, "string", "the page says why the device was lost");
    await page.waitForTimeout(300);
    assertScene(await fromScreenshot(page), "on screen after the loss");
    // The dead device's renderer throws until the WebGL 2 one takes over: say what, once each.
    console.log(`device lost: ${state.deviceLost}; meanwhile: ${[...new Set(errors)].join(" | ")}`);
  },
});

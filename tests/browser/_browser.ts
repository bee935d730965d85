/**
 * A real browser for the viewer's tests: Debian's chromium driven by
 * playwright-core, headless. Where chromium is missing a test skips, saying
 * why — except in CI (SYNCRA_CI=1), where it fails.
 *
 * @module
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
// Only its path is needed (its browser build goes into the page); the import makes Deno fetch it.
import "iwer";
import { IN_CI, type LiveWorld, startLiveWorld, type TestFolder } from "../_world.ts";
import { chooseViewerPort, type WorldOptions } from "../../runtime/app/mod.ts";

const CHROMIUM = "/usr/bin/chromium";

/** A script that moves every entity with a Velocity along it: the tests' moving things. */
export const MOVER = `
import { defineSystem, Transform, Velocity } from "@syncra/std";
export default defineSystem({ reads: [Velocity], writes: [Transform], run(ctx) {
  const v = ctx.read(Velocity).linear, p = ctx.write(Transform).position;
  for (let i = 0; i < ctx.count * 3; i++) p[i] += v[i] * ctx.dt;
} });`;

/** Why no browser can run here, or null when one can. */
export function browserMissing(): string | null {
  try {
    Deno.statSync(CHROMIUM);
    return null;
  } catch {
    const why = `${CHROMIUM} is missing (Debian package "chromium")`;
    if (IN_CI) throw new Error(`CI needs a browser: ${why}`);
    return why;
  }
}

/**
 * Chromium's flags for WebGPU on its SwiftShader adapter. Headless, such a
 * device cannot present to a canvas (Chromium finds no shared-image backing
 * for the swap chain) and is lost at the first frame.
 */
export const WEBGPU = ["--enable-unsafe-webgpu"];

/**
 * WebGPU that survives presenting, headless: ANGLE on Vulkan (Mesa's
 * lavapipe, Debian "mesa-vulkan-drivers"). The compositor still shows none
 * of it in a screenshot, so tests read what the renderer drew back from it.
 */
export const WEBGPU_ON_VULKAN = [
  ...WEBGPU,
  "--use-angle=vulkan",
  "--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan",
];

/** Why WebGPU on Vulkan cannot run here, or null (in CI its absence is a failure). */
export function vulkanMissing(): string | null {
  try {
    Deno.statSync("/usr/share/vulkan/icd.d/lvp_icd.x86_64.json");
    return null;
  } catch {
    const why = `Mesa's lavapipe is missing (Debian package "mesa-vulkan-drivers")`;
    if (IN_CI) throw new Error(`CI needs it: ${why}`);
    return why;
  }
}

/** A headless chromium with extra `flags` (such as {@linkcode WEBGPU}). */
export async function launchBrowser(
  flags: readonly string[] = [],
): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", ...flags],
  });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}

/** Console errors and page errors of `page`, as they happen. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

/** A free loopback port (closed again: the viewer takes it). */
export function freePort(): number {
  return chooseViewerPort(0);
}

/** A world over `folder` with the viewer on a free port, once the viewer serves. */
export async function startViewerWorld(
  folder: TestFolder,
  options: Partial<WorldOptions> = {},
): Promise<{ live: LiveWorld; port: number }> {
  const port = freePort();
  const live = startLiveWorld(folder, { viewer: true, port, watch: false, hz: 30, ...options });
  await live.started;
  await live.waitFor((e) => e.type === "log" && e.script === "viewer" && /serving/.test(e.text));
  return { live, port };
}

/**
 * The colours (0–255 RGB) of a screenshot at `points` (x, y in its pixels),
 * each averaged over a 5×5 square: decoded by the browser itself.
 */
export function pixelsAt(
  page: Page,
  png: Uint8Array,
  points: readonly (readonly [number, number])[],
): Promise<[number, number, number][]> {
  let binary = "";
  for (const b of png) binary += String.fromCharCode(b);
  return page.evaluate(async ({ data, points }) => {
    const bitmap = await createImageBitmap(await (await fetch(data)).blob());
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    // (Deno's types have no 2D context: this runs in the browser.)
    const context = canvas.getContext("2d") as unknown as {
      drawImage(image: unknown, x: number, y: number): void;
      getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
    };
    context.drawImage(bitmap, 0, 0);
    return points.map(([x, y]) => {
      const { data } = context.getImageData(x - 2, y - 2, 5, 5);
      const sum = [0, 0, 0];
      for (let i = 0; i < data.length; i += 4) for (let k = 0; k < 3; k++) sum[k]! += data[i + k]!;
      return sum.map((v) => Math.round(v / 25)) as [number, number, number];
    });
  }, { data: `data:image/png;base64,${btoa(binary)}`, points });
}

/**
 * Holds W for `ms` and returns the page's own player's z before and after
 * (player.ts walks it forward, toward -z, looking straight ahead).
 */
export async function walkForward(
  page: Page,
  ms = 800,
): Promise<{ before: number; after: number }> {
  const z = () =>
    page.evaluate(() => {
      const s = (globalThis as unknown as {
        syncra: {
          player: number;
          entity(id: number): Record<string, Record<string, unknown>> | null;
        };
      }).syncra;
      return (s.entity(s.player)!.Transform!.position as number[])[2]!;
    });
  const before = await z();
  await page.keyboard.down("KeyW");
  await page.waitForTimeout(ms);
  await page.keyboard.up("KeyW");
  await page.waitForTimeout(300);
  return { before, after: await z() };
}

/** What the page's renderer drew (`syncra.capture`), decoded: RGBA rows, top first. */
export async function captureView(
  page: Page,
  width = 320,
): Promise<
  { width: number; height: number; rgba: Uint8Array; at(x: number, y: number): number[] }
> {
  const shot = await page.evaluate(
    (width) =>
      (globalThis as unknown as {
        syncra: { capture(w: number): Promise<{ width: number; height: number; rgba: string }> };
      }).syncra.capture(width),
    width,
  );
  const bytes = Uint8Array.from(atob(shot.rgba), (c) => c.charCodeAt(0));
  return {
    width: shot.width,
    height: shot.height,
    rgba: bytes,
    at(x, y) {
      const i = (Math.round(y) * shot.width + Math.round(x)) * 4;
      return [bytes[i]!, bytes[i + 1]!, bytes[i + 2]!];
    },
  };
}

/** Whether `rgb` is mostly the colour of channel `k` (0 red, 1 green, 2 blue). */
export function dominated(rgb: readonly number[], k: 0 | 1 | 2): boolean {
  return rgb.every((v, i) => i === k || rgb[k]! > v + 60);
}

/**
 * Emulates a Meta Quest 3 in `page` with npm iwer (its UMD build, loaded
 * before the page's own scripts): `navigator.xr` then supports
 * "immersive-vr", and `globalThis.xrDevice` moves the headset and
 * controllers.
 */
export async function emulateHeadset(page: Page): Promise<void> {
  const main = fileURLToPath(import.meta.resolve("iwer"));
  const umd = join(main.slice(0, main.lastIndexOf("/lib/")), "build", "iwer.min.js");
  await page.addInitScript({ content: await Deno.readTextFile(umd) });
  await page.addInitScript(() => {
    const iwer = (globalThis as unknown as {
      IWER: {
        XRDevice: new (config: unknown) => { installRuntime(options: unknown): void };
        metaQuest3: unknown;
      };
    }).IWER;
    const device = new iwer.XRDevice(iwer.metaQuest3);
    // Chromium has a navigator.xr of its own (with no headset): replace it.
    device.installRuntime({ forceInstall: true });
    (globalThis as unknown as { xrDevice: unknown }).xrDevice = device;
  });
}

/// <reference lib="dom" />
// Which three.js renderer draws the page. A browser that can enter VR gets the WebGLRenderer,
// whose WebXR path three.js supports best today; every other browser gets the WebGPURenderer,
// on WebGPU where the browser offers an adapter and on its own WebGL 2 backend where not.
import * as THREE from "three";
import { WebGPURenderer } from "three/webgpu";
import { type XRFrame, type XRReferenceSpace, type XRSession, xrSystem } from "./webxr_types.ts";

/** What draws the page: "webgpu", "webgl2" (WebGPURenderer's fallback) or "webxr". */
export type Backend = "webgpu" | "webgl2" | "webxr";

/** The part of both renderers the page uses. */
export interface PageRenderer {
  readonly domElement: HTMLCanvasElement;
  readonly xr: {
    enabled: boolean;
    isPresenting: boolean;
    setReferenceSpaceType(type: string): void;
    getReferenceSpace(): XRReferenceSpace | null;
    setSession(session: XRSession): Promise<void>;
  };
  setPixelRatio(ratio: number): void;
  setSize(width: number, height: number, updateStyle?: boolean): void;
  setAnimationLoop(loop: ((time: number, frame?: XRFrame) => void) | null): void;
  render(scene: THREE.Scene, camera: THREE.Camera): void;
  setRenderTarget(target: THREE.RenderTarget | null): void;
  dispose(): void;
}

/** A renderer and what it runs on; `drawCalls` counts the last frame's. */
export interface ChosenRenderer {
  renderer: PageRenderer;
  backend: Backend;
  drawCalls(): number;
  /** Draws `camera`'s view offscreen at `width` × `height`: RGBA rows, top first (linear colour). */
  capture(
    scene: THREE.Scene,
    camera: THREE.PerspectiveCamera,
    width: number,
    height: number,
  ): Promise<Uint8Array>;
}

/** Rows of `width` RGBA pixels from `pixels` (each `stride` bytes), top row first. */
function rowsTopFirst(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  bottomFirst: boolean,
): Uint8Array {
  const stride = Math.floor(pixels.length / height);
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const from = (bottomFirst ? height - 1 - y : y) * stride;
    for (let i = 0; i < width * 4; i++) out[y * width * 4 + i] = pixels[from + i]!;
  }
  return out;
}

/** Whether the browser can enter immersive VR (a headset, or an emulated one). */
async function vrSupported(): Promise<boolean> {
  const xr = xrSystem();
  if (!xr) return false;
  // A browser that never answers is taken as "no" after a second.
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000));
  return await Promise.race([xr.isSessionSupported("immersive-vr").catch(() => false), timeout]);
}

/** Picks and starts the renderer for this browser; `onLost` hears if its GPU device is lost. */
export async function chooseRenderer(onLost: (why: string) => void): Promise<ChosenRenderer> {
  if (await vrSupported()) {
    const renderer = new THREE.WebGLRenderer({ antialias: true });
    renderer.xr.enabled = true;
    // The tracking origin is the eyes where the session began: the Player's Transform.
    renderer.xr.setReferenceSpaceType("local");
    return {
      renderer: renderer as unknown as PageRenderer,
      backend: "webxr",
      drawCalls: () => renderer.info.render.calls,
      capture(scene, camera, width, height) {
        const target = new THREE.WebGLRenderTarget(width, height);
        renderer.setRenderTarget(target);
        renderer.render(scene, camera);
        const pixels = new Uint8Array(width * height * 4);
        renderer.readRenderTargetPixels(target, 0, 0, width, height, pixels);
        renderer.setRenderTarget(null);
        target.dispose();
        return Promise.resolve(rowsTopFirst(pixels, width, height, true));
      },
    };
  }
  return await webGpuRenderer(false, onLost);
}

/**
 * The WebGPURenderer: on WebGPU unless `forceWebGL` or the browser has no
 * adapter (then three runs it on its WebGL 2 backend). `onLost` hears when
 * the GPU device is lost, with why.
 */
export async function webGpuRenderer(
  forceWebGL: boolean,
  onLost: (why: string) => void = () => {},
): Promise<ChosenRenderer> {
  const renderer = new WebGPURenderer({ antialias: true, forceWebGL });
  // Three's own handler only logs; the page replaces the renderer instead.
  (renderer as unknown as { onDeviceLost: (info: { message: string }) => void }).onDeviceLost = (
    info,
  ) => onLost(info.message);
  await renderer.init();
  const backend = renderer.backend as {
    isWebGPUBackend?: boolean;
    device?: { lost: Promise<{ reason: string; message: string }> };
  };
  // Three ignores a loss it calls "destroyed"; a page must not, or it would draw nothing.
  backend.device?.lost.then((info) => {
    if (info.reason === "destroyed") onLost(info.message || "the device was destroyed");
  });
  const onWebGPU = backend.isWebGPUBackend === true;
  return {
    renderer: renderer as unknown as PageRenderer,
    backend: onWebGPU ? "webgpu" : "webgl2",
    drawCalls: () => renderer.info.render.drawCalls,
    async capture(scene, camera, width, height) {
      const target = new THREE.RenderTarget(width, height);
      renderer.setRenderTarget(target);
      renderer.render(scene, camera);
      renderer.setRenderTarget(null);
      const pixels = await renderer.readRenderTargetPixelsAsync(target, 0, 0, width, height);
      target.dispose();
      // WebGPU reads rows top first; WebGL 2 bottom first.
      return rowsTopFirst(pixels as ArrayLike<number>, width, height, !onWebGPU);
    },
  };
}

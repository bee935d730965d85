/**
 * Drawing a three.js scene offscreen with `WebGPURenderer` on Deno's own
 * WebGPU, and reading the pixels back: RGBA, rows top first, sRGB-encoded
 * as a PNG's are (the render target is `rgba8unorm-srgb`, so the GPU
 * encodes the renderer's linear colours as it writes them).
 *
 * @module
 */
import * as THREE from "three/webgpu";
import { headlessCanvas, installHeadlessShims } from "./headless_shims.ts";

/** A renderer that draws frames of one size into memory. */
export class OffscreenRenderer {
  readonly width: number;
  readonly height: number;
  /** What draws: the adapter's description (llvmpipe is Mesa's CPU rasterizer). */
  readonly adapter: string;
  readonly #renderer: THREE.WebGPURenderer;
  readonly #target: THREE.RenderTarget;

  private constructor(
    renderer: THREE.WebGPURenderer,
    width: number,
    height: number,
    adapter: string,
  ) {
    this.#renderer = renderer;
    this.width = width;
    this.height = height;
    this.adapter = adapter;
    this.#target = new THREE.RenderTarget(width, height, { depthBuffer: true });
    this.#target.texture.colorSpace = THREE.SRGBColorSpace;
    renderer.setRenderTarget(this.#target);
  }

  /**
   * A renderer on this process's WebGPU adapter; rejects with a sentence
   * saying why there is none (no `navigator.gpu`, no adapter, a backend
   * that fails).
   */
  static async open(width: number, height: number): Promise<OffscreenRenderer> {
    const gpu = (navigator as { gpu?: GPU }).gpu;
    if (!gpu) throw new Error("this process has no WebGPU (navigator.gpu is missing)");
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error("no WebGPU adapter on this machine");
    installHeadlessShims();
    const renderer = new THREE.WebGPURenderer({
      canvas: headlessCanvas(width, height) as unknown as THREE.WebGPURendererParameters["canvas"],
      antialias: false,
    });
    renderer.setSize(width, height, false);
    await renderer.init();
    if (!(renderer.backend as { isWebGPUBackend?: boolean }).isWebGPUBackend) {
      throw new Error("three.js fell back from WebGPU to WebGL, which Deno does not have");
    }
    const info = adapter.info;
    return new OffscreenRenderer(renderer, width, height, info.description || info.vendor || "GPU");
  }

  /** The draw calls of the last frame. */
  drawCalls = 0;

  /** Draws `camera`'s view of `scene`; resolves with its pixels (RGBA, rows top first). */
  async draw(scene: THREE.Scene, camera: THREE.Camera): Promise<Uint8Array> {
    // Counted now: three's animation loop (on the shimmed clock) resets its counters each frame.
    this.#renderer.info.reset();
    this.#renderer.render(scene, camera);
    this.drawCalls = this.#renderer.info.render.drawCalls;
    const pixels = await this.#renderer.readRenderTargetPixelsAsync(
      this.#target,
      0,
      0,
      this.width,
      this.height,
    ) as Uint8Array;
    // Rows may come back padded to WebGPU's 256-byte row alignment.
    const row = this.width * 4;
    const stride = Math.floor(pixels.length / this.height);
    if (stride === row) {
      return pixels.length === row * this.height ? pixels : pixels.slice(0, row * this.height);
    }
    const out = new Uint8Array(row * this.height);
    for (let y = 0; y < this.height; y++) {
      out.set(pixels.subarray(y * stride, y * stride + row), y * row);
    }
    return out;
  }

  dispose(): void {
    this.#target.dispose();
    this.#renderer.dispose();
  }
}

/**
 * What three.js's `WebGPURenderer` expects of a browser and Deno lacks,
 * kept in this one file: an animation-frame clock (three's render loop and
 * some of its timers call `requestAnimationFrame`) and a canvas with a
 * `style` (three sets its size there). Nothing is drawn to the canvas: the
 * renderer draws into a render target and reads the pixels back
 * (offscreen.ts), so the canvas never needs a context.
 *
 * @module
 */

/** A frame every 1/60 s, as a display would give one. */
const FRAME_MS = 1000 / 60;

/** Installs `requestAnimationFrame` and `cancelAnimationFrame` where they are missing. */
export function installHeadlessShims(): void {
  const g = globalThis as unknown as Record<string, unknown>;
  g.requestAnimationFrame ??= (callback: (time: number) => void) =>
    setTimeout(() => callback(performance.now()), FRAME_MS);
  g.cancelAnimationFrame ??= (id: number) => clearTimeout(id);
}

/** The canvas three.js is given: a size and an inert style and event target, no context. */
export function headlessCanvas(width: number, height: number): HTMLCanvasElementLike {
  return {
    width,
    height,
    style: {},
    addEventListener() {},
    removeEventListener() {},
    getContext: () => null,
  };
}

/** The part of a canvas three.js touches when it draws into render targets only. */
export interface HTMLCanvasElementLike {
  width: number;
  height: number;
  style: Record<string, string>;
  addEventListener(): void;
  removeEventListener(): void;
  getContext(): null;
}

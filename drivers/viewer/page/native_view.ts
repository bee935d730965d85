/// <reference lib="dom" />
// What the native renderer (drivers/renderer) sees, when the world runs one: its latest frame,
// relayed by the viewer from the renderer's `frames` port, in a corner of the view. Clicking the
// picture makes it larger or smaller again.

/** The renderer's frames as the page shows them. */
export class NativeView {
  readonly #figure: HTMLElement;
  readonly #image: HTMLImageElement;
  readonly #caption: HTMLElement;
  /** Frames shown since the page connected. */
  frames = 0;
  /** The driver that drew the last one. */
  from = "";

  constructor(figure: HTMLElement) {
    this.#figure = figure;
    this.#image = figure.querySelector("img")!;
    this.#caption = figure.querySelector("figcaption")!;
    this.#image.onclick = () => figure.classList.toggle("large");
  }

  /** The last frame's size in pixels (0 × 0 before the first has loaded). */
  get size(): { width: number; height: number } {
    return { width: this.#image.naturalWidth, height: this.#image.naturalHeight };
  }

  /** Shows a frame: a PNG, base64, drawn by driver `from` at world tick `tick`. */
  show(from: string, png: string, tick: number): void {
    this.frames++;
    this.from = from;
    this.#image.src = `data:image/png;base64,${png}`;
    this.#caption.textContent = `${from} · tick ${tick}`;
    this.#figure.hidden = false;
  }
}

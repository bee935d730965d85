/**
 * The renderer's settings (its `ctx.config`, which the world fills from
 * `--frames`, `--frame-size`, `--frame-rate` and `--frame-batching`), checked
 * with errors that name the setting.
 *
 * @module
 */

/** How meshes are grouped into draw calls. */
export type Batching = "instanced" | "batched";

/** What the renderer draws and where its frames go. */
export interface RendererSettings {
  /** Absolute folder the PNG frames are written to, or null (frames go only to its port). */
  frames: string | null;
  /** The world's assets folder (glTF models), absolute, or null: models drawn as their shapes. */
  assets: string | null;
  width: number;
  height: number;
  /** Frames a second, at most (one per feed at most). */
  rate: number;
  batching: Batching;
}

/** The defaults: a small frame, ten a second, instanced meshes (the viewer's way). */
export const DEFAULT_RENDERER_SETTINGS: Readonly<RendererSettings> = Object.freeze({
  frames: null,
  assets: null,
  width: 320,
  height: 240,
  rate: 10,
  batching: "instanced",
});

const MAX_SIDE = 4096;

/** The settings in `config`, defaults for what it leaves out; throws naming a bad one. */
export function rendererSettings(config: Readonly<Record<string, unknown>>): RendererSettings {
  const s = { ...DEFAULT_RENDERER_SETTINGS, ...config } as Record<string, unknown>;
  const side = (key: "width" | "height") => {
    const v = s[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_SIDE) {
      throw new RangeError(
        `renderer setting "${key}" must be a whole number of pixels, 1 to ${MAX_SIDE}`,
      );
    }
    return v;
  };
  if (s.frames !== null && (typeof s.frames !== "string" || !s.frames.startsWith("/"))) {
    throw new TypeError(`renderer setting "frames" must be an absolute folder or null`);
  }
  if (s.assets !== null && (typeof s.assets !== "string" || !s.assets.startsWith("/"))) {
    throw new TypeError(`renderer setting "assets" must be an absolute folder or null`);
  }
  if (typeof s.rate !== "number" || !(s.rate > 0 && s.rate <= 240)) {
    throw new RangeError(
      `renderer setting "rate" must be frames a second, above 0 and at most 240`,
    );
  }
  if (s.batching !== "instanced" && s.batching !== "batched") {
    throw new TypeError(`renderer setting "batching" must be "instanced" or "batched"`);
  }
  return {
    frames: s.frames as string | null,
    assets: s.assets as string | null,
    width: side("width"),
    height: side("height"),
    rate: s.rate,
    batching: s.batching,
  };
}

/**
 * The clips the audio driver plays, loaded from the world's assets folder by
 * the path an `AudioSource.asset` names, decoded and resampled to the mix
 * rate once, and kept for every source that plays them. An asset that
 * cannot load is remembered with its reason (a source playing it is silent)
 * and tried again after a while, so a file added or fixed later is picked up.
 *
 * @module
 */
import { readWav } from "./wav_reader.ts";
import { resampleLinear } from "./resample.ts";

/** How long a failed asset is left alone before it is tried again. */
const RETRY_MS = 10_000;

/** A clip's state: loaded samples, or why it is not. */
type Entry = { samples: Float32Array } | { error: string; at: number };

/** Why an asset path is not one plain path below the assets folder, or null. */
export function assetPathProblem(asset: string): string | null {
  if (asset.includes("\0") || asset.includes("\\")) return "it holds a NUL or a backslash";
  if (asset.startsWith("/")) return "it is absolute: name it relative to the assets folder";
  const parts = asset.split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) {
    return `it has an empty, "." or ".." part`;
  }
  if (parts.some((p) => p.startsWith("."))) return "it names a hidden file";
  return null;
}

/** Clips by asset path, at `rate` Hz. */
export class ClipLibrary {
  readonly #assets: string;
  readonly #rate: number;
  readonly #entries = new Map<string, Entry>();

  /** `assets` is the folder's absolute path ("" when the world has none). */
  constructor(assets: string, rate: number) {
    this.#assets = assets.replace(/\/+$/, "");
    this.#rate = rate;
  }

  /** The clip's samples, or null if it is not loaded (yet, or at all). */
  get(asset: string): Float32Array | null {
    const entry = this.#entries.get(asset);
    return entry && "samples" in entry ? entry.samples : null;
  }

  /**
   * Loads `asset` unless it is loaded or failed recently. Resolves to null
   * once loaded (or when there is nothing to do), or to why it failed, the
   * first time it fails with that reason.
   */
  async load(asset: string): Promise<string | null> {
    const entry = this.#entries.get(asset);
    if (entry && ("samples" in entry || performance.now() - entry.at < RETRY_MS)) return null;
    const error = await this.#read(asset).then(
      (samples) => (this.#entries.set(asset, { samples }), null),
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    if (error === null) return null;
    const told = entry && "error" in entry && entry.error === error;
    this.#entries.set(asset, { error, at: performance.now() });
    return told ? null : error;
  }

  async #read(asset: string): Promise<Float32Array> {
    const problem = assetPathProblem(asset);
    if (problem) throw new TypeError(`Cannot load asset "${asset}": ${problem}`);
    if (this.#assets === "") {
      throw new TypeError(`Cannot load asset "${asset}": the world has no assets folder`);
    }
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(`${this.#assets}/${asset}`);
    } catch (error) {
      const why = error instanceof Deno.errors.NotFound ? "no such file" : String(error);
      throw new Error(`Cannot load asset "${asset}" from ${this.#assets}: ${why}`);
    }
    try {
      const clip = readWav(bytes);
      return resampleLinear(clip.samples, clip.sampleRate, this.#rate);
    } catch (error) {
      throw new Error(`Cannot load asset "${asset}": ${(error as Error).message}`);
    }
  }
}

/// <reference lib="dom" />
// glTF models (std Mesh's `asset`): each file under the world's assets/ is fetched and parsed
// once, and every entity that shows it gets its own copy, placed each frame like an instance.
// A model that cannot load is reported once and its entities are drawn as their primitive shape.
// The native renderer (drivers/renderer) uses it too, reading the files itself.
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";

/** The URL of an asset path, each segment escaped ("../" cannot climb: the server refuses it). */
export function assetUrl(asset: string): string {
  return `assets/${asset.split("/").map(encodeURIComponent).join("/")}`;
}

/** The bytes of an asset, and the URL its relative resources (a .gltf's .bin) resolve against. */
export type AssetReader = (asset: string) => Promise<{ bytes: ArrayBuffer; base: string }>;

/** The page's way: over HTTP from the viewer, which serves assets/ read-only. */
async function fetchAsset(asset: string): Promise<{ bytes: ArrayBuffer; base: string }> {
  const url = assetUrl(asset);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return { bytes: await response.arrayBuffer(), base: url.slice(0, url.lastIndexOf("/") + 1) };
}

/** The models of the scene, by entity. */
export class Models {
  readonly #scene: THREE.Scene;
  readonly #read: AssetReader;
  readonly #loader = new GLTFLoader();
  readonly #files = new Map<string, Promise<THREE.Object3D | null>>();
  readonly #shown = new Map<number, { asset: string; object: THREE.Object3D | null }>();
  readonly #size = new THREE.Vector3();
  /** Why assets failed to load, by asset path. */
  readonly failures = new Map<string, string>();
  /** Called once for each asset that cannot load. */
  onFailure: (asset: string, why: string) => void = () => {};

  constructor(scene: THREE.Scene, read: AssetReader = fetchAsset) {
    this.#scene = scene;
    this.#read = read;
  }

  #load(asset: string): Promise<THREE.Object3D | null> {
    const known = this.#files.get(asset);
    if (known) return known;
    const file = this.#read(asset).then(({ bytes, base }) => this.#loader.parseAsync(bytes, base))
      .then(
        (gltf: { scene: THREE.Object3D }) => gltf.scene,
        (error: unknown) => {
          const why = error instanceof Error ? error.message : String(error);
          this.failures.set(asset, why);
          this.onFailure(asset, why);
          return null;
        },
      );
    this.#files.set(asset, file);
    return file;
  }

  /** Whether `id` is drawn as a model (or waits for one). */
  has(id: number): boolean {
    return this.#shown.has(id);
  }

  /** Whether `asset` failed to load (its entities fall back to their shape). */
  failed(asset: string): boolean {
    return this.failures.has(asset);
  }

  /** How many entities show a loaded model now. */
  get loaded(): number {
    let n = 0;
    for (const shown of this.#shown.values()) if (shown.object) n++;
    return n;
  }

  /** Shows `asset` for `id` (replacing what it showed). */
  set(id: number, asset: string): void {
    if (this.#shown.get(id)?.asset === asset) return;
    this.remove(id);
    const shown: { asset: string; object: THREE.Object3D | null } = { asset, object: null };
    this.#shown.set(id, shown);
    this.#load(asset).then((model) => {
      if (!model || this.#shown.get(id) !== shown) return;
      shown.object = model.clone(true);
      shown.object.matrixAutoUpdate = false;
      this.#scene.add(shown.object);
    });
  }

  remove(id: number): void {
    const shown = this.#shown.get(id);
    if (shown?.object) this.#scene.remove(shown.object);
    this.#shown.delete(id);
  }

  /** Places `id`'s model at `world`, scaled by the Mesh's `size`. */
  setMatrix(id: number, world: THREE.Matrix4, size: readonly number[]): void {
    const object = this.#shown.get(id)?.object;
    if (!object) return;
    this.#size.set(size[0] ?? 1, size[1] ?? 1, size[2] ?? 1);
    object.matrix.copy(world).scale(this.#size);
    object.matrixWorldNeedsUpdate = true;
  }
}

/**
 * The renderer's three.js scene, kept from the viewer's mirror of the world
 * (viewer/mirror.ts): a mesh per entity with a Mesh (instanced or batched,
 * or its glTF model), a light per Light, and the camera at the active
 * Camera entity — drawn as the viewer's page draws them (its instances, its
 * models, its light kinds, its background), under their Parent chains.
 *
 * @module
 */
import * as THREE from "three/webgpu";
import type { Mirror, MirrorDelta, PlainComponent } from "../viewer/mirror.ts";
import { InstancedBatches } from "../viewer/page/instances.ts";
import { type AssetReader, Models } from "../viewer/page/models.ts";
import { BatchedMeshes } from "./batched_meshes.ts";
import type { Batching } from "./renderer_settings.ts";

export type { Batching };

/** Where the camera is when the world has no active Camera: the viewer's new player's place. */
const DEFAULT_EYE: readonly [number, number, number] = [0, 1.6, 6];
/** Parents deeper than this (or a cycle) are ignored rather than followed forever. */
const MAX_DEPTH = 16;

/** What both kinds of batches offer. */
interface Batches {
  set(id: number, mesh: PlainComponent, material: PlainComponent | undefined): void;
  remove(id: number): void;
  setMatrix(id: number, matrix: THREE.Matrix4): void;
  has(id: number): boolean;
}

/** A light of the page's kinds (std LightKind: directional, point, ambient, spot). */
function makeLight(l: PlainComponent): THREE.Light {
  const c = (l.color as number[]) ?? [1, 1, 1];
  const color = new THREE.Color(c[0], c[1], c[2]);
  const intensity = Number(l.intensity ?? 1);
  switch (l.kind) {
    case 1:
      return new THREE.PointLight(color, intensity, Number(l.range) || 0);
    case 2:
      return new THREE.AmbientLight(color, intensity);
    case 3:
      return new THREE.SpotLight(color, intensity, Number(l.range) || 0);
    default:
      return new THREE.DirectionalLight(color, intensity);
  }
}

/** The scene of one renderer. */
export class NativeScene {
  readonly scene = new THREE.Scene();
  readonly camera: THREE.PerspectiveCamera;
  readonly #batches: Batches;
  readonly #models: Models | null;
  readonly #lights = new Map<number, THREE.Light>();
  readonly #lenses = new Set<number>();
  readonly #matrix = new THREE.Matrix4();
  readonly #p = new THREE.Vector3();
  readonly #q = new THREE.Quaternion();
  readonly #s = new THREE.Vector3();

  /**
   * `readAsset` reads the world's assets (glTF models); without it a Mesh
   * with an asset is drawn as its shape. `onModelFailure` hears, once per
   * asset, why one cannot load (it is drawn as its shape from then on).
   */
  constructor(
    aspect: number,
    batching: Batching,
    readAsset: AssetReader | null = null,
    onModelFailure: (asset: string, why: string) => void = () => {},
  ) {
    this.scene.background = new THREE.Color(0x9fb4c8);
    this.camera = new THREE.PerspectiveCamera(60, aspect, 0.1, 1000);
    this.#batches = batching === "batched"
      ? new BatchedMeshes(this.scene)
      : new InstancedBatches(this.scene);
    this.#models = readAsset ? new Models(this.scene, readAsset) : null;
    if (this.#models) {
      this.#models.onFailure = (asset, why) => {
        onModelFailure(asset, why);
        this.#failed.add(asset);
      };
    }
  }

  /** Assets that failed to load since the last {@linkcode apply}: their entities are rebuilt. */
  readonly #failed = new Set<string>();

  /** Follows what one feed changed: new and changed entities rebuilt, gone ones dropped. */
  apply(mirror: Mirror, delta: MirrorDelta): void {
    for (const id of delta.gone) this.#drop(id);
    const touched = new Set<number>(delta.removed.map(([id]) => id));
    for (const id of Object.keys(delta.set)) touched.add(Number(id));
    if (this.#failed.size > 0) {
      for (const [id, c] of mirror) if (this.#failed.has(String(c.Mesh?.asset))) touched.add(id);
      this.#failed.clear();
    }
    for (const id of touched) {
      const components = mirror.get(id);
      if (components) this.#rebuild(id, components);
      else this.#drop(id);
    }
  }

  /** Puts every mesh, light and the camera at its entity's place in the world. */
  place(mirror: Mirror): void {
    for (const [id, components] of mirror) {
      const light = this.#lights.get(id);
      const model = this.#models?.has(id) ?? false;
      if (!light && !model && !this.#batches.has(id)) continue;
      this.#worldMatrix(mirror, id, components, this.#matrix, 0);
      if (light) this.#matrix.decompose(light.position, light.quaternion, light.scale);
      else if (model) {
        this.#models!.setMatrix(id, this.#matrix, (components.Mesh?.size as number[]) ?? [1, 1, 1]);
      } else this.#batches.setMatrix(id, this.#matrix);
    }
    const lens = this.activeLens(mirror);
    if (lens !== null) {
      const camera = mirror.get(lens)!.Camera!;
      this.#worldMatrix(mirror, lens, mirror.get(lens)!, this.#matrix, 0);
      this.#matrix.decompose(this.#p, this.#q, this.#s);
      this.camera.position.copy(this.#p);
      this.camera.quaternion.copy(this.#q);
      this.camera.fov = Number(camera.fov ?? 60);
      this.camera.near = Number(camera.near ?? 0.1);
      this.camera.far = Number(camera.far ?? 1000);
    } else {
      this.camera.position.set(...DEFAULT_EYE);
      this.camera.quaternion.identity();
      this.camera.fov = 60;
    }
    this.camera.updateProjectionMatrix();
    this.camera.updateMatrixWorld();
  }

  /** The active Camera entity with the lowest id, or null (the camera stays at the default eye). */
  activeLens(mirror: Mirror): number | null {
    let best: number | null = null;
    for (const id of this.#lenses) {
      if (mirror.get(id)?.Camera?.active !== false && (best === null || id < best)) best = id;
    }
    return best;
  }

  #rebuild(id: number, c: Record<string, PlainComponent>): void {
    const asset = typeof c.Mesh?.asset === "string" ? c.Mesh.asset : "";
    if (c.Mesh && asset !== "" && this.#models && !this.#models.failed(asset)) {
      this.#models.set(id, asset);
      this.#batches.remove(id);
    } else {
      this.#models?.remove(id);
      if (c.Mesh) this.#batches.set(id, c.Mesh, c.Material);
      else this.#batches.remove(id);
    }
    if (c.Camera) this.#lenses.add(id);
    else this.#lenses.delete(id);
    const light = this.#lights.get(id);
    if (light && (!c.Light || c.Mesh || light.userData.kind !== c.Light.kind)) {
      this.#removeLight(id);
    }
    if (c.Light && !c.Mesh) {
      const current = this.#lights.get(id);
      if (current) {
        const color = (c.Light.color as number[]) ?? [1, 1, 1];
        current.color.setRGB(color[0]!, color[1]!, color[2]!);
        current.intensity = Number(c.Light.intensity ?? 1);
      } else {
        const made = makeLight(c.Light);
        made.userData.kind = c.Light.kind;
        this.#lights.set(id, made);
        this.scene.add(made);
      }
    }
  }

  #removeLight(id: number): void {
    const light = this.#lights.get(id);
    if (!light) return;
    this.scene.remove(light);
    light.dispose();
    this.#lights.delete(id);
  }

  #drop(id: number): void {
    this.#batches.remove(id);
    this.#models?.remove(id);
    this.#lenses.delete(id);
    this.#removeLight(id);
  }

  /** An entity's transform under its parents', into `out`. */
  #worldMatrix(
    mirror: Mirror,
    id: number,
    c: Record<string, PlainComponent>,
    out: THREE.Matrix4,
    depth: number,
  ): THREE.Matrix4 {
    const t = c.Transform;
    if (t) {
      const p = t.position as number[], r = t.rotation as number[], s = t.scale as number[];
      out.compose(
        this.#p.set(p[0]!, p[1]!, p[2]!),
        this.#q.set(r[0]!, r[1]!, r[2]!, r[3]!),
        this.#s.set(s[0]!, s[1]!, s[2]!),
      );
    } else out.identity();
    const parent = c.Parent?.entity as number | undefined;
    const above = parent ? mirror.get(parent) : undefined;
    if (above && parent !== id && depth < MAX_DEPTH) {
      out.premultiply(this.#worldMatrix(mirror, parent!, above, new THREE.Matrix4(), depth + 1));
    }
    return out;
  }
}

/**
 * Entities drawn through `BatchedMesh`: one per material (roughness,
 * metalness, emissive), holding every shape and size of that material as
 * its own geometry, with a colour per instance — different shapes in one
 * draw call, where `InstancedMesh` (viewer/page/instances.ts, the viewer's
 * way) needs one per shape and size. It has the same methods, so the
 * renderer takes either (`--frame-batching`).
 *
 * @module
 */
import * as THREE from "three/webgpu";
import { lookMaterial, meshGeometry, meshLook } from "../viewer/page/instances.ts";

type Plain = Record<string, number | boolean | string | number[]>;

/** Room a new batch starts with; it doubles when full. */
const INSTANCES = 256;
const VERTICES = 4096;

interface Batch {
  mesh: THREE.BatchedMesh;
  /** Geometry id by shape and size. */
  geometries: Map<string, number>;
  vertices: number;
  indices: number;
}

/** The batches of a scene, and which instance of which each entity is. */
export class BatchedMeshes {
  readonly #scene: THREE.Scene;
  readonly #batches = new Map<string, Batch>();
  readonly #where = new Map<number, { key: string; geometry: string; instance: number }>();
  readonly #color = new THREE.Color();

  constructor(scene: THREE.Scene) {
    this.#scene = scene;
  }

  /** Puts `id` in the batch of its material, as an instance of its shape and size. */
  set(id: number, mesh: Plain, material: Plain | undefined): void {
    const look = meshLook(mesh, material);
    const { shape, size } = look;
    const key = `${look.roughness}|${look.metalness}|${look.emissive.join(",")}`;
    const geometryKey = `${shape}|${size.join(",")}`;
    const at = this.#where.get(id);
    if (at && (at.key !== key || at.geometry !== geometryKey)) this.remove(id);
    const batch = this.#batch(key, () => lookMaterial(look));
    let instance = this.#where.get(id)?.instance;
    if (instance === undefined) {
      const geometry = this.#geometry(batch, geometryKey, shape, size);
      if (batch.mesh.instanceCount >= batch.mesh.maxInstanceCount) {
        batch.mesh.setInstanceCount(batch.mesh.maxInstanceCount * 2);
      }
      const added = batch.mesh.addInstance(geometry);
      this.#where.set(id, { key, geometry: geometryKey, instance: added });
      instance = added;
    }
    const [r, g, b] = look.color;
    batch.mesh.setColorAt(instance, this.#color.setRGB(r!, g!, b!));
  }

  /** Takes `id` out of its batch. */
  remove(id: number): void {
    const at = this.#where.get(id);
    if (!at) return;
    this.#where.delete(id);
    const batch = this.#batches.get(at.key)!;
    batch.mesh.deleteInstance(at.instance);
    if (batch.mesh.instanceCount === 0) {
      this.#scene.remove(batch.mesh);
      batch.mesh.dispose();
      (batch.mesh.material as THREE.Material).dispose();
      this.#batches.delete(at.key);
    }
  }

  /** Places `id`'s instance. */
  setMatrix(id: number, matrix: THREE.Matrix4): void {
    const at = this.#where.get(id);
    if (at) this.#batches.get(at.key)!.mesh.setMatrixAt(at.instance, matrix);
  }

  has(id: number): boolean {
    return this.#where.has(id);
  }

  #batch(key: string, material: () => THREE.Material): Batch {
    let batch = this.#batches.get(key);
    if (batch) return batch;
    const mesh = new THREE.BatchedMesh(INSTANCES, VERTICES, VERTICES * 2, material());
    // Instances move anywhere: bounds are not worth recomputing every frame.
    mesh.frustumCulled = false;
    mesh.perObjectFrustumCulled = false;
    mesh.sortObjects = false;
    batch = { mesh, geometries: new Map(), vertices: 0, indices: 0 };
    this.#batches.set(key, batch);
    this.#scene.add(mesh);
    return batch;
  }

  #geometry(batch: Batch, key: string, shape: number, size: number[]): number {
    const known = batch.geometries.get(key);
    if (known !== undefined) return known;
    const geometry = meshGeometry(shape, size);
    const vertices = geometry.getAttribute("position").count;
    const indices = geometry.getIndex()?.count ?? vertices;
    const mesh = batch.mesh;
    if (
      batch.vertices + vertices > mesh.maxVertexCount ||
      batch.indices + indices > mesh.maxIndexCount
    ) {
      mesh.setGeometrySize(
        Math.max(mesh.maxVertexCount * 2, batch.vertices + vertices),
        Math.max(mesh.maxIndexCount * 2, batch.indices + indices),
      );
    }
    const id = mesh.addGeometry(geometry);
    batch.vertices += vertices;
    batch.indices += indices;
    batch.geometries.set(key, id);
    geometry.dispose();
    return id;
  }
}

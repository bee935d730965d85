// Entities that share a mesh are drawn together: one InstancedMesh per shape, size and material
// (colors per instance), so a thousand boxes cost one draw call, not a thousand.
import * as THREE from "three";

type Plain = Record<string, number | boolean | string | number[]>;

const SHAPES = ["Box", "Sphere", "Plane", "Cylinder", "Cone"];

/** The geometry of a Mesh's shape at its size (shared with the native renderer's batches). */
export function meshGeometry(shape: number, size: number[]): THREE.BufferGeometry {
  const [x = 1, y = 1, z = 1] = size;
  switch (SHAPES[shape]) {
    case "Sphere":
      return new THREE.SphereGeometry(0.5, 32, 16).scale(x, y, z);
    case "Plane":
      return new THREE.PlaneGeometry(x, z).rotateX(-Math.PI / 2);
    case "Cylinder":
      return new THREE.CylinderGeometry(0.5 * x, 0.5 * x, y, 24);
    case "Cone":
      return new THREE.ConeGeometry(0.5 * x, y, 24);
    default:
      return new THREE.BoxGeometry(x, y, z);
  }
}

/** What of a Mesh and its Material decides how it is drawn, with the page's defaults. */
export interface MeshLook {
  shape: number;
  size: number[];
  roughness: number;
  metalness: number;
  emissive: number[];
  /** Per instance: the rest is shared by a batch. */
  color: number[];
}

/** The look of an entity's Mesh and Material (missing fields at their defaults). */
export function meshLook(mesh: Plain, material: Plain | undefined): MeshLook {
  return {
    shape: Number(mesh.shape ?? 0),
    size: (mesh.size as number[]) ?? [1, 1, 1],
    roughness: Number(material?.roughness ?? 0.5),
    metalness: Number(material?.metalness ?? 0),
    emissive: (material?.emissive as number[] | undefined) ?? [0, 0, 0],
    color: (material?.color as number[] | undefined) ?? [0.8, 0.8, 0.8],
  };
}

/** The material a batch of one look shares (its colour is set per instance). */
export function lookMaterial(look: MeshLook): THREE.MeshStandardMaterial {
  const [r, g, b] = look.emissive;
  return new THREE.MeshStandardMaterial({
    roughness: look.roughness,
    metalness: look.metalness,
    emissive: new THREE.Color(r, g, b),
  });
}

interface Batch {
  mesh: THREE.InstancedMesh;
  ids: number[];
}

/** The batches of the scene, and where each entity is in them. */
export class InstancedBatches {
  readonly #scene: THREE.Scene;
  readonly #batches = new Map<string, Batch>();
  readonly #where = new Map<number, { key: string; index: number }>();
  readonly #color = new THREE.Color();

  constructor(scene: THREE.Scene) {
    this.#scene = scene;
  }

  /** Puts `id` in the batch of its mesh and material (moving it if they changed). */
  set(id: number, mesh: Plain, material: Plain | undefined): void {
    const look = meshLook(mesh, material);
    const { shape, size, roughness, metalness, emissive } = look;
    const key = `${shape}|${size.join(",")}|${roughness}|${metalness}|${emissive.join(",")}`;
    const at = this.#where.get(id);
    if (at && at.key !== key) this.remove(id);
    let batch = this.#batches.get(key);
    if (!batch) {
      const m = lookMaterial(look);
      batch = { mesh: this.#mesh(meshGeometry(shape, size), m, 16), ids: [] };
      this.#batches.set(key, batch);
      this.#scene.add(batch.mesh);
    }
    let index = this.#where.get(id)?.index;
    if (index === undefined) {
      if (batch.ids.length === batch.mesh.count && batch.ids.length === this.#capacity(batch)) {
        this.#grow(batch);
      }
      index = batch.ids.length;
      batch.ids.push(id);
      batch.mesh.count = batch.ids.length;
      this.#where.set(id, { key, index });
    }
    const [r, g, b] = look.color;
    batch.mesh.setColorAt(index, this.#color.setRGB(r!, g!, b!));
    batch.mesh.instanceColor!.needsUpdate = true;
  }

  /** Takes `id` out of its batch (the last instance moves into its place). */
  remove(id: number): void {
    const at = this.#where.get(id);
    if (!at) return;
    this.#where.delete(id);
    const batch = this.#batches.get(at.key)!;
    const last = batch.ids.length - 1;
    if (at.index !== last) {
      const moved = batch.ids[last]!;
      batch.ids[at.index] = moved;
      const m = new THREE.Matrix4();
      batch.mesh.getMatrixAt(last, m);
      batch.mesh.setMatrixAt(at.index, m);
      batch.mesh.getColorAt(last, this.#color);
      batch.mesh.setColorAt(at.index, this.#color);
      this.#where.set(moved, { key: at.key, index: at.index });
    }
    batch.ids.pop();
    batch.mesh.count = batch.ids.length;
    batch.mesh.instanceMatrix.needsUpdate = true;
    if (batch.ids.length === 0) {
      this.#scene.remove(batch.mesh);
      batch.mesh.geometry.dispose();
      (batch.mesh.material as THREE.Material).dispose();
      batch.mesh.dispose();
      this.#batches.delete(at.key);
    }
  }

  /** Places `id`'s instance. */
  setMatrix(id: number, matrix: THREE.Matrix4): void {
    const at = this.#where.get(id);
    if (!at) return;
    const batch = this.#batches.get(at.key)!;
    batch.mesh.setMatrixAt(at.index, matrix);
    batch.mesh.instanceMatrix.needsUpdate = true;
  }

  has(id: number): boolean {
    return this.#where.has(id);
  }

  /** The nearest entity `ray` hits, or 0. */
  pick(ray: THREE.Raycaster): number {
    let best = Infinity, id = 0;
    for (const batch of this.#batches.values()) {
      // Instances move every frame: the bounds the raycast tests first are recomputed now.
      batch.mesh.boundingSphere = null;
      batch.mesh.boundingBox = null;
      const hit = ray.intersectObject(batch.mesh, false)[0];
      if (hit && hit.distance < best && hit.instanceId !== undefined) {
        best = hit.distance;
        id = batch.ids[hit.instanceId] ?? 0;
      }
    }
    return id;
  }

  #capacity(batch: Batch): number {
    return batch.mesh.instanceMatrix.count;
  }

  #mesh(g: THREE.BufferGeometry, m: THREE.Material, capacity: number): THREE.InstancedMesh {
    const mesh = new THREE.InstancedMesh(g, m, capacity);
    mesh.count = 0;
    // Instances move anywhere: bounds are not worth recomputing every frame.
    mesh.frustumCulled = false;
    mesh.setColorAt(0, this.#color.setRGB(1, 1, 1));
    return mesh;
  }

  /** Twice the room: a new InstancedMesh with the old instances copied over. */
  #grow(batch: Batch): void {
    const old = batch.mesh;
    const next = this.#mesh(
      old.geometry,
      old.material as THREE.Material,
      this.#capacity(batch) * 2,
    );
    const m = new THREE.Matrix4();
    for (let i = 0; i < batch.ids.length; i++) {
      old.getMatrixAt(i, m);
      next.setMatrixAt(i, m);
      old.getColorAt(i, this.#color);
      next.setColorAt(i, this.#color);
    }
    next.count = batch.ids.length;
    this.#scene.remove(old);
    old.dispose();
    this.#scene.add(next);
    batch.mesh = next;
  }
}

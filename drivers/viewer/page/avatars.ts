// Other pages' players, drawn as a head and, when a headset tracks them, two hands: where each
// player is (its Transform) and, in VR, where its headset and controllers are relative to that.
import * as THREE from "three";
import { PlayerTracked } from "../../../std/builtins.ts";

type Plain = Record<string, number | boolean | string | number[]>;

interface Avatar {
  root: THREE.Group;
  head: THREE.Mesh;
  left: THREE.Mesh;
  right: THREE.Mesh;
}

const HEAD = new THREE.SphereGeometry(0.15, 20, 12);
const HAND = new THREE.BoxGeometry(0.08, 0.04, 0.14);
const SKIN = new THREE.MeshStandardMaterial({ color: 0xf0c8a0, roughness: 0.6 });

function place(object: THREE.Object3D, position: unknown, rotation: unknown): void {
  const p = position as number[] | undefined, r = rotation as number[] | undefined;
  if (p) object.position.set(p[0] ?? 0, p[1] ?? 0, p[2] ?? 0);
  if (r) object.quaternion.set(r[0] ?? 0, r[1] ?? 0, r[2] ?? 0, r[3] ?? 1);
}

/** The avatars of the scene, by player entity. */
export class Avatars {
  readonly #scene: THREE.Scene;
  readonly #avatars = new Map<number, Avatar>();

  constructor(scene: THREE.Scene) {
    this.#scene = scene;
  }

  has(id: number): boolean {
    return this.#avatars.has(id);
  }

  set(id: number): void {
    if (this.#avatars.has(id)) return;
    const root = new THREE.Group();
    const avatar = {
      root,
      head: new THREE.Mesh(HEAD, SKIN),
      left: new THREE.Mesh(HAND, SKIN),
      right: new THREE.Mesh(HAND, SKIN),
    };
    root.add(avatar.head, avatar.left, avatar.right);
    this.#avatars.set(id, avatar);
    this.#scene.add(root);
  }

  remove(id: number): void {
    const avatar = this.#avatars.get(id);
    if (avatar) this.#scene.remove(avatar.root);
    this.#avatars.delete(id);
  }

  /** Places `id`'s avatar at `world` (its Transform), its head and hands from `player`. */
  update(id: number, world: THREE.Matrix4, player: Plain): void {
    const avatar = this.#avatars.get(id);
    if (!avatar) return;
    world.decompose(avatar.root.position, avatar.root.quaternion, avatar.root.scale);
    const tracked = Number(player.tracked ?? 0);
    avatar.head.position.set(0, 0, 0);
    if (tracked & PlayerTracked.Head) place(avatar.head, player.headPosition, player.headRotation);
    avatar.left.visible = (tracked & PlayerTracked.Left) !== 0;
    avatar.right.visible = (tracked & PlayerTracked.Right) !== 0;
    place(avatar.left, player.leftPosition, player.leftRotation);
    place(avatar.right, player.rightPosition, player.rightRotation);
  }
}

/// <reference lib="dom" />
// Where the page looks from. "player": at this page's Player, turned by its look (the default once
// the world gave the page a player). "camera": the world's active Camera entity, with its field of
// view. "orbit": three's orbit controls around what the page looked at, for looking a scene over.
// V (or the button on the view) goes to the next; VR always looks from the player.
import * as THREE from "three";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";

export type ViewMode = "player" | "camera" | "orbit";
const MODES: readonly ViewMode[] = ["player", "camera", "orbit"];

/** A pose to look from: position, rotation (or yaw and pitch), field of view. */
export interface Eye {
  p: THREE.Vector3;
  q?: THREE.Quaternion;
  yaw?: number;
  pitch?: number;
  fov?: number;
}

const UP = new THREE.Vector3(0, 1, 0);

/** The camera on its rig, and the mode that places it. */
export class ViewRig {
  readonly rig = new THREE.Group();
  readonly camera = new THREE.PerspectiveCamera(60, 1, 0.1, 1000);
  readonly #orbit: OrbitControls;
  #mode: ViewMode = "player";
  /** Called when the mode changes (the page shows it). */
  onChange: (mode: ViewMode) => void = () => {};

  constructor(scene: THREE.Scene, element: HTMLElement) {
    this.rig.add(this.camera);
    this.rig.position.set(0, 3, 9);
    scene.add(this.rig);
    this.#orbit = new OrbitControls(this.camera, element);
    this.#orbit.enabled = false;
  }

  get mode(): ViewMode {
    return this.#mode;
  }

  /** Whether a drag on the view is the orbit's (not the player's look). */
  get orbiting(): boolean {
    return this.#mode === "orbit";
  }

  /** Goes to `mode` (or the next one). */
  set(mode: ViewMode = MODES[(MODES.indexOf(this.#mode) + 1) % MODES.length]!): void {
    if (mode === this.#mode) return;
    if (mode === "orbit") {
      // Orbit from where the camera is now, around the point 8 m ahead of it.
      const eye = this.camera.getWorldPosition(new THREE.Vector3());
      const ahead = this.camera.getWorldDirection(new THREE.Vector3()).multiplyScalar(8).add(eye);
      this.rig.position.set(0, 0, 0);
      this.rig.quaternion.identity();
      this.camera.position.copy(eye);
      this.#orbit.target.copy(ahead);
      this.#orbit.update();
    }
    this.#orbit.enabled = mode === "orbit";
    this.#mode = mode;
    this.onChange(mode);
  }

  /** Places the camera for this frame: from the player, the world's camera, or the orbit. */
  update(player: Eye | null, worldCamera: Eye | null, presenting: boolean): void {
    const mode = presenting ? "player" : this.#mode;
    if (mode === "orbit") {
      this.#orbit.update();
      return;
    }
    // No player yet (or no world camera): the other one, if there is one.
    const eye = mode === "camera" ? worldCamera ?? player : player ?? worldCamera;
    if (!eye) return;
    this.rig.position.copy(eye.p);
    if (eye.q) {
      this.rig.quaternion.copy(eye.q);
      if (!presenting) this.camera.rotation.set(0, 0, 0);
    } else {
      this.rig.quaternion.setFromAxisAngle(UP, eye.yaw ?? 0);
      if (!presenting) this.camera.rotation.set(eye.pitch ?? 0, 0, 0);
    }
    if (!presenting) this.camera.position.set(0, 0, 0);
    const fov = eye.fov ?? 60;
    if (this.camera.fov !== fov) {
      this.camera.fov = fov;
      this.camera.updateProjectionMatrix();
    }
  }
}

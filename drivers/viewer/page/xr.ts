/// <reference lib="dom" />
// "Enter VR": an immersive WebXR session on the WebGL renderer. Each frame it reads the headset's
// and the controllers' poses (relative to the tracking origin, which the page keeps at its
// Player's Transform) for the Player component, and the controllers' sticks and buttons for
// Input: the left stick walks where the head faces, the right stick turns.
import type { PageRenderer } from "./renderer.ts";
import { deadZone, type InputValues, type PageControls, STICK_TURN, unit } from "./controls.ts";
import { InputButton } from "../../../std/builtins.ts";
import type { XRFrame, XRRigidTransform, XRSession } from "./webxr_types.ts";
import { xrSystem } from "./webxr_types.ts";

/** A pose: position x, y, z and rotation quaternion x, y, z, w. */
export type Pose = [number, number, number, number, number, number, number];

/** What one XR frame tracked; a pose is null when it was not tracked. */
export interface TrackedPoses {
  head: Pose | null;
  left: Pose | null;
  right: Pose | null;
}

function poseOf(transform: XRRigidTransform): Pose {
  const p = transform.position, q = transform.orientation;
  return [p.x, p.y, p.z, q.x, q.y, q.z, q.w];
}

/** The yaw of a rotation quaternion (radians about up). */
function yawOf(q: Pose): number {
  const [, , , x, y, z, w] = q;
  return Math.atan2(2 * (w * y + x * z), 1 - 2 * (y * y + x * x));
}

/** The page's VR session, if one is running. */
export class VrSession {
  readonly #renderer: PageRenderer;
  #session: XRSession | null = null;

  constructor(renderer: PageRenderer) {
    this.#renderer = renderer;
  }

  get presenting(): boolean {
    return this.#session !== null;
  }

  /** Starts an immersive session (from a click: browsers need a user's gesture). */
  async enter(): Promise<void> {
    if (this.#session) return;
    const xr = xrSystem();
    if (!xr) throw new Error("this browser has no WebXR");
    const session = await xr.requestSession("immersive-vr", {
      optionalFeatures: ["local-floor", "bounded-floor"],
    });
    session.addEventListener("end", () => (this.#session = null));
    await this.#renderer.xr.setSession(session);
    this.#session = session;
  }

  async exit(): Promise<void> {
    await this.#session?.end();
  }

  /** The poses of `frame`, relative to the tracking origin; null outside a session. */
  poses(frame: XRFrame | undefined): TrackedPoses | null {
    const space = this.#renderer.xr.getReferenceSpace();
    if (!this.#session || !frame || !space) return null;
    const viewer = frame.getViewerPose(space);
    const out: TrackedPoses = {
      head: viewer ? poseOf(viewer.transform) : null,
      left: null,
      right: null,
    };
    for (const source of this.#session.inputSources) {
      if (!source.gripSpace || (source.handedness !== "left" && source.handedness !== "right")) {
        continue;
      }
      const pose = frame.getPose(source.gripSpace, space);
      if (pose) out[source.handedness] = poseOf(pose.transform);
    }
    return out;
  }

  /**
   * Input from the controllers: the left stick walks relative to where the
   * head faces (Input.move is in the player's frame), the right stick turns
   * the player, the triggers, grips and face buttons set Input.buttons.
   */
  input(poses: TrackedPoses, controls: PageControls, dt: number): InputValues {
    let x = 0, z = 0, buttons = 0;
    for (const source of this.#session?.inputSources ?? []) {
      const pad = source.gamepad;
      if (!pad) continue;
      // xr-standard: thumbstick axes 2/3; trigger 0, squeeze 1, A/X 4, B/Y 5.
      const sx = deadZone(pad.axes[2]), sy = deadZone(pad.axes[3]);
      if (source.handedness === "right") controls.turn(-sx * STICK_TURN * dt, 0);
      else {
        x += sx;
        z += sy;
      }
      if (pad.buttons[0]?.pressed) buttons |= InputButton.Primary;
      if (pad.buttons[4]?.pressed) buttons |= InputButton.Secondary;
      if (pad.buttons[1]?.pressed) buttons |= InputButton.Grip;
      if (pad.buttons[5]?.pressed) buttons |= InputButton.Menu;
    }
    const yaw = poses.head ? yawOf(poses.head) : 0;
    const c = Math.cos(yaw), s = Math.sin(yaw);
    return {
      move: [unit(x * c + z * s), 0, unit(-x * s + z * c)],
      look: [controls.look.yaw, 0, 0],
      buttons,
    };
  }
}

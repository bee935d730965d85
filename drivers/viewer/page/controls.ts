/// <reference lib="dom" />
// The page's own controls become its Player's Input (std Input): the keyboard and a gamepad's
// left stick move, dragging the view or the right stick looks around. The page turns its view
// at once (the look is the page's own) and tells the world where it looks, so that scripts walk
// the player the way it faces.

import { InputButton } from "../../../std/builtins.ts";

/** Where the page looks, in radians: yaw about up (left positive), pitch about right. */
export interface Look {
  yaw: number;
  pitch: number;
}

/** Radians per pixel of drag. */
const DRAG_SPEED = 0.005;
/** Radians per second at a stick's full tilt. */
export const STICK_TURN = 2.2;
/** Sticks inside this tilt are at rest (they rarely read exactly zero). */
const DEAD_ZONE = 0.15;
const MAX_PITCH = Math.PI / 2 - 0.01;

/** A stick's axis, 0 inside the dead zone. */
export const deadZone = (v: number | undefined): number =>
  v === undefined || Math.abs(v) < DEAD_ZONE ? 0 : v;

/** `v` within -1..1. */
export const unit = (v: number): number => Math.max(-1, Math.min(1, v));

/** What the page sends as its Player's Input. */
export interface InputValues {
  move: [number, number, number];
  look: [number, number, number];
  buttons: number;
}

/** The keyboard, the pointer on `view` and gamepads, read once per frame. */
export class PageControls {
  readonly look: Look = { yaw: 0, pitch: 0 };
  /** Whether a drag on the view turns the look (not while the page orbits). */
  dragLooks = true;
  readonly #keys = new Set<string>();
  #dragging: { x: number; y: number } | null = null;

  /** `ignore` says which elements keep their keys (the inspector's search box). */
  constructor(view: HTMLElement, ignore: (target: EventTarget | null) => boolean) {
    addEventListener("keydown", (e) => {
      if (!ignore(e.target)) this.#keys.add(e.code);
    });
    addEventListener("keyup", (e) => this.#keys.delete(e.code));
    addEventListener("blur", () => this.#keys.clear());
    view.addEventListener("pointerdown", (e) => {
      // Only a drag on the picture turns the view (a button over it keeps its click).
      if (!(e.target instanceof HTMLCanvasElement) || !this.dragLooks) return;
      this.#dragging = { x: e.clientX, y: e.clientY };
      view.setPointerCapture(e.pointerId);
    });
    view.addEventListener("pointermove", (e) => {
      if (!this.#dragging) return;
      this.turn(
        -(e.clientX - this.#dragging.x) * DRAG_SPEED,
        -(e.clientY - this.#dragging.y) * DRAG_SPEED,
      );
      this.#dragging = { x: e.clientX, y: e.clientY };
    });
    const release = () => (this.#dragging = null);
    view.addEventListener("pointerup", release);
    view.addEventListener("pointercancel", release);
  }

  /** Turns the view by `yaw` and `pitch` radians (pitch stops short of straight up or down). */
  turn(yaw: number, pitch: number): void {
    const y = this.look.yaw + yaw;
    this.look.yaw = Math.atan2(Math.sin(y), Math.cos(y));
    this.look.pitch = Math.max(-MAX_PITCH, Math.min(MAX_PITCH, this.look.pitch + pitch));
  }

  /** The Input of this frame, `dt` seconds after the last (sticks turn by rate). */
  read(dt: number): InputValues {
    const k = this.#keys;
    let x = (k.has("KeyD") || k.has("ArrowRight") ? 1 : 0) -
      (k.has("KeyA") || k.has("ArrowLeft") ? 1 : 0);
    let z = (k.has("KeyS") || k.has("ArrowDown") ? 1 : 0) -
      (k.has("KeyW") || k.has("ArrowUp") ? 1 : 0);
    const y = (k.has("Space") ? 1 : 0) - (k.has("ShiftLeft") || k.has("ShiftRight") ? 1 : 0);
    let buttons = k.has("KeyE") ? InputButton.Primary : 0;
    if (k.has("KeyQ")) buttons |= InputButton.Secondary;
    if (k.has("Escape")) buttons |= InputButton.Menu;
    for (const pad of navigator.getGamepads?.() ?? []) {
      if (!pad || !pad.connected) continue;
      // The standard mapping: left stick axes 0/1, right stick 2/3, A/B, bumpers, start.
      x += deadZone(pad.axes[0]);
      z += deadZone(pad.axes[1]);
      this.turn(-deadZone(pad.axes[2]) * STICK_TURN * dt, -deadZone(pad.axes[3]) * STICK_TURN * dt);
      if (pad.buttons[0]?.pressed) buttons |= InputButton.Primary;
      if (pad.buttons[1]?.pressed) buttons |= InputButton.Secondary;
      if (pad.buttons[5]?.pressed) buttons |= InputButton.Grip;
      if (pad.buttons[9]?.pressed) buttons |= InputButton.Menu;
    }
    return {
      move: [unit(x), y, unit(z)],
      look: [this.look.yaw, this.look.pitch, 0],
      buttons,
    };
  }
}

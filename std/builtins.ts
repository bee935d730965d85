/**
 * Built-in components every world understands. Drivers (renderer, audio,
 * input) read these; scripts may use them like any other component.
 *
 * @module
 */
import { defineComponent } from "./component.ts";

/** Position, rotation (quaternion x, y, z, w) and scale. */
export const Transform = defineComponent("Transform", {
  position: "vec3",
  rotation: "quat",
  scale: { type: "vec3", default: [1, 1, 1] },
});

/** Linear (units per second) and angular (radians per second, per axis) velocity. */
export const Velocity = defineComponent("Velocity", { linear: "vec3", angular: "vec3" });

/** Mesh shapes, for {@linkcode Mesh}'s `shape` field. */
export const MeshShape = Object.freeze({ Box: 0, Sphere: 1, Plane: 2, Cylinder: 3, Cone: 4 });

/** A primitive mesh: a shape from {@linkcode MeshShape}, sized per axis. */
export const Mesh = defineComponent("Mesh", {
  shape: "u8",
  size: { type: "vec3", default: [1, 1, 1] },
});

/** Surface appearance (physically based). */
export const Material = defineComponent("Material", {
  color: { type: "vec3", default: [0.8, 0.8, 0.8] },
  roughness: { type: "f32", default: 0.5 },
  metalness: "f32",
  emissive: "vec3",
});

/** Light kinds, for {@linkcode Light}'s `kind` field. */
export const LightKind = Object.freeze({ Directional: 0, Point: 1, Ambient: 2, Spot: 3 });

/** A light source; it shines from the entity's Transform. */
export const Light = defineComponent("Light", {
  kind: "u8",
  color: { type: "vec3", default: [1, 1, 1] },
  intensity: { type: "f32", default: 1 },
  range: "f32",
});

/** A camera; the viewer uses the first one with `active` set. */
export const Camera = defineComponent("Camera", {
  fov: { type: "f32", default: 60 },
  near: { type: "f32", default: 0.1 },
  far: { type: "f32", default: 1000 },
  active: { type: "bool", default: true },
});

/** Per-player input, written by the input driver. */
export const Input = defineComponent("Input", {
  move: "vec3",
  look: "vec3",
  buttons: "u32",
});

/** A sound source at the entity's Transform. */
export const AudioSource = defineComponent("AudioSource", {
  clip: "u32",
  volume: { type: "f32", default: 1 },
  loop: "bool",
  playing: "bool",
});

/** A connected player; `head` is the entity of their head (camera) if any. */
export const Player = defineComponent("Player", { id: "u32", head: "entity" });

/** Every built-in component, by name. */
export const BUILTIN_COMPONENTS = Object.freeze(
  [Transform, Velocity, Mesh, Material, Light, Camera, Input, AudioSource, Player],
);

/**
 * Built-in components every world understands. Drivers (renderer, audio,
 * input) read these; scripts may use them like any other component.
 *
 * @module
 */
import { type ComponentType, defineComponent } from "./component.ts";

/** What the world's clients need to see and hear it: sent by the network driver (DESIGN §11). */
const REPLICATED = { replicate: true } as const;

/** The schema of {@linkcode Transform}. */
export type TransformSchema = {
  readonly position: "vec3";
  readonly rotation: "quat";
  readonly scale: { readonly type: "vec3"; readonly default: readonly [1, 1, 1] };
};
/** Position, rotation (quaternion x, y, z, w) and scale. */
export const Transform: ComponentType<TransformSchema> = defineComponent("Transform", {
  position: "vec3",
  rotation: "quat",
  scale: { type: "vec3", default: [1, 1, 1] },
}, REPLICATED);

/** The schema of {@linkcode Velocity}. */
export type VelocitySchema = { readonly linear: "vec3"; readonly angular: "vec3" };
/** Linear (units per second) and angular (radians per second, per axis) velocity. */
export const Velocity: ComponentType<VelocitySchema> = defineComponent("Velocity", {
  linear: "vec3",
  angular: "vec3",
});

/** The schema of {@linkcode Parent}. */
export type ParentSchema = { readonly entity: "entity" };
/** The entity this one hangs from: its `Transform` is relative to the parent's (for the viewer). */
export const Parent: ComponentType<ParentSchema> = defineComponent(
  "Parent",
  { entity: "entity" },
  REPLICATED,
);

/** Mesh shapes, for {@linkcode Mesh}'s `shape` field. */
export const MeshShape: Readonly<Record<"Box" | "Sphere" | "Plane" | "Cylinder" | "Cone", number>> =
  Object.freeze({ Box: 0, Sphere: 1, Plane: 2, Cylinder: 3, Cone: 4 });

/** The schema of {@linkcode Mesh}. */
export type MeshSchema = {
  readonly shape: "u8";
  readonly size: { readonly type: "vec3"; readonly default: readonly [1, 1, 1] };
  readonly asset: "text";
};
/**
 * A mesh: a primitive shape from {@linkcode MeshShape}, sized per axis, or —
 * when `asset` is set — a glTF model (`.glb` or `.gltf`) from the world's
 * `assets/` folder, by its path there (`"models/duck.glb"`), scaled by `size`.
 */
export const Mesh: ComponentType<MeshSchema> = defineComponent("Mesh", {
  shape: "u8",
  size: { type: "vec3", default: [1, 1, 1] },
  asset: "text",
}, REPLICATED);

/** The schema of {@linkcode Material}. */
export type MaterialSchema = {
  readonly color: { readonly type: "vec3"; readonly default: readonly [0.8, 0.8, 0.8] };
  readonly roughness: { readonly type: "f32"; readonly default: 0.5 };
  readonly metalness: "f32";
  readonly emissive: "vec3";
};
/** Surface appearance (physically based). */
export const Material: ComponentType<MaterialSchema> = defineComponent("Material", {
  color: { type: "vec3", default: [0.8, 0.8, 0.8] },
  roughness: { type: "f32", default: 0.5 },
  metalness: "f32",
  emissive: "vec3",
}, REPLICATED);

/** Light kinds, for {@linkcode Light}'s `kind` field. */
export const LightKind: Readonly<Record<"Directional" | "Point" | "Ambient" | "Spot", number>> =
  Object.freeze({ Directional: 0, Point: 1, Ambient: 2, Spot: 3 });

/** The schema of {@linkcode Light}. */
export type LightSchema = {
  readonly kind: "u8";
  readonly color: { readonly type: "vec3"; readonly default: readonly [1, 1, 1] };
  readonly intensity: { readonly type: "f32"; readonly default: 1 };
  readonly range: "f32";
};
/** A light source; it shines from the entity's Transform. */
export const Light: ComponentType<LightSchema> = defineComponent("Light", {
  kind: "u8",
  color: { type: "vec3", default: [1, 1, 1] },
  intensity: { type: "f32", default: 1 },
  range: "f32",
}, REPLICATED);

/** The schema of {@linkcode Camera}. */
export type CameraSchema = {
  readonly fov: { readonly type: "f32"; readonly default: 60 };
  readonly near: { readonly type: "f32"; readonly default: 0.1 };
  readonly far: { readonly type: "f32"; readonly default: 1000 };
  readonly active: { readonly type: "bool"; readonly default: true };
};
/** A camera; the viewer uses the first one with `active` set. */
export const Camera: ComponentType<CameraSchema> = defineComponent("Camera", {
  fov: { type: "f32", default: 60 },
  near: { type: "f32", default: 0.1 },
  far: { type: "f32", default: 1000 },
  active: { type: "bool", default: true },
});

/** The schema of {@linkcode Input}. */
export type InputSchema = {
  readonly move: "vec3";
  readonly look: "vec3";
  readonly buttons: "u32";
};
/**
 * Per-player input, written by the viewer for its page's Player: `move` is
 * right, up and back in -1..1 (keyboard, gamepad left stick, VR thumbstick);
 * `look` is yaw and pitch rates in -1..1 (mouse drag, right stick); `buttons`
 * holds {@linkcode InputButton} bits.
 */
export const Input: ComponentType<InputSchema> = defineComponent("Input", {
  move: "vec3",
  look: "vec3",
  buttons: "u32",
});

/** Bits of {@linkcode Input}'s `buttons` field. */
export const InputButton: Readonly<Record<"Primary" | "Secondary" | "Grip" | "Menu", number>> =
  Object.freeze({ Primary: 1, Secondary: 2, Grip: 4, Menu: 8 });

/** The schema of {@linkcode AudioSource}. */
export type AudioSourceSchema = {
  readonly clip: "u32";
  readonly volume: { readonly type: "f32"; readonly default: 1 };
  readonly loop: "bool";
  readonly playing: "bool";
  readonly asset: "text";
  readonly tone: "f32";
};
/**
 * A sound source at the entity's Transform, heard from the listener (the
 * active Camera, else a Player's head). What it plays: `asset`, a WAV file
 * (PCM 16/24/32-bit or float) in the world's `assets/` folder by its path
 * there (`"sounds/bell.wav"`), or when `asset` is empty a sine `tone` of that
 * frequency in Hz; `clip` is a number for drivers of your own (the built-in
 * audio driver plays `asset` or `tone`). `volume` scales it (1 = as
 * recorded, a full-scale tone); `loop` repeats the asset, otherwise it plays
 * once; `playing: false` is silence, and setting it true again starts from
 * the beginning.
 */
export const AudioSource: ComponentType<AudioSourceSchema> = defineComponent("AudioSource", {
  clip: "u32",
  volume: { type: "f32", default: 1 },
  loop: "bool",
  playing: "bool",
  asset: "text",
  tone: "f32",
}, REPLICATED);

/** The schema of {@linkcode Player}. */
export type PlayerSchema = {
  readonly id: "u32";
  readonly head: "entity";
  readonly tracked: "u8";
  readonly headPosition: "vec3";
  readonly headRotation: "quat";
  readonly leftPosition: "vec3";
  readonly leftRotation: "quat";
  readonly rightPosition: "vec3";
  readonly rightRotation: "quat";
};

/** Bits of {@linkcode Player}'s `tracked` field: which poses are live. */
export const PlayerTracked: Readonly<Record<"Head" | "Left" | "Right", number>> = Object.freeze({
  Head: 1,
  Left: 2,
  Right: 4,
});

/**
 * A connected player; `head` is the entity of their head (camera) if any.
 * In VR, the headset's and the controllers' poses, relative to the player's
 * `Transform` (the tracking origin, at the eyes when the session began):
 * `tracked` says which are live ({@linkcode PlayerTracked}); a pose that is
 * not tracked keeps its last value.
 */
export const Player: ComponentType<PlayerSchema> = defineComponent("Player", {
  id: "u32",
  head: "entity",
  tracked: "u8",
  headPosition: "vec3",
  headRotation: "quat",
  leftPosition: "vec3",
  leftRotation: "quat",
  rightPosition: "vec3",
  rightRotation: "quat",
}, REPLICATED);

/** Every built-in component, by name. */
export const BUILTIN_COMPONENTS: readonly ComponentType[] = Object.freeze(
  [Transform, Parent, Velocity, Mesh, Material, Light, Camera, Input, AudioSource, Player],
);

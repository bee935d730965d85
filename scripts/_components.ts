// Files starting with "_" are modules, not systems: put shared components here
// and import them from several scripts so everyone agrees on the schema.
import { defineComponent, defineEvent, defineResource } from "@syncra/std";

/** Spins an entity around `axis` at `speed` radians per second. */
export const Spin = defineComponent("Spin", {
  speed: { type: "f32", default: 1 },
  axis: { type: "vec3", default: [0, 1, 0] },
});

/** A door that slides up while a player is within `radius` metres (door.ts). */
export const Door = defineComponent("Door", {
  name: { type: "text", max: 32, default: "door" },
  open: "bool",
  radius: { type: "f32", default: 2 },
});

/** A line of text shown `height` metres above its entity (label.ts keeps the doors' labels). */
export const Label = defineComponent("Label", {
  text: { type: "text", max: 64 },
  height: { type: "f32", default: 0.5 },
});

/** A particle that lives `life` seconds (fountain.ts). */
export const Particle = defineComponent("Particle", { age: "f32", life: "f32" });

/** Where particles come from, and how many per second. */
export const Fountain = defineComponent("Fountain", {
  rate: { type: "f32", default: 60 },
  speed: { type: "f32", default: 6 },
});

/** The world's score: one point per door opening. */
export const Score = defineResource("Score", { points: "u32" });

/** Told by door.ts when a player opens a door; heard next tick by label.ts. */
export const DoorOpened = defineEvent("DoorOpened", { door: "entity", by: "entity" });

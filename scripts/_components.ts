// Files starting with "_" are modules, not systems: put shared components here
// and import them from several scripts so everyone agrees on the schema.
import { defineComponent } from "@syncra/std";

/** Spins an entity around `axis` at `speed` radians per second. */
export const Spin = defineComponent("Spin", {
  speed: { type: "f32", default: 1 },
  axis: { type: "vec3", default: [0, 1, 0] },
});

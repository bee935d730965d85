/**
 * The stores' test and bench world: every value says which tick and entity
 * it belongs to, so that a state mixed from two saves is caught
 * (`store_contract.ts`), and a world of any size is made in one call
 * (`bench/store_bench.ts`).
 *
 * @module
 */
import { World } from "../ecs/mod.ts";

/** The schema of the `Tick` component (one `u32`). */
export const TICK = { value: { type: "u32" as const, default: [0] } };

/**
 * A world whose every value says which tick and entity it belongs to, so
 * that a state mixed from two saves is caught (store_contract.ts checkTickWorld).
 */
export function tickWorld(tick: number, entities: number): World {
  const world = new World();
  const key = world.registry.resolve({ name: "Tick", schema: TICK, module: "saver.ts" }).key;
  for (const id of world.allocator.reserve(entities)) {
    world.spawn(id, { [key]: { value: [tick] }, Transform: { position: [id, tick, 0] } }, "s.ts");
  }
  return world;
}

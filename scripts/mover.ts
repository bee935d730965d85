// Moves every entity by its Velocity, and wraps it around a 20 m square.
import { defineSystem, Transform, Velocity } from "@syncra/std";

export default defineSystem({
  reads: [Velocity],
  writes: [Transform],
  run(ctx) {
    const { linear } = ctx.read(Velocity);
    const { position } = ctx.write(Transform);
    for (let i = 0; i < ctx.count * 3; i++) {
      position[i]! += linear[i]! * ctx.dt;
      if (i % 3 !== 1 && Math.abs(position[i]!) > 10) position[i] = -Math.sign(position[i]!) * 10;
    }
  },
});

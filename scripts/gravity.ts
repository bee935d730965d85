// Pulls moving things down and bounces them off the ground (y = 0).
import { defineSystem, Transform, Velocity } from "@syncra/std";

const GRAVITY = -9.81;

export default defineSystem({
  reads: [Transform],
  writes: [Velocity],
  run(ctx) {
    const { position, scale } = ctx.read(Transform);
    const { linear } = ctx.write(Velocity);
    for (let i = 0; i < ctx.count; i++) {
      const y = position[i * 3 + 1]!;
      const radius = scale[i * 3 + 1]! / 2;
      let vy = linear[i * 3 + 1]! + GRAVITY * ctx.dt;
      if (y <= radius && vy < 0) vy = -vy; // elastic bounce
      linear[i * 3 + 1] = vy;
    }
  },
});

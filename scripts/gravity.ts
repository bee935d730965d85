// Pulls moving things down and bounces them off the ground (y = 0); players walk.
import { defineSystem, Player, Transform, Velocity } from "@syncra/std";

const GRAVITY = -9.81;

export default defineSystem({
  queries: { falling: { reads: [Transform], writes: [Velocity], without: [Player] } },
  run(ctx) {
    const falling = ctx.query("falling");
    const { position, scale } = falling.read(Transform);
    const { linear } = falling.write(Velocity);
    for (let i = 0; i < falling.count; i++) {
      const y = position[i * 3 + 1]!;
      const radius = scale[i * 3 + 1]! / 2;
      let vy = linear[i * 3 + 1]! + GRAVITY * ctx.dt;
      if (y <= radius && vy < 0) vy = -vy; // elastic bounce
      linear[i * 3 + 1] = vy;
    }
  },
});

// Walks each page's player (the viewer gives every open page a Player with Input): WASD, the
// arrow keys, a gamepad's left stick or a VR thumbstick move it the way it looks (dragging the
// view or the right stick turns it), Space and Shift move it up and down.
import { defineSystem, Input, Player, Transform } from "@syncra/std";

const SPEED = 3; // metres per second

export default defineSystem({
  queries: { walkers: { reads: [Input], writes: [Transform], with: [Player] } },
  run(ctx) {
    const walkers = ctx.query("walkers");
    const { move, look } = walkers.read(Input);
    const { position: p, rotation: r } = walkers.write(Transform);
    const step = SPEED * ctx.dt;
    for (let i = 0; i < walkers.count; i++) {
      // Input.move is right, up, back in the player's frame; look[0] is its yaw about up.
      const yaw = look[i * 3]!, c = Math.cos(yaw), s = Math.sin(yaw);
      const x = move[i * 3]!, y = move[i * 3 + 1]!, z = move[i * 3 + 2]!;
      p[i * 3]! += (x * c + z * s) * step;
      p[i * 3 + 1]! += y * step;
      p[i * 3 + 2]! += (z * c - x * s) * step;
      // The player faces where it looks (turned about up only: its body stays upright).
      r.set([0, Math.sin(yaw / 2), 0, Math.cos(yaw / 2)], i * 4);
    }
  },
});

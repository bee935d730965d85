// Walks each page's player (the viewer gives every open page a Player with Input): WASD or the
// arrow keys move it across the ground, Space and Shift up and down.
import { defineSystem, Input, Player, Transform } from "@syncra/std";

const SPEED = 3; // metres per second

export default defineSystem({
  queries: { walkers: { reads: [Input], writes: [Transform], with: [Player] } },
  run(ctx) {
    const walkers = ctx.query("walkers");
    const move = walkers.read(Input).move, p = walkers.write(Transform).position;
    for (let i = 0; i < walkers.count * 3; i++) p[i]! += move[i]! * SPEED * ctx.dt;
  },
});

// A door that slides open when a player comes near: two queries (the doors, and
// the players to look for), an event for whoever wants to know, a score resource.
import { defineSystem, Material, Mesh, MeshShape, Player, Transform } from "@syncra/std";
import { Door, DoorOpened, Score } from "./_components.ts";

const LIFT = 2.2; // metres the door rises when open
const SPEED = 4; // metres per second

export default defineSystem({
  queries: {
    // Mesh and Material are written only to spawn the door with them (a grant to attach).
    doors: { writes: [Door, Transform, Mesh, Material] },
    players: { reads: [Transform], with: [Player] },
  },
  resources: { writes: [Score] },
  emits: [DoorOpened],
  spawns: true,
  init(ctx) {
    ctx.spawn({
      Transform: { position: [-5, 1.1, 4] },
      Mesh: { shape: MeshShape.Box, size: [2, 2.2, 0.2] },
      Material: { color: [0.55, 0.35, 0.2], roughness: 0.8 },
      Door: { name: "Front door" },
    });
  },
  run(ctx) {
    const doors = ctx.query("doors"), players = ctx.query("players");
    const door = doors.write(Door), at = doors.write(Transform).position;
    const size = doors.read(Mesh).size, pp = players.read(Transform).position;
    for (let d = 0; d < doors.count; d++) {
      let by = -1;
      for (let p = 0; p < players.count && by < 0; p++) {
        const dx = pp[p * 3]! - at[d * 3]!, dz = pp[p * 3 + 2]! - at[d * 3 + 2]!;
        if (Math.hypot(dx, dz) < door.radius[d]!) by = p;
      }
      if (by >= 0 && !door.open[d]) {
        ctx.resource(Score).points += 1;
        ctx.emit(DoorOpened, { door: doors.entities[d]!, by: players.entities[by]! });
      }
      door.open[d] = by >= 0 ? 1 : 0;
      // Slide towards closed (resting on the ground) or open.
      const target = size[d * 3 + 1]! / 2 + (door.open[d] ? LIFT : 0);
      const y = at[d * 3 + 1]!, step = SPEED * ctx.dt;
      at[d * 3 + 1] = Math.abs(target - y) <= step ? target : y + Math.sign(target - y) * step;
    }
  },
});

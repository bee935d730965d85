// A particle fountain: spawns particles with a random spread (ctx.random() is
// deterministic: same seed, same world) and despawns them when they are old.
// The world owner caps what it may own in syncra.json ("limits").
import { defineSystem, Material, Mesh, MeshShape, Transform, Velocity } from "@syncra/std";
import { Fountain, Particle } from "./_components.ts";

export default defineSystem({
  queries: {
    fountains: { reads: [Transform], writes: [Fountain] },
    // Particles are spawned with these (attaching a component needs it in writes).
    particles: { writes: [Particle, Transform, Mesh, Material, Velocity] },
  },
  spawns: true,
  init(ctx) {
    ctx.spawn({
      Transform: { position: [5, 0.25, -3] },
      Mesh: { shape: MeshShape.Cylinder, size: [1, 0.5, 1] },
      Material: { color: [0.5, 0.5, 0.55] },
      Fountain: {},
    });
  },
  run(ctx) {
    const particles = ctx.query("particles");
    const p = particles.write(Particle);
    for (let i = 0; i < particles.count; i++) {
      p.age[i]! += ctx.dt;
      if (p.age[i]! > p.life[i]!) ctx.despawn(particles.entities[i]!);
    }
    const fountains = ctx.query("fountains");
    const { rate, speed } = fountains.read(Fountain);
    const at = fountains.read(Transform).position;
    for (let f = 0; f < fountains.count; f++) {
      // A fractional rate spawns on some ticks only: 60/s at 60 Hz is one a tick.
      const due = Math.floor(ctx.tick * ctx.dt * rate[f]!) -
        Math.floor((ctx.tick - 1) * ctx.dt * rate[f]!);
      for (let n = 0; n < due; n++) {
        const angle = ctx.random() * Math.PI * 2, spread = ctx.random() * 0.3;
        ctx.spawn({
          Transform: {
            position: [at[f * 3]!, at[f * 3 + 1]! + 0.3, at[f * 3 + 2]!],
            scale: [0.12, 0.12, 0.12],
          },
          Velocity: {
            linear: [
              Math.cos(angle) * spread * speed[f]!,
              speed[f]!,
              Math.sin(angle) * spread * speed[f]!,
            ],
          },
          Mesh: { shape: MeshShape.Sphere },
          Material: { color: [0.4, 0.7, 1], emissive: [0.1, 0.2, 0.4] },
          Particle: { life: 1.2 + ctx.random() * 0.6 },
        });
      }
    }
  },
});

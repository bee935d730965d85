/**
 * The viewer benches' world: boxes moving at 0–3 m/s in random directions
 * and turning at 0–180°/s about random axes (scene.ts spawns them, move.ts
 * moves them every tick).
 *
 * @module
 */
import { join } from "node:path";
import { createWorld } from "../runtime/app/mod.ts";

/** A fresh, quiet world over `scripts` with the viewer on `port`, stepped by the caller at 60 Hz. */
export function liveViewerWorld(scripts: string, port: number): ReturnType<typeof createWorld> {
  return createWorld({
    scriptsDir: scripts,
    fresh: true,
    quiet: true,
    watch: false,
    viewer: true,
    port,
    hz: 60,
  });
}

const scene = (count: number) => `
import { defineComponent, defineSystem, Mesh, MeshShape, Transform } from "@syncra/std";
export const Motion = defineComponent("Motion", { velocity: "vec3", axis: "vec3", spin: "f32" });
export default defineSystem({
  writes: [Transform, Mesh, Motion], spawns: true,
  init(ctx) {
    for (let i = 0; i < ${count}; i++) {
      const speed = ctx.random() * 3, a = ctx.random() * Math.PI * 2, b = (ctx.random() - 0.5) * Math.PI;
      const v = [Math.cos(a) * Math.cos(b) * speed, Math.sin(b) * speed, Math.sin(a) * Math.cos(b) * speed];
      const axis = [ctx.random() - 0.5, ctx.random() - 0.5, ctx.random() - 0.5];
      const l = Math.hypot(...axis) || 1;
      ctx.spawn({
        Transform: { position: [(ctx.random() - 0.5) * 40, (ctx.random() - 0.5) * 10, (ctx.random() - 0.5) * 40] },
        Mesh: { shape: MeshShape.Box, size: [0.3, 0.3, 0.3] },
        Motion: { velocity: v, axis: axis.map((x) => x / l), spin: ctx.random() * Math.PI },
      });
    }
  },
});`;

const MOVE = `
import { defineSystem, Transform } from "@syncra/std";
import { Motion } from "./scene.ts";
export default defineSystem({
  reads: [Motion], writes: [Transform],
  run(ctx) {
    const m = ctx.read(Motion), t = ctx.write(Transform);
    for (let i = 0; i < ctx.count; i++) {
      for (let k = 0; k < 3; k++) t.position[i * 3 + k] += m.velocity[i * 3 + k] * ctx.dt;
      // Turn by spin·dt about the axis: q ← dq · q.
      const h = (m.spin[i] * ctx.dt) / 2, s = Math.sin(h);
      const [ax, ay, az, aw] = [m.axis[i * 3] * s, m.axis[i * 3 + 1] * s, m.axis[i * 3 + 2] * s, Math.cos(h)];
      const q = i * 4, [x, y, z, w] = [t.rotation[q], t.rotation[q + 1], t.rotation[q + 2], t.rotation[q + 3]];
      t.rotation[q] = aw * x + ax * w + ay * z - az * y;
      t.rotation[q + 1] = aw * y - ax * z + ay * w + az * x;
      t.rotation[q + 2] = aw * z + ax * y - ay * x + az * w;
      t.rotation[q + 3] = aw * w - ax * x - ay * y - az * z;
    }
  },
});`;

/** Writes the two scripts for `count` boxes into `scripts`. */
export async function writeMovingBoxes(scripts: string, count: number): Promise<void> {
  await Deno.writeTextFile(join(scripts, "scene.ts"), scene(count));
  await Deno.writeTextFile(join(scripts, "move.ts"), MOVE);
}

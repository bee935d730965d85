// Rotates every entity that has a Spin around its axis.
import { defineSystem, Transform } from "@syncra/std";
import { Spin } from "./_components.ts";

export default defineSystem({
  reads: [Spin],
  writes: [Transform],
  run(ctx) {
    const { speed, axis } = ctx.read(Spin);
    const { rotation } = ctx.write(Transform);
    for (let i = 0; i < ctx.count; i++) {
      // Axis-angle step as a quaternion, multiplied onto the current rotation.
      let [ax, ay, az] = [axis[i * 3]!, axis[i * 3 + 1]!, axis[i * 3 + 2]!];
      const len = Math.hypot(ax, ay, az) || 1;
      const half = (speed[i]! * ctx.dt) / 2;
      const s = Math.sin(half) / len;
      [ax, ay, az] = [ax * s, ay * s, az * s];
      const bw = Math.cos(half);
      const q = i * 4;
      const [x, y, z, w] = [rotation[q]!, rotation[q + 1]!, rotation[q + 2]!, rotation[q + 3]!];
      const nx = w * ax + x * bw + y * az - z * ay;
      const ny = w * ay - x * az + y * bw + z * ax;
      const nz = w * az + x * ay - y * ax + z * bw;
      const nw = w * bw - x * ax - y * ay - z * az;
      const n = Math.hypot(nx, ny, nz, nw) || 1;
      rotation.set([nx / n, ny / n, nz / n, nw / n], q);
    }
  },
});

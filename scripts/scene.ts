// Builds the starting scene once, when the world starts with no saved state.
import {
  Camera,
  defineSystem,
  Light,
  LightKind,
  Material,
  Mesh,
  MeshShape,
  Player,
  Transform,
  Velocity,
} from "@syncra/std";
import { Spin } from "./_components.ts";

export default defineSystem({
  writes: [Transform, Mesh, Material, Light, Camera, Velocity, Spin, Player],
  spawns: true,
  init(ctx) {
    ctx.spawn({
      Transform: { position: [0, 0, 0] },
      Mesh: { shape: MeshShape.Plane, size: [20, 1, 20] },
      Material: { color: [0.35, 0.4, 0.35], roughness: 0.9 },
    });
    const colors = [[0.9, 0.3, 0.3], [0.3, 0.8, 0.4], [0.3, 0.5, 0.95]];
    colors.forEach((color, i) => {
      ctx.spawn({
        Transform: { position: [(i - 1) * 2.5, 1, 0] },
        Mesh: { shape: MeshShape.Box },
        Material: { color, metalness: 0.2 },
        Spin: { speed: 0.5 + i * 0.5, axis: [0, 1, i * 0.5] },
      });
    });
    ctx.spawn({
      Transform: { position: [0, 4, 2], scale: [0.6, 0.6, 0.6] },
      Mesh: { shape: MeshShape.Sphere },
      Material: { color: [0.95, 0.8, 0.2], roughness: 0.2 },
      Velocity: { linear: [0.8, 0, 0] },
    });
    // A visitor who walks along the row of the door (mover.ts moves it; gravity.ts leaves
    // players alone), until the viewer brings real players.
    ctx.spawn({
      Transform: { position: [-9, 0.9, 4.5] },
      Mesh: { shape: MeshShape.Cylinder, size: [0.6, 1.8, 0.6] },
      Material: { color: [0.9, 0.6, 0.4] },
      Velocity: { linear: [1.5, 0, 0] },
      Player: { id: 1 },
    });
    // Trees: a glTF model from assets/models/, by its path there (std Mesh's asset).
    for (const [x, z, size] of [[-7, -6, 1.4], [7, -5, 1.1], [-6, 6.5, 1], [8, 7, 1.3]]) {
      ctx.spawn({
        Transform: { position: [x!, 0, z!] },
        Mesh: { asset: "models/tree.gltf", size: [size!, size!, size!] },
      });
    }
    ctx.spawn({
      Transform: { position: [5, 10, 5] },
      Light: { kind: LightKind.Directional, intensity: 2 },
    });
    ctx.spawn({ Light: { kind: LightKind.Ambient, intensity: 0.4 } });
    ctx.spawn({
      Transform: { position: [0, 3, 9], rotation: [-0.17, 0, 0, 0.985] },
      Camera: { fov: 60 },
    });
    ctx.log("scene built");
  },
});

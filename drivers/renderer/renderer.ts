// The renderer driver: three.js's WebGPURenderer on Deno's own WebGPU (Mesa's lavapipe on a
// machine without a GPU), drawing the active Camera's view of the world offscreen as the
// viewer's page draws it. Frames go to its `frames` port as PNG (the viewer can show what it
// sees) and, with --frames DIR, to that folder. Its only permissions: WebGPU, and writing there.
import { Camera, defineDriver, Light, Material, Mesh, Parent, Transform } from "@syncra/std";
import { type Mirror, mirrorChanges } from "../viewer/mirror.ts";
import { NativeScene } from "./native_scene.ts";
import { OffscreenRenderer } from "./offscreen.ts";
import { encodePng } from "./png.ts";
import { rendererSettings } from "./renderer_settings.ts";
import { readModel } from "./model_files.ts";

/** What it draws: the viewer's render components. */
const READS = [Transform, Mesh, Material, Light, Camera, Parent];

/** A frame larger than this does not go to the port (its budget is 1 MiB a tick). */
const PORT_FRAME_BYTES = 1024 * 1024;

export default defineDriver({
  name: "renderer",
  reads: READS,
  outputs: { frames: "image/png" },
  capabilities: { gpu: true },
  async start(ctx) {
    const settings = rendererSettings(ctx.config);
    const { width, height, frames } = settings;
    let offscreen: OffscreenRenderer;
    try {
      offscreen = await OffscreenRenderer.open(width, height);
    } catch (error) {
      ctx.unavailable(`cannot draw here: ${(error as Error).message}`);
      return;
    }
    ctx.log(
      `drawing ${width}×${height} (${settings.batching}) on ${offscreen.adapter}, up to ${settings.rate} frames a second${
        frames ? ` to ${frames}` : ""
      }`,
    );
    const mirror: Mirror = new Map();
    const assets = settings.assets;
    const scene = new NativeScene(
      width / height,
      settings.batching,
      assets ? (asset) => readModel(assets, asset) : null,
      (asset, why) => ctx.log(`the model "${asset}" cannot load (${why}); drawn as its shape`),
    );
    let lastFrameAt = -Infinity;
    let saidNoCamera = false, saidTooBig = false;
    ctx.onChanges(async (changes) => {
      scene.apply(mirror, mirrorChanges(mirror, changes, READS));
      const now = performance.now();
      if (now - lastFrameAt < 1000 / settings.rate) return;
      lastFrameAt = now;
      scene.place(mirror);
      if (scene.activeLens(mirror) === null && !saidNoCamera) {
        saidNoCamera = true;
        ctx.log("no active Camera in the world: drawing from where a new viewer would stand");
      }
      const png = await encodePng(await offscreen.draw(scene.scene, scene.camera), width, height);
      if (frames) {
        await Deno.writeFile(`${frames}/frame-${String(changes.tick).padStart(8, "0")}.png`, png);
      }
      if (png.length <= PORT_FRAME_BYTES) ctx.send("frames", png);
      else if (!saidTooBig) {
        saidTooBig = true;
        ctx.log(
          `a frame of ${png.length} bytes is over the port's budget: frames stay in the folder`,
        );
      }
    });
  },
});

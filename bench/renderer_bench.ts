/**
 * `deno task bench` (renderer): what a frame of the renderer driver costs
 * on this machine's WebGPU (Mesa's lavapipe here: the CPU rasterizes) — the
 * scene placed from the world's transforms, drawn, and read back — at
 * 320×240 and 1280×720, for 100 and 10 000 moving boxes, drawn as instanced
 * meshes (the viewer's way) and as one BatchedMesh. The baseline, measured
 * in the same run at each size, is a frame of the empty scene (clear and
 * read back); the PNG encoding is timed apart. Medians of 30 frames after 5
 * warm-up frames.
 *
 * Writes `bench/renderer_results.json` (unless `--no-json`).
 *
 * @module
 */
// The GL backend cannot compile BatchedMesh's shaders on llvmpipe; Vulkan (lavapipe) can.
if (!Deno.env.get("DENO_WEBGPU_BACKEND")) Deno.env.set("DENO_WEBGPU_BACKEND", "vulkan");

import type { Mirror, PlainComponent } from "../drivers/viewer/mirror.ts";
import { type Batching, NativeScene } from "../drivers/renderer/native_scene.ts";
import { OffscreenRenderer } from "../drivers/renderer/offscreen.ts";
import { encodePng } from "../drivers/renderer/png.ts";

const SIZES: [number, number][] = [[320, 240], [1280, 720]];
const COUNTS = [100, 10_000];
const FRAMES = 30, WARMUP = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const round = (x: number) => Math.round(x * 100) / 100;

/** A world of `count` boxes in a grid ahead of a camera, as the renderer's mirror holds it. */
function boxes(count: number): Mirror {
  const mirror: Mirror = new Map();
  const side = Math.ceil(Math.sqrt(count));
  for (let i = 0; i < count; i++) {
    const x = (i % side) - side / 2, y = Math.floor(i / side) - side / 2;
    mirror.set(i + 1, {
      Transform: {
        position: [x * 0.3, y * 0.3, -side * 0.25],
        rotation: [0, 0, 0, 1],
        scale: [1, 1, 1],
      },
      Mesh: { shape: 0, size: [0.2, 0.2, 0.2], asset: "" },
      Material: { color: [i % 7 / 7, 0.5, 0.8], roughness: 0.5, metalness: 0, emissive: [0, 0, 0] },
    });
  }
  mirror.set(count + 1, {
    Transform: { position: [0, 0, 0], rotation: [0, 0, 0, 1], scale: [1, 1, 1] },
    Light: { kind: 2, color: [1, 1, 1], intensity: 1, range: 0, angle: 0 },
  });
  mirror.set(count + 2, {
    Transform: { position: [0, 0, 0], rotation: [0, 0, 0, 1], scale: [1, 1, 1] },
    Camera: { fov: 60, near: 0.1, far: 1000, active: true },
  });
  return mirror;
}

/** Turns every box a little, as a tick of a spinning world would. */
function spin(mirror: Mirror, frame: number): void {
  const half = frame * 0.01;
  for (const c of mirror.values()) {
    if (!c.Mesh) continue;
    (c.Transform as PlainComponent).rotation = [0, Math.sin(half), 0, Math.cos(half)];
  }
}

async function time(renderer: OffscreenRenderer, count: number, batching: Batching) {
  const mirror = count === 0 ? new Map() : boxes(count);
  const scene = new NativeScene(renderer.width / renderer.height, batching);
  const set: Record<number, Record<string, PlainComponent>> = {};
  for (const [id, c] of mirror) set[id] = c;
  scene.apply(mirror, { set, gone: [], removed: [] });
  const frames: number[] = [], places: number[] = [], pngs: number[] = [];
  let drawCalls = 0;
  for (let i = 0; i < WARMUP + FRAMES; i++) {
    spin(mirror, i);
    const start = performance.now();
    scene.place(mirror);
    const placed = performance.now();
    const pixels = await renderer.draw(scene.scene, scene.camera);
    const drawn = performance.now();
    await encodePng(pixels, renderer.width, renderer.height);
    if (i < WARMUP) continue;
    frames.push(drawn - start);
    places.push(placed - start);
    pngs.push(performance.now() - drawn);
    drawCalls = renderer.drawCalls;
  }
  return {
    frameMs: round(median(frames)),
    placeMs: round(median(places)),
    pngMs: round(median(pngs)),
    drawCalls,
  };
}

if (import.meta.main) {
  const rows = [];
  let adapter = "";
  console.log("| size | boxes | batching | frame | ÷ empty | placing | draw calls | PNG encode |");
  console.log("| ---- | ----: | -------- | ----: | ------: | ------: | ---------: | ---------: |");
  for (const [width, height] of SIZES) {
    const renderer = await OffscreenRenderer.open(width, height);
    adapter = renderer.adapter;
    const empty = await time(renderer, 0, "instanced");
    console.log(
      `| ${width}×${height} | 0 | – | ${empty.frameMs} ms | 1× | ${empty.placeMs} ms | ${empty.drawCalls} | ${empty.pngMs} ms |`,
    );
    for (const count of COUNTS) {
      for (const batching of ["instanced", "batched"] as const) {
        const r = await time(renderer, count, batching);
        rows.push({ width, height, boxes: count, batching, ...r, emptyFrameMs: empty.frameMs });
        console.log(
          `| ${width}×${height} | ${count} | ${batching} | ${r.frameMs} ms | ${
            round(r.frameMs / empty.frameMs)
          }× | ${r.placeMs} ms | ${r.drawCalls} | ${r.pngMs} ms |`,
        );
      }
    }
    renderer.dispose();
  }
  console.log(`(${adapter}, DENO_WEBGPU_BACKEND=${Deno.env.get("DENO_WEBGPU_BACKEND")})`);
  if (!Deno.args.includes("--no-json")) {
    await Deno.writeTextFile(
      new URL("./renderer_results.json", import.meta.url),
      JSON.stringify({ date: new Date().toISOString(), adapter, rows }, null, 2) + "\n",
    );
  }
}

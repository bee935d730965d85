/**
 * The renderer driver (drivers/renderer/) in a real world: three.js on
 * Deno's WebGPU in a jailed child, frames checked pixel by pixel — where a
 * cube is drawn, that it moves in the next frame and disappears when
 * despawned, that colours are sRGB-encoded, that batched meshes draw what
 * instanced ones do, and that its frames reach another driver's port.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { IN_CI, makeScripts, runTestWorld, type TestFolder } from "./_world.ts";
import { decodePng } from "../drivers/renderer/png.ts";
import { runDriverContract } from "./driver_contract.ts";
import { cli } from "./_cli.ts";
import { copy } from "./browser/_copy.ts";

const FIXTURES = new URL("./fixtures/renderer/", import.meta.url).pathname;
const MOVE_AT = 30, GONE_AT = 55;
const WIDTH = 320, HEIGHT = 240;

// Vulkan's window-system probe complains on stderr without a runtime folder (drivers get one).
if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", "/tmp");
const gpu = (navigator as { gpu?: GPU }).gpu;
const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
if (!adapter && IN_CI) throw new Error("CI needs a WebGPU adapter (Debian mesa-vulkan-drivers)");

async function sceneFolder(): Promise<TestFolder> {
  return await makeScripts({ "scene.ts": await Deno.readTextFile(join(FIXTURES, "scene.ts")) });
}

/** The frames a run wrote, by the tick each was drawn at. */
async function framesOf(dir: string): Promise<Map<number, Uint8Array>> {
  const frames = new Map<number, Uint8Array>();
  for await (const entry of Deno.readDir(dir)) {
    const tick = /^frame-(\d+)\.png$/.exec(entry.name)?.[1];
    if (tick === undefined) continue;
    const png = await decodePng(await Deno.readFile(join(dir, entry.name)));
    assert.deepEqual([png.width, png.height], [WIDTH, HEIGHT]);
    frames.set(Number(tick), png.rgba);
  }
  return frames;
}

const pixel = (
  rgba: Uint8Array,
  x: number,
  y: number,
) => [...rgba.subarray((y * WIDTH + x) * 4, (y * WIDTH + x) * 4 + 3)];

/** The bounding box and centre of the pixels close to `rgb`, or null when there are none. */
function region(rgba: Uint8Array, rgb: number[]) {
  let minX = Infinity, maxX = -1, minY = Infinity, maxY = -1, sx = 0, sy = 0, n = 0;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const p = pixel(rgba, x, y);
      if (p.some((v, i) => Math.abs(v - rgb[i]!) > 8)) continue;
      minX = Math.min(minX, x), maxX = Math.max(maxX, x), minY = Math.min(minY, y);
      maxY = Math.max(maxY, y), sx += x, sy += y, n++;
    }
  }
  return n === 0 ? null : { minX, maxX, minY, maxY, x: sx / n, y: sy / n, n };
}

/** Runs the scene with the renderer writing a frame every tick; returns the frames. */
async function render(folder: TestFolder, batching: "instanced" | "batched") {
  const dir = join(folder.root, `frames-${batching}`);
  const run = await runTestWorld(folder, {
    ticks: 80,
    hz: 60,
    fresh: true,
    renderer: { frames: dir, width: WIDTH, height: HEIGHT, rate: 240, batching },
  });
  const renderer = run.report.drivers.find((d) => d.name === "renderer")!;
  assert.equal(renderer.state, "running", renderer.lastError ?? "");
  return { run, frames: await framesOf(dir) };
}

const RED = [255, 0, 0], GREEN = [0, 255, 0];

Deno.test({
  name:
    "the renderer draws the camera's view: a red cube where it projects, moved in the next frame, gone when despawned, colours in sRGB",
  ignore: !adapter,
  async fn() {
    await using folder = await sceneFolder();
    const { frames } = await render(folder, "instanced");
    const ticks = [...frames.keys()].sort((a, b) => a - b);
    assert.ok(ticks.length >= 20, `frames at ticks ${ticks}`);
    const before = frames.get(ticks.filter((t) => t < MOVE_AT).at(-1)!)!;
    // A unit cube 4.5 m ahead of a 60° camera: its front face is 2 × 0.5 / (4.5 tan 30°) of the
    // frame's height, 46 pixels of 240, centred.
    const red = region(before, RED)!;
    assert.ok(Math.abs(red.x - 160) < 1.5 && Math.abs(red.y - 120) < 1.5, JSON.stringify(red));
    assert.ok(Math.abs(red.maxX - red.minX + 1 - 46) <= 2, JSON.stringify(red));
    assert.ok(Math.abs(red.maxY - red.minY + 1 - 46) <= 2, JSON.stringify(red));
    // Linear 0.5 grey is written as sRGB 187.5 (a linear PNG would hold 128).
    for (const v of pixel(before, 160 - 69, 120)) assert.ok(Math.abs(v - 187.5) <= 1, `grey ${v}`);
    // Up is up: the green cube, 1.4 m above, is in the top half.
    const green = region(before, GREEN)!;
    assert.ok(green.y < 120 - 50, JSON.stringify(green));
    // The background is the viewer's (0x9fb4c8).
    assert.deepEqual(pixel(before, 5, 5), [0x9f, 0xb4, 0xc8]);

    const moved = frames.get(ticks.find((t) => t >= MOVE_AT)!)!;
    const there = region(moved, RED)!;
    // 1.5 m to the right at 4.5 m: 1.5 / (4.5 tan 30°) × 120 = 69 pixels (the side face shows too).
    assert.ok(there.x > 160 + 60 && there.x < 160 + 80, JSON.stringify(there));
    // A despawn is a command: the world applies it at the next tick boundary, and the frame of
    // that next tick no longer has it.
    assert.equal(region(frames.get(ticks.find((t) => t > GONE_AT)!)!, RED), null, "despawned");
  },
});

Deno.test({
  name: "batched meshes (three.js BatchedMesh) draw the same frame as instanced ones",
  ignore: !adapter,
  async fn() {
    // On Vulkan (lavapipe), which a driver approved for gpu gets where it is installed: the GL
    // backend cannot compile BatchedMesh's shaders on llvmpipe.
    await using folder = await sceneFolder();
    const instanced = (await render(folder, "instanced")).frames;
    const batched = (await render(folder, "batched")).frames;
    // Nothing moves before MOVE_AT: the last frame before it is the same picture in both runs.
    const last = (frames: Map<number, Uint8Array>) =>
      frames.get(Math.max(...[...frames.keys()].filter((t) => t < MOVE_AT)))!;
    const a = last(instanced), b = last(batched);
    let differing = 0;
    for (let i = 0; i < a.length; i += 4) {
      if (Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) > 6) differing++;
    }
    assert.ok(differing < 40, `${differing} pixels differ`);
    assert.ok(region(b, RED) !== null && region(b, GREEN) !== null);
  },
});

Deno.test({
  name: "the renderer's frames reach a driver wired to its frames port, as PNG",
  ignore: !adapter,
  async fn() {
    await using folder = await sceneFolder();
    await Deno.mkdir(join(folder.root, "drivers"));
    await Deno.copyFile(
      join(FIXTURES, "frame_watcher.ts"),
      join(folder.root, "drivers", "frame_watcher.ts"),
    );
    await Deno.writeTextFile(
      join(folder.root, "syncra.json"),
      JSON.stringify({ drivers: { watcher: { file: "drivers/frame_watcher.ts" } } }),
    );
    const run = await runTestWorld(folder, {
      ticks: 40,
      hz: 60,
      renderer: { frames: null, width: WIDTH, height: HEIGHT, rate: 30, batching: "instanced" },
    });
    const lines = run.events.flatMap((e) => e.type === "log" ? [`${e.script}: ${e.text}`] : []);
    assert.ok(
      lines.some((l) => /^watcher: frame from renderer: PNG 320x240, \d+ bytes$/.test(l)),
      lines.join("\n"),
    );
  },
});

Deno.test({
  name:
    "a Mesh with a glTF asset is drawn as its model (its .bin read from beside it); one whose asset cannot load, as its shape, said once",
  ignore: !adapter,
  async fn() {
    await using folder = await makeScripts({
      "scene.ts": await Deno.readTextFile(join(FIXTURES, "model_scene.ts")),
    });
    // The example world's tree, its buffer moved out to a .bin beside it, as exporters write them.
    const models = join(folder.root, "assets", "models");
    await Deno.mkdir(models, { recursive: true });
    const tree = JSON.parse(
      await Deno.readTextFile(new URL("../assets/models/tree.gltf", import.meta.url)),
    );
    const embedded = tree.buffers[0].uri as string;
    const bin = Uint8Array.from(
      atob(embedded.slice(embedded.indexOf(",") + 1)),
      (c) => c.charCodeAt(0),
    );
    await Deno.writeFile(join(models, "tree.bin"), bin);
    tree.buffers[0].uri = "tree.bin";
    await Deno.writeTextFile(join(models, "tree.gltf"), JSON.stringify(tree));
    const dir = join(folder.root, "frames");
    const run = await runTestWorld(folder, {
      ticks: 60,
      hz: 60,
      renderer: { frames: dir, width: WIDTH, height: HEIGHT, rate: 20, batching: "instanced" },
    });
    const frames = await framesOf(dir);
    const last = frames.get(Math.max(...frames.keys()))!;
    // The tree's canopy (green) above its trunk, where the model stands; no box in its place.
    let green = 0;
    for (let y = 40; y < 120; y++) {
      for (let x = 130; x < 190; x++) {
        const [r, g, b] = pixel(last, x, y);
        if (g! > r! + 30 && g! > b! + 30) green++;
      }
    }
    assert.ok(green > 300, `${green} green pixels where the tree is`);
    // The missing model's entity is its blue box, 2 m to the right.
    const blue = region(last, [0, 0, 255])!;
    assert.ok(blue && blue.x > 230, JSON.stringify(blue));
    const lines = run.events.flatMap((e) => e.type === "log" ? [e.text] : []);
    assert.equal(
      lines.filter((l) => l.includes('the model "models/missing.glb" cannot load')).length,
      1,
      lines.join("\n"),
    );
  },
});

Deno.test({
  name: "the renderer meets the driver contract",
  ignore: !adapter,
  async fn(t) {
    await runDriverContract(t, {
      name: "renderer",
      world: {
        renderer: { frames: null, width: 64, height: 48, rate: 10, batching: "instanced" },
      },
    });
  },
});

Deno.test({
  name: "deno task world --frames DIR writes frames of the example world that show it",
  ignore: !adapter,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "syncra_example_frames_" });
    try {
      const repo = new URL("../", import.meta.url).pathname;
      await copy(join(repo, "scripts"), join(root, "scripts"));
      await copy(join(repo, "assets"), join(root, "assets"));
      const out = join(root, "out");
      const run = await cli(
        ["world", "--no-viewer", "--ticks", "120", "--frames", "out/", "--frame-rate", "5"],
        root,
      );
      assert.equal(run.code, 0, run.stderr);
      const frames = await framesOf(out);
      assert.ok(frames.size >= 3, `${frames.size} frames`);
      const last = frames.get(Math.max(...frames.keys()))!;
      // The scene fills the view: ground, boxes, trees (their green), the sky above.
      let sky = 0, green = 0;
      for (let i = 0; i < last.length; i += 4) {
        const [r, g, b] = [last[i]!, last[i + 1]!, last[i + 2]!];
        if (Math.abs(r - 0x9f) < 6 && Math.abs(g - 0xb4) < 6 && Math.abs(b - 0xc8) < 6) sky++;
        if (g > r + 30 && g > b + 20) green++;
      }
      const pixels = last.length / 4;
      assert.ok(sky > pixels * 0.1 && sky < pixels * 0.8, `${sky} of ${pixels} pixels are sky`);
      assert.ok(green > 200, `${green} green pixels (the trees, the green box)`);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("deno task explain drivers/renderer/renderer.ts shows the renderer as --renderer starts it", async () => {
  await using folder = await sceneFolder();
  const file = new URL("../drivers/renderer/renderer.ts", import.meta.url).pathname;
  const explained = await cli(["explain", file], folder.root);
  assert.equal(explained.code, 0, explained.stderr);
  assert.match(explained.stdout, /^name\s+renderer$/m);
  assert.match(explained.stdout, /^outputs\s+frames \(image\/png\)$/m);
  assert.match(explained.stdout, /^asks for\s+gpu$/m);
  assert.match(explained.stdout, /^command\s+.* --allow-read=\S+\/assets .*\.js --gpu$/m);
});

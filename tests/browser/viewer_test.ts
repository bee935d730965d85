/**
 * The viewer in a real browser (DESIGN §10): the page loads without errors,
 * holds the world's entities, draws them moving, and a key press reaches a
 * script through the page's own Player Input. Also: the page reconnects when
 * the viewer restarts, and a garbage WebSocket client is refused.
 */
import assert from "node:assert/strict";
import { IN_CI, makeScripts } from "../_world.ts";
import { cli } from "../_cli.ts";
import {
  browserMissing,
  collectErrors,
  freePort,
  launchBrowser,
  MOVER,
  startViewerWorld,
  walkForward,
} from "./_browser.ts";
import { runDriverContract } from "../driver_contract.ts";

const missing = browserMissing();

const SCENE = `
import { defineSystem, Material, Mesh, MeshShape, Transform, Velocity, Light, LightKind } from "@syncra/std";
export default defineSystem({
  writes: [Transform, Mesh, Material, Velocity, Light], spawns: true,
  init(ctx) {
    ctx.spawn({ Transform: { position: [0, 0, 0] }, Mesh: { shape: MeshShape.Plane, size: [20, 1, 20] },
      Material: { color: [0.3, 0.5, 0.3] } });
    ctx.spawn({ Transform: { position: [-2, 1, 0] }, Mesh: { shape: MeshShape.Box },
      Material: { color: [0.9, 0.2, 0.2] }, Velocity: { linear: [1.5, 0, 0] } });
    ctx.spawn({ Transform: { position: [5, 10, 5] }, Light: { kind: LightKind.Directional } });
    ctx.spawn({ Light: { kind: LightKind.Ambient, intensity: 0.5 } });
  },
});`;
const PLAYER = await Deno.readTextFile(new URL("../../scripts/player.ts", import.meta.url));

type Syncra = {
  connected: boolean;
  entityCount: number;
  tick: number;
  player: number;
  entity(id: number): Record<string, Record<string, unknown>> | null;
  edit(entity: number, component: string, values: Record<string, unknown>): void;
};

Deno.test({
  name: "the page shows the world live, and a key press walks the page's player",
  ignore: missing !== null,
  async fn() {
    await using folder = await makeScripts({
      "scene.ts": SCENE,
      "mover.ts": MOVER,
      "player.ts": PLAYER,
    });
    const { live, port } = await startViewerWorld(folder);
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
    const errors = collectErrors(page);
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(
      () => {
        const s = (globalThis as unknown as { syncra?: Syncra }).syncra;
        return s?.connected && s.entityCount >= 5 && s.player > 0;
      },
      null,
      { timeout: 15_000 },
    );
    // Its own Player included: the 4 scene entities and the page's player.
    const count = await page.evaluate(() =>
      (globalThis as unknown as { syncra: Syncra }).syncra.entityCount
    );
    assert.equal(count, 5);

    // A moving box moves on screen: two screenshots differ.
    const first = await page.locator("canvas").screenshot();
    await page.waitForTimeout(700);
    const second = await page.locator("canvas").screenshot();
    assert.notDeepEqual(first, second, "the picture changed as the box moved");

    // W walks the player forward (-z) through Input → player.ts.
    const { before, after } = await walkForward(page);
    assert.ok(after < before - 0.5, `the player walked from z ${before} to ${after}`);
    // The inspector shows the world's scripts and drivers, and links the world graph.
    await page.waitForFunction(() =>
      (globalThis as unknown as { syncra: { world: unknown } }).syncra.world !== null
    );
    const world = await page.evaluate(() =>
      (globalThis as unknown as {
        syncra: {
          world: { scripts: { name: string; state: string }[]; drivers: { name: string }[] };
        };
      }).syncra.world
    );
    assert.deepEqual(world.scripts.map((x) => [x.name, x.state]).sort(), [
      ["mover", "running"],
      ["player", "running"],
      ["scene", "running"],
    ]);
    assert.deepEqual(world.drivers.map((d) => d.name), ["viewer"]);
    assert.match(await page.locator("#world").innerText(), /system mover\s+running/);
    const graph = await fetch(`http://127.0.0.1:${port}/graph.svg`).then((r) => r.text());
    assert.match(graph, /<svg[^>]*>[\s\S]*mover[\s\S]*<\/svg>/);
    assert.deepEqual(errors, [], "no console errors");
    await page.close();
    // The page's player leaves at the next tick boundary.
    await new Promise((r) => setTimeout(r, 300));
    const run = await live.stop();
    const viewer = run.report.drivers.find((d) => d.name === "viewer")!;
    assert.deepEqual([viewer.state, viewer.violations], ["running", 0], viewer.lastError ?? "");
    assert.ok(
      !run.dump.entities.some((e) => e.components.Player),
      "the page's player left with it",
    );
  },
});

Deno.test({
  name: "the page reconnects by itself after the viewer restarts, and a garbage client is refused",
  ignore: missing !== null,
  async fn() {
    await using folder = await makeScripts({ "scene.ts": SCENE, "mover.ts": MOVER });
    const { live, port } = await startViewerWorld(folder);
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    const synced = () =>
      page.waitForFunction(
        () => {
          const s = (globalThis as unknown as { syncra?: Syncra }).syncra;
          return s?.connected && s.entityCount >= 4;
        },
        null,
        { timeout: 15_000 },
      );
    await synced();

    // A hostile client: binary garbage, then an oversized text frame. Each is closed.
    for (const garbage of [new Uint8Array([1, 2, 3, 255]), "x".repeat(10_000)]) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      const closed = new Promise<number>((resolve) => (ws.onclose = (e) => resolve(e.code)));
      await new Promise((resolve) => (ws.onopen = resolve));
      ws.send(garbage);
      assert.ok([1007, 1009].includes(await closed), "refused");
    }

    const ready = live.events.find((e) => e.type === "ready" && e.script === "viewer");
    if (ready?.type !== "ready") throw new Error("no viewer");
    Deno.kill(ready.pid, "SIGKILL");
    await live.waitFor((e) => e.type === "exit" && e.script === "viewer");
    await live.waitFor(
      (e) => e.type === "ready" && e.script === "viewer" && e.pid !== ready.pid,
      15_000,
    );
    await synced();
    const run = await live.stop();
    const viewer = run.report.drivers.find((d) => d.name === "viewer")!;
    assert.ok(viewer.restarts >= 1);
    assert.equal(run.report.scripts.find((s) => s.name === "mover")!.restarts, 0);
  },
});

Deno.test({
  name: "an inspector edit changes the world with --editable, and is refused without it",
  ignore: missing !== null,
  async fn() {
    for (const editable of [true, false]) {
      await using folder = await makeScripts({ "scene.ts": SCENE });
      const { live, port } = await startViewerWorld(folder, { editable });
      await using browser = await launchBrowser();
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(
        () => {
          const s = (globalThis as unknown as { syncra?: Syncra }).syncra;
          return s?.connected && s.entityCount >= 4;
        },
        null,
        { timeout: 15_000 },
      );
      // The red box (the one Material whose red is above 0.8) is lifted to y 5.
      const box = await page.evaluate(() => {
        const s = (globalThis as unknown as { syncra: Syncra }).syncra;
        for (let id = 1; id < 1 << 24; id++) {
          const e = s.entity(id);
          if ((e?.Material?.color as number[] | undefined)?.[0]! > 0.8) {
            s.edit(id, "Transform", { position: [0, 5, 0] });
            return id;
          }
        }
        return 0;
      });
      assert.ok(box > 0, "found the box");
      await page.waitForTimeout(500);
      const refusals = await page.evaluate(() =>
        (globalThis as unknown as { syncra: { refusals: string[] } }).syncra.refusals
      );
      const run = await live.stop();
      const y = (run.dump.entities.find((e) => e.id === box)!.components.Transform!
        .position as number[])[1];
      if (editable) {
        assert.equal(y, 5, "the edit reached the world");
        assert.deepEqual(refusals, []);
      } else {
        assert.equal(y, 1, "without --editable nothing changed");
        assert.match(refusals[0] ?? "", /without --editable/);
      }
    }
  },
});

const CROWD = (n: number) => `
import { defineSystem, Material, Mesh, MeshShape, Transform, Velocity, Light, LightKind } from "@syncra/std";
export default defineSystem({
  writes: [Transform, Mesh, Material, Velocity, Light], spawns: true,
  init(ctx) {
    ctx.spawn({ Transform: {}, Mesh: { shape: MeshShape.Plane, size: [60, 1, 60] } });
    ctx.spawn({ Transform: { position: [5, 10, 5] }, Light: { kind: LightKind.Directional } });
    for (let i = 0; i < ${n}; i++) {
      ctx.spawn({
        Transform: { position: [(i % 40) - 20, 0.5, -Math.floor(i / 40) - 2], scale: [0.4, 0.4, 0.4] },
        Mesh: { shape: MeshShape.Box },
        Material: { color: [ctx.random(), ctx.random(), ctx.random()] },
        Velocity: { linear: [0, ctx.random(), 0] },
      });
    }
  },
});`;

Deno.test({
  name: "a thousand boxes sharing a mesh are drawn in a handful of draw calls",
  ignore: missing !== null,
  async fn() {
    await using folder = await makeScripts({ "scene.ts": CROWD(1000), "mover.ts": MOVER });
    const { live, port } = await startViewerWorld(folder);
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(
      () => {
        const s = (globalThis as unknown as { syncra?: Syncra & { drawCalls: number } }).syncra;
        return s?.connected && s.entityCount >= 1003 && s.drawCalls > 0;
      },
      null,
      { timeout: 20_000 },
    );
    await page.waitForTimeout(500);
    const { drawCalls, fps } = await page.evaluate(async () => {
      const g = globalThis as unknown as {
        syncra: { drawCalls: number };
        requestAnimationFrame(f: () => void): void;
      };
      const s = g.syncra;
      let frames = 0;
      const start = performance.now();
      await new Promise<void>((done) => {
        const count = () => {
          frames++;
          if (performance.now() - start < 2000) g.requestAnimationFrame(count);
          else done();
        };
        g.requestAnimationFrame(count);
      });
      return { drawCalls: s.drawCalls, fps: (frames * 1000) / (performance.now() - start) };
    });
    console.log(`1000 moving boxes: ${drawCalls} draw calls, ${fps.toFixed(1)} frames/s`);
    assert.ok(drawCalls <= 5, `${drawCalls} draw calls`);
    await live.stop();
  },
});

Deno.test("the viewer meets the driver contract", async (t) => {
  await runDriverContract(t, { name: "viewer", world: { viewer: true, port: freePort() } });
});

Deno.test("explain on the viewer shows the address it serves and the folders it reads", async () => {
  const repo = new URL("../../", import.meta.url).pathname;
  const jail = IN_CI ? ["--jail", "on"] : [];
  const { code, stdout, stderr } = await cli(
    ["explain", "drivers/viewer/viewer.ts", ...jail],
    repo,
  );
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^name\s+viewer$/m);
  assert.match(stdout, /^asks for\s+serve 127\.0\.0\.1:8000; read \.syncra\/viewer, assets$/m);
  assert.match(
    stdout,
    /^command\s+.*--allow-net=127\.0\.0\.1:\d+ .*--allow-read=\S*\.syncra\/viewer/m,
  );
});

Deno.test({
  name: "a hot-reloaded script takes effect in an open page without reloading it",
  ignore: missing !== null,
  async fn() {
    const paint = (color: string, reads = "") => `
      import { defineSystem, Material, Transform } from "@syncra/std";
      export default defineSystem({ writes: [Material], reads: [${reads}], run(ctx) {
        const c = ctx.write(Material).color;
        for (let i = 0; i < ctx.count; i++) c.set(${color}, i * 3);
      } });`;
    await using folder = await makeScripts({ "scene.ts": SCENE, "paint.ts": paint("[1, 0, 0]") });
    const { live, port } = await startViewerWorld(folder, { watch: true });
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    const boxColor = (rgb: number[]) =>
      page.waitForFunction(
        (rgb) => {
          const s = (globalThis as unknown as { syncra?: Syncra }).syncra;
          if (!s?.connected) return false;
          for (let id = 1; id < 70_000; id++) {
            const e = s.entity(id);
            if (e?.Mesh && e.Velocity === undefined) {
              const c = e.Material?.color as number[] | undefined;
              if (c && c.every((v, i) => Math.abs(v - rgb[i]!) < 1e-6)) return true;
            }
          }
          return false;
        },
        rgb,
        { timeout: 15_000 },
      );
    await boxColor([1, 0, 0]);
    const loads = await page.evaluate(() => performance.getEntriesByType("navigation").length);
    // The new version also reads Transform: the world graph is redrawn with that edge.
    const graph = () => fetch(`http://127.0.0.1:${port}/graph.svg`).then((r) => r.text());
    assert.doesNotMatch(await graph(), /Transform flows? into paint|paint reads Transform/);
    await folder.write("paint.ts", paint("[0, 0, 1]", "Transform"));
    await boxColor([0, 0, 1]);
    let svg = "";
    for (let i = 0; i < 40 && !/paint reads Transform/.test(svg); i++) {
      await new Promise((r) => setTimeout(r, 100));
      svg = await graph();
    }
    assert.match(svg, /paint reads Transform/);
    assert.equal(
      await page.evaluate(() => performance.getEntriesByType("navigation").length),
      loads,
      "the page was not reloaded",
    );
    const run = await live.stop();
    assert.equal(run.report.scripts.find((s) => s.name === "paint")!.restarts, 0);
  },
});

/**
 * The page's controls reach scripts (DESIGN §10): dragging the view turns
 * the page's player and the keyboard then walks it the way it looks; a
 * gamepad's left stick walks it; and "Enter VR" with an emulated headset
 * (npm iwer) writes the headset's and controllers' poses to the page's Player
 * and the thumbstick walks it — all through the real world and the example
 * player controller (scripts/player.ts).
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { makeScripts } from "../_world.ts";
import {
  browserMissing,
  collectErrors,
  emulateHeadset,
  launchBrowser,
  startViewerWorld,
} from "./_browser.ts";

const missing = browserMissing();

const PLAYER = await Deno.readTextFile(new URL("../../scripts/player.ts", import.meta.url));
const GROUND = `
import { Camera, defineSystem, Mesh, MeshShape, Transform, Light, LightKind } from "@syncra/std";
export default defineSystem({ writes: [Transform, Mesh, Light, Camera], spawns: true, init(ctx) {
  ctx.spawn({ Transform: {}, Mesh: { shape: MeshShape.Plane, size: [20, 1, 20] } });
  ctx.spawn({ Light: { kind: LightKind.Ambient } });
  ctx.spawn({ Transform: { position: [0, 5, 12] }, Camera: { fov: 50 } });
} });`;

// Says once what a script sees of a tracked player: the poses are the world's, not only the page's.
const POSES = `
import { defineSystem, Player } from "@syncra/std";
let said = false;
export default defineSystem({ reads: [Player], run(ctx) {
  const p = ctx.read(Player);
  for (let i = 0; i < ctx.count; i++) {
    if (!said && p.tracked[i] === 7 && Math.abs(p.headPosition[i * 3] - 0.3) < 0.01) {
      said = true;
      console.log("tracked head at", Array.from(p.headPosition.subarray(i * 3, i * 3 + 3)).join(" "),
        "right hand at", Array.from(p.rightPosition.subarray(i * 3, i * 3 + 3)).join(" "));
    }
  }
} });`;

type Components = Record<string, Record<string, unknown>>;
type Syncra = {
  connected: boolean;
  player: number;
  renderer: string;
  presenting: boolean;
  look: { yaw: number; pitch: number };
  entity(id: number): Components | null;
  enterVr(): Promise<void>;
};

/** The page's own Player entity's components, as the page holds them. */
function own(page: Page): Promise<Components> {
  return page.evaluate(() => {
    const s = (globalThis as unknown as { syncra: Syncra }).syncra;
    return s.entity(s.player)!;
  });
}

const position = (c: Components) => c.Transform!.position as number[];

async function openWorld(prepare: (page: Page) => Promise<void> = async () => {}) {
  const folder = await makeScripts({ "ground.ts": GROUND, "player.ts": PLAYER, "poses.ts": POSES });
  const { live, port } = await startViewerWorld(folder);
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  const errors = collectErrors(page);
  await prepare(page);
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(
    () => {
      const s = (globalThis as unknown as { syncra?: Syncra }).syncra;
      return s?.connected && s.player > 0 && s.entity(s.player)?.Transform !== undefined;
    },
    null,
    { timeout: 15_000 },
  );
  return {
    page,
    errors,
    live,
    async [Symbol.asyncDispose]() {
      await browser.close();
      await live.stop().catch(() => {});
      await folder[Symbol.asyncDispose]();
    },
  };
}

Deno.test({
  name: "dragging the view turns the page's player, and W then walks it the way it looks",
  ignore: missing !== null,
  async fn() {
    await using world = await openWorld();
    const { page, errors } = world;
    // 200 px to the left at 0.005 rad per pixel: a turn of 1 rad to the left.
    await page.mouse.move(300, 300);
    await page.mouse.down();
    await page.mouse.move(100, 300, { steps: 10 });
    await page.mouse.up();
    const look = await page.evaluate(() =>
      (globalThis as unknown as { syncra: Syncra }).syncra.look
    );
    assert.ok(Math.abs(look.yaw - 1) < 0.02, `the page looks 1 rad to the left: ${look.yaw}`);
    // The world hears it: player.ts turns the player's Transform to the look's yaw.
    await page.waitForFunction(
      () => {
        const s = (globalThis as unknown as { syncra: Syncra }).syncra;
        const r = s.entity(s.player)!.Transform!.rotation as number[];
        return Math.abs(r[1]! - Math.sin(0.5)) < 0.02 && Math.abs(r[3]! - Math.cos(0.5)) < 0.02;
      },
      null,
      { timeout: 5000 },
    );

    const before = position(await own(page));
    await page.keyboard.down("KeyW");
    await page.waitForTimeout(800);
    await page.keyboard.up("KeyW");
    await page.waitForTimeout(300);
    const after = position(await own(page));
    const dx = after[0]! - before[0]!, dz = after[2]! - before[2]!;
    // Forward at yaw 1 rad is (-sin 1, 0, -cos 1).
    assert.ok(Math.hypot(dx, dz) > 0.5, `the player walked: ${dx}, ${dz}`);
    const heading = Math.atan2(-dx, -dz);
    assert.ok(Math.abs(heading - 1) < 0.05, `it walked the way it looks: ${heading} rad`);
    assert.deepEqual(errors, [], "no console errors");
  },
});

Deno.test({
  name:
    "V looks from the world's Camera entity, then orbits (a drag then turns the orbit, not the player)",
  ignore: missing !== null,
  async fn() {
    await using world = await openWorld();
    const { page, errors } = world;
    const state = () =>
      page.evaluate(() => {
        const s = (globalThis as unknown as {
          syncra: Syncra & { view: string; eye: number[] };
        }).syncra;
        return { view: s.view, eye: s.eye, yaw: s.look.yaw };
      });
    const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]!) < 0.05);
    const start = await state();
    assert.equal(start.view, "player");
    assert.ok(near(start.eye, [0, 1.6, 6]), `from the player: ${start.eye}`);
    await page.keyboard.press("KeyV");
    await page.waitForTimeout(200);
    const lens = await state();
    assert.equal(lens.view, "camera");
    assert.ok(near(lens.eye, [0, 5, 12]), `from the world's camera: ${lens.eye}`);
    await page.keyboard.press("KeyV");
    await page.mouse.move(300, 300);
    await page.mouse.down();
    await page.mouse.move(150, 260, { steps: 8 });
    await page.mouse.up();
    await page.waitForTimeout(200);
    const orbit = await state();
    assert.equal(orbit.view, "orbit");
    assert.ok(!near(orbit.eye, lens.eye), `the drag moved the orbit: ${orbit.eye}`);
    assert.equal(orbit.yaw, 0, "and not the player's look");
    assert.match(await page.locator("#view-mode").innerText(), /view: orbit/);
    await page.keyboard.press("KeyV");
    await page.waitForTimeout(200);
    assert.ok(near((await state()).eye, [0, 1.6, 6]), "back at the player");
    assert.deepEqual(errors, [], "no console errors");
  },
});

Deno.test({
  name: "a gamepad's left stick walks the page's player",
  ignore: missing !== null,
  async fn() {
    await using world = await openWorld(async (page) => {
      // A standard-mapping pad, its left stick pushed forward once the test says so.
      await page.addInitScript(() => {
        const pad = {
          id: "test pad",
          index: 0,
          connected: true,
          mapping: "standard",
          axes: [0, 0, 0, 0],
          buttons: Array.from({ length: 17 }, () => ({ pressed: false, touched: false, value: 0 })),
          timestamp: 0,
        };
        (globalThis as unknown as { testPad: typeof pad }).testPad = pad;
        Object.defineProperty(navigator, "getGamepads", { value: () => [pad] });
      });
    });
    const { page, errors } = world;
    const before = position(await own(page));
    await page.evaluate(() => {
      (globalThis as unknown as { testPad: { axes: number[] } }).testPad.axes = [0, -1, 0, 0];
    });
    await page.waitForTimeout(800);
    await page.evaluate(() => {
      (globalThis as unknown as { testPad: { axes: number[] } }).testPad.axes = [0, 0, 0, 0];
    });
    await page.waitForTimeout(300);
    const after = position(await own(page));
    assert.ok(
      after[2]! < before[2]! - 0.5,
      `the stick walked it forward: z ${before[2]} → ${after[2]}`,
    );
    assert.ok(Math.abs(after[0]! - before[0]!) < 0.05, "and not sideways");
    assert.deepEqual(errors, [], "no console errors");
  },
});

Deno.test({
  name:
    "Enter VR with an emulated headset writes its poses to the page's Player, and the thumbstick walks",
  ignore: missing !== null,
  async fn() {
    await using world = await openWorld(emulateHeadset);
    const { page, errors, live } = world;
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { syncra: Syncra }).syncra.renderer),
      "webxr",
    );
    const button = page.locator("#enter-vr");
    assert.equal(await button.isVisible(), true, "the page offers Enter VR");
    await button.click();
    await page.waitForFunction(
      () => (globalThis as unknown as { syncra: Syncra }).syncra.presenting,
      null,
      { timeout: 5000 },
    ).catch(async (error) => {
      throw new Error(`not in VR: ${await page.locator("#status").innerText()} ${errors}`, {
        cause: error,
      });
    });
    // Move the headset and the right controller; the world's Player follows.
    await page.evaluate(() => {
      const d = (globalThis as unknown as {
        xrDevice: {
          position: { set(x: number, y: number, z: number): void };
          controllers: { right: { position: { set(x: number, y: number, z: number): void } } };
        };
      }).xrDevice;
      d.position.set(0.3, 1.2, -0.1);
      d.controllers.right.position.set(0.25, 0.9, -0.4);
    });
    await page.waitForFunction(
      () => {
        const s = (globalThis as unknown as { syncra: Syncra }).syncra;
        const p = s.entity(s.player)!.Player!;
        const head = p.headPosition as number[];
        // iwer's headset starts at 1.6 m: the tracking origin ("local") is where it started.
        return p.tracked === 7 && Math.abs(head[0]! - 0.3) < 0.01 &&
          Math.abs(head[1]! + 0.4) < 0.01;
      },
      null,
      { timeout: 5000 },
    ).catch(async (error) => {
      const sent = await page.evaluate(() =>
        (globalThis as unknown as { syncra: { poses: string } }).syncra.poses
      );
      const viewer = live.events.filter((e) => "script" in e && e.script === "viewer");
      throw new Error(
        `Player: ${JSON.stringify((await own(page)).Player)}, sent ${sent}; viewer: ${
          JSON.stringify(viewer.slice(-5))
        }`,
        {
          cause: error,
        },
      );
    });
    const player = (await own(page)).Player!;
    console.log(`Player in VR: ${JSON.stringify(player)}`);
    // The controller went to 0.9 m (0.7 m below the origin); its grip sits a little off its ray.
    const right = player.rightPosition as number[];
    assert.ok(Math.abs(right[1]! + 0.7) < 0.05, `the right controller's pose: ${right}`);

    // The left thumbstick forward walks the player where the head faces (-z).
    const before = position(await own(page));
    await page.evaluate(() => {
      (globalThis as unknown as {
        xrDevice: { controllers: { left: { updateAxes(id: string, x: number, y: number): void } } };
      }).xrDevice.controllers.left.updateAxes("thumbstick", 0, -1);
    });
    await page.waitForTimeout(800);
    await page.evaluate(() => {
      (globalThis as unknown as {
        xrDevice: { controllers: { left: { updateAxes(id: string, x: number, y: number): void } } };
      }).xrDevice.controllers.left.updateAxes("thumbstick", 0, 0);
    });
    await page.waitForTimeout(300);
    const after = position(await own(page));
    assert.ok(
      after[2]! < before[2]! - 0.5,
      `the thumbstick walked it: z ${before[2]} → ${after[2]}`,
    );

    // The poses are the world's, not only the page's: a script read them.
    await live.waitFor((e) =>
      e.type === "log" && e.script === "poses" && /tracked head/.test(e.text)
    );
    const said = live.events.find((e) => e.type === "log" && e.script === "poses");
    assert.match(
      (said as { text: string }).text,
      /tracked head at 0\.3\d* -0\.4\d* -0\.1\d* right hand at 0\.2\d* -0\.7/,
    );
    assert.deepEqual(errors, [], "no console errors");
  },
});

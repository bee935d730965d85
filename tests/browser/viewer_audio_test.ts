/**
 * The viewer's positional audio in a real browser: the page renders the
 * world's AudioSources itself with WebAudio (an HRTF PannerNode per source,
 * the "inverse" distance model) heard from its camera. Rendered through an
 * OfflineAudioContext in headless Chromium, a tone on the camera's left is
 * louder in the left channel, and one on its right in the right; a source
 * that is not playing is silence; and the "sound on" button starts the live
 * AudioContext (the user gesture browsers require).
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { makeScripts } from "../_world.ts";
import { browserMissing, collectErrors, launchBrowser, startViewerWorld } from "./_browser.ts";

const missing = browserMissing();

// The page's player starts at (0, 1.6, 6) looking down -z: one tone 2 m to its left, one 2 m to its
// right, a little ahead; only the left one plays until the test edits them.
const SCENE = `
import { AudioSource, defineSystem, Transform } from "@syncra/std";
export default defineSystem({
  queries: { sources: { writes: [Transform, AudioSource] } }, spawns: true,
  init(ctx) {
    ctx.spawn({ Transform: { position: [-2, 1.6, 5.5] }, AudioSource: { tone: 1000, playing: true } });
    ctx.spawn({ Transform: { position: [2, 1.6, 5.5] }, AudioSource: { tone: 1000, playing: false } });
  },
});`;

type Levels = { left: number; right: number; peak: number };
type Syncra = {
  connected: boolean;
  ids: number[];
  entity(id: number): Record<string, Record<string, unknown>> | null;
  edit(entity: number, component: string, values: Record<string, unknown>): void;
  audio: { state: string; sources: number; render(seconds?: number): Promise<Levels> };
};

/** The page renders half a second of what it plays now (failing, not hanging, past 20 s). */
const render = (page: Page) =>
  page.evaluate(() =>
    Promise.race([
      (globalThis as unknown as { syncra: Syncra }).syncra.audio.render(0.5),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("the offline render took over 20 s")), 20_000)
      ),
    ])
  );

/** The sources' ids, left one first (by x). */
const sourcesOf = (page: Page) =>
  page.evaluate(() => {
    const s = (globalThis as unknown as { syncra: Syncra }).syncra;
    return s.ids.filter((id) => s.entity(id)?.AudioSource).sort((a, b) =>
      (s.entity(a)!.Transform!.position as number[])[0]! -
      (s.entity(b)!.Transform!.position as number[])[0]!
    );
  });

const fmt = (l: Levels) => `L ${l.left.toFixed(4)} R ${l.right.toFixed(4)}`;

Deno.test({
  name:
    "the page's HRTF audio, rendered offline, is louder left for a source on the left and louder right for one on the right",
  ignore: missing !== null,
  async fn() {
    await using folder = await makeScripts({ "scene.ts": SCENE });
    const { live, port } = await startViewerWorld(folder, { editable: true });
    try {
      await using browser = await launchBrowser();
      const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
      // A click or a read that cannot happen fails the test rather than hanging it.
      page.setDefaultTimeout(20_000);
      const errors = collectErrors(page);
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(
        () => {
          const s = (globalThis as unknown as { syncra?: Syncra }).syncra;
          return s?.connected && s.audio.sources === 2 &&
            s.ids.some((id) => s.entity(id)?.AudioSource && s.entity(id)?.Transform);
        },
        null,
        { timeout: 20_000 },
      );
      // A frame or two so the page has placed its camera and the sources.
      await page.waitForTimeout(300);
      const [left, right] = await sourcesOf(page);
      assert.ok(left && right, "both sources reached the page");

      const onLeft = await render(page);
      console.log(`left source playing: ${fmt(onLeft)}`);
      assert.ok(onLeft.left > 0.01, `it is heard: ${fmt(onLeft)}`);
      assert.ok(onLeft.left > 1.5 * onLeft.right, `louder on the left: ${fmt(onLeft)}`);

      await page.evaluate(([l, r]) => {
        const s = (globalThis as unknown as { syncra: Syncra }).syncra;
        s.edit(l!, "AudioSource", { playing: false });
        s.edit(r!, "AudioSource", { playing: true });
      }, [left, right]);
      await page.waitForFunction(
        ([l, r]) => {
          const s = (globalThis as unknown as { syncra: Syncra }).syncra;
          return s.entity(l!)?.AudioSource?.playing === false &&
            s.entity(r!)?.AudioSource?.playing === true;
        },
        [left, right],
        { timeout: 10_000 },
      );
      const onRight = await render(page);
      console.log(`right source playing: ${fmt(onRight)}`);
      assert.ok(onRight.right > 1.5 * onRight.left, `louder on the right: ${fmt(onRight)}`);
      assert.ok(
        Math.abs(onRight.right - onLeft.left) < 0.2 * onLeft.left,
        `mirror images: ${fmt(onLeft)} / ${fmt(onRight)}`,
      );

      await page.evaluate((r) => {
        (globalThis as unknown as { syncra: Syncra }).syncra.edit(r, "AudioSource", {
          playing: false,
        });
      }, right!);
      await page.waitForFunction(
        (r) => {
          const s = (globalThis as unknown as { syncra: Syncra }).syncra;
          return s.entity(r)?.AudioSource?.playing === false;
        },
        right!,
        { timeout: 10_000 },
      );
      const quiet = await render(page);
      assert.equal(quiet.peak, 0, `nothing playing is silence: ${fmt(quiet)}`);

      // Sound starts on a click (the browser's autoplay policy): the button says so.
      const button = page.locator("#sound");
      assert.match(await button.innerText(), /sound on/);
      await button.click();
      await page.waitForFunction(
        () => (globalThis as unknown as { syncra: Syncra }).syncra.audio.state === "running",
        null,
        { timeout: 10_000 },
      );
      assert.match(await button.innerText(), /sound off/);
      assert.deepEqual(errors, [], "no console errors");
    } finally {
      await live.stop();
    }
  },
});

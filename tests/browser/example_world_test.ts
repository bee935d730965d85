/**
 * What a newcomer meets: the example world (this repository's scripts/,
 * assets/ and syncra.json) in the viewer. The page shows the scene with its
 * glTF trees, the fountain and the door, and the keyboard walks the page's
 * player through scripts/player.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { copy } from "./_copy.ts";
import { makeScripts } from "../_world.ts";
import {
  browserMissing,
  collectErrors,
  launchBrowser,
  startViewerWorld,
  walkForward,
} from "./_browser.ts";

const missing = browserMissing();
const REPO = new URL("../../", import.meta.url).pathname;

type Syncra = {
  connected: boolean;
  entityCount: number;
  player: number;
  models: { loaded: number; failed: Record<string, string> };
  entity(id: number): Record<string, Record<string, unknown>> | null;
};

Deno.test({
  name: "the example world in the viewer: its scene and glTF trees are drawn, and W walks",
  ignore: missing !== null,
  async fn() {
    await using folder = await makeScripts({});
    await copy(join(REPO, "scripts"), folder.scripts);
    await copy(join(REPO, "assets"), join(folder.root, "assets"));
    await Deno.copyFile(join(REPO, "syncra.json"), join(folder.root, "syncra.json"));
    const { live, port } = await startViewerWorld(folder);
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
    const errors = collectErrors(page);
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(
      () => {
        const s = (globalThis as unknown as { syncra?: Syncra }).syncra;
        return s?.connected && s.player > 0 && s.models.loaded === 4;
      },
      null,
      { timeout: 20_000 },
    );
    const failed = await page.evaluate(() =>
      (globalThis as unknown as { syncra: Syncra }).syncra.models.failed
    );
    assert.deepEqual(failed, {}, "every model loaded");
    const { before, after } = await walkForward(page, 700);
    assert.ok(after < before - 0.5, `W walked the page's player forward: z ${before} → ${after}`);
    assert.deepEqual(errors, [], "no console errors");
    const run = await live.stop();
    for (const s of run.report.scripts) {
      assert.equal(s.violations, 0, `${s.name} ran without violations`);
    }
  },
});

/**
 * Voice chat between pages that joined a world (DESIGN §11): two pages open
 * with `?join=…&voice=1` in two browser profiles of headless Chromium, whose
 * fake microphone beeps (20 ms every half second). Each page encodes its
 * microphone to Opus with WebCodecs and sends it as voice frames; the
 * network driver relays them to the others in range; the other page decodes
 * them and plays them through an HRTF panner at the speaker's avatar — its
 * output is not silence. A client on the wire that asked for voice hears
 * the page too: its frames name the page's entity, and decode (Opus) to the
 * beep.
 *
 * Where /usr/bin/chromium is missing the test is skipped, except in CI
 * (SYNCRA_CI=1), where that fails.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import OpusScript from "opusscript";
import type { BrowserContext, Page } from "playwright-core";
import { positionOf, TestClient, tokenFor } from "../_network.ts";
import { joinedPageSetup } from "./_joined_page.ts";
import { browserMissing, collectErrors, walkForward } from "./_browser.ts";

const missing = browserMissing();

/** A box before the spawn point: something to see. */
const SCENE = `
import { defineSystem, Mesh, MeshShape, Transform } from "@syncra/std";
export default defineSystem({
  writes: [Transform, Mesh], spawns: true,
  init(ctx) { ctx.spawn({ Transform: { position: [0, 1, 2] }, Mesh: { shape: MeshShape.Box } }); },
});`;
const PLAYER = await Deno.readTextFile(new URL("../../scripts/player.ts", import.meta.url));

/** Chromium's fake microphone (a beep), granted without asking. */
const FAKE_MICROPHONE = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"];

type Voice = {
  mic: string;
  hear: string;
  sent: number;
  received: number;
  decoded: number;
  late: number;
  gaps: number;
  speakers: Record<string, number>;
  level: number;
  peak: number;
};
type Syncra = {
  connected: boolean;
  player: number;
  entity(id: number): Record<string, Record<string, unknown>> | null;
  audio: { state: string };
  voice: Voice | null;
};

/** Waits until the page holds `what` (its syncra as `s`), for up to `timeout` ms. */
async function pageUntil(page: Page, what: string, timeout = 10_000): Promise<void> {
  await page.waitForFunction(
    `(() => { const s = globalThis.syncra; return s !== undefined && (${what}); })()`,
    null,
    { timeout },
  ).catch(async (error) => {
    const status = await page.locator("#status").innerText().catch(() => "?");
    const voice = await page.evaluate(() =>
      JSON.stringify((globalThis as unknown as { syncra?: Syncra }).syncra?.voice)
    ).catch(() => "?");
    throw new Error(`The page never held ${what}: ${status} ${voice}`, { cause: error });
  });
}

const voiceOf = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { syncra: Syncra }).syncra.voice!);
const playerOf = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { syncra: Syncra }).syncra.player);

/** A client on the wire that joined asking for voice, keeping what it hears: [speaker, seq, Opus]. */
async function voiceClient(world: { url: string; caPath: string }, token: string) {
  const client = new TestClient(world.url, world.caPath);
  const heard: [number, number, Uint8Array][] = [];
  client.socket.addEventListener("message", (event) => {
    if (typeof event.data === "string") return;
    const bytes = new Uint8Array(event.data as ArrayBuffer);
    if (bytes[0] !== 3) return;
    const view = new DataView(bytes.buffer);
    heard.push([view.getUint32(1, true), view.getUint32(5, true), bytes.slice(9)]);
  });
  await client.opened;
  client.send({ t: "join", token, voice: true });
  await client.until(() => client.hello !== null, "the client's hello");
  return { client, heard };
}

Deno.test({
  name:
    "two pages joined with &voice=1 hear each other: the fake microphone, Opus over the network driver, decoded and played at the speaker's avatar; a client on the wire hears the page too",
  ignore: missing !== null,
  async fn() {
    const started = performance.now();
    await using stack = new AsyncDisposableStack();
    const { folder, world, browser, port, pageUrl: joinUrl } = stack.use(
      await joinedPageSetup({ "scene.ts": SCENE, "player.ts": PLAYER }, FAKE_MICROPHONE),
    );
    const pageUrl = (token: string) => joinUrl(token, world.url, "&voice=1");

    // A headless listener first, so it hears the pages from their first frame.
    const cat = await voiceClient(world, await tokenFor(folder, "cat"));
    stack.defer(() => cat.client.close());

    // Two people: a browser profile each, the microphone allowed.
    const open = async (name: string) => {
      const context: BrowserContext = await browser.newContext({
        viewport: { width: 640, height: 480 },
      });
      await context.grantPermissions(["microphone"], { origin: `http://127.0.0.1:${port}` });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      const errors = collectErrors(page);
      await page.goto(pageUrl(await tokenFor(folder, name)));
      await pageUntil(page, "s.connected && s.player > 0 && s.voice !== null");
      // A click: the gesture a browser may wait for before it plays sound.
      await page.locator("#status").click();
      return { page, errors };
    };
    const ann = await open("ann"), ben = await open("ben");
    const annId = await playerOf(ann.page), benId = await playerOf(ben.page);
    assert.notEqual(annId, benId);

    // Each holds the other's avatar; ann walks a few steps ahead of ben, to be heard from there.
    await pageUntil(ann.page, `s.entity(${benId})?.Player !== undefined`);
    await pageUntil(ben.page, `s.entity(${annId})?.Player !== undefined`);
    const walk = await walkForward(ann.page, 600);
    assert.ok(walk.after < walk.before - 0.5, `ann walked from z ${walk.before} to ${walk.after}`);
    await cat.client.until(
      () => (positionOf(cat.client, annId)?.[2] ?? 99) < walk.before - 0.5,
      "the client seeing ann walk",
    );

    // Ben hears ann: frames received from her entity, decoded, and what plays is not silence.
    await pageUntil(
      ben.page,
      `s.voice.speakers[${annId}] >= 50 && s.voice.decoded >= 50 && s.voice.level > 0.005`,
      15_000,
    );
    const heard = await voiceOf(ben.page);
    const spoke = await voiceOf(ann.page);
    console.log(
      `ann sent ${spoke.sent}; ben received ${heard.received} (from ann ${
        heard.speakers[annId]
      }), decoded ${heard.decoded}, late ${heard.late}, gaps ${heard.gaps}, level ${
        heard.level.toFixed(4)
      }, ` +
        `peak ${heard.peak.toFixed(4)}; ann received ${spoke.received}, level ${
          spoke.level.toFixed(4)
        }`,
    );
    assert.equal(spoke.mic, "on");
    assert.equal(heard.hear, "on");
    assert.ok(spoke.sent >= 50, `ann sent ${spoke.sent} frames`);
    assert.deepEqual(Object.keys(heard.speakers), [String(annId)], "ben hears only ann");
    assert.ok(heard.late <= heard.received / 10, `${heard.late} of ${heard.received} came late`);
    assert.equal(
      await ben.page.evaluate(() =>
        (globalThis as unknown as { syncra: Syncra }).syncra.audio.state
      ),
      "running",
    );
    // And the other way round: ann hears ben.
    await pageUntil(ann.page, `s.voice.speakers[${benId}] >= 20`);

    // The client on the wire hears ann's frames, in order, and they decode to her beep.
    await cat.client.until(
      () => cat.heard.filter(([speaker]) => speaker === annId).length >= 50,
      `50 frames from ann (got ${cat.heard.length})`,
    );
    const fromAnn = cat.heard.filter(([speaker]) => speaker === annId);
    const seqs = fromAnn.map(([, seq]) => seq);
    assert.ok(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!), "sequences increase");
    assert.ok(cat.heard.every(([speaker]) => speaker === annId || speaker === benId));
    const decoder = new OpusScript(48_000, 1, OpusScript.Application.VOIP);
    let loudest = 0;
    try {
      for (const [, , opus] of fromAnn) {
        const pcm = new Int16Array(Uint8Array.from(decoder.decode(Buffer.from(opus))).buffer);
        let sum = 0;
        for (const v of pcm) sum += v * v;
        loudest = Math.max(loudest, Math.sqrt(sum / Math.max(1, pcm.length)));
      }
    } finally {
      decoder.delete();
    }
    assert.ok(loudest > 1000, `the loudest 20 ms of ann's voice has RMS ${loudest.toFixed(0)}`);

    // Voice frames never reached the transform decoder: the box and the avatars are where they are.
    const box = await ben.page.evaluate(() => {
      const s = (globalThis as unknown as { syncra: Syncra & { ids: number[] } }).syncra;
      return s.ids.map((id) => s.entity(id)!).find((e) => e.Mesh)?.Transform?.position;
    });
    assert.deepEqual(box, [0, 1, 2]);
    assert.deepEqual(cat.client.refusals, []);
    assert.doesNotMatch(world.output(), /refused/);
    assert.deepEqual(ann.errors, [], "no console errors on ann's page");
    assert.deepEqual(ben.errors, [], "no console errors on ben's page");
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 60, `it took ${seconds.toFixed(1)} s`);
  },
});

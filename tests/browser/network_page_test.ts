/**
 * The viewer's page joins a world served by the network driver (DESIGN §11):
 * opened from one world's viewer with `?join=wss://…&token=…`, it shows
 * another world, served with `--network` by the real CLI over TLS (Chromium
 * trusts the development certificate's key by its SPKI fingerprint). It
 * holds that world's boxes and follows the moving one, its avatar walks
 * there by its keys and a client on the wire sees it; a refused token, or
 * the same name joining elsewhere, ends it with the reason in its status and
 * no reconnect loop.
 *
 * Where /usr/bin/chromium is missing the tests are skipped, except in CI
 * (SYNCRA_CI=1), where that fails.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { positionOf, TestClient, tokenFor } from "../_network.ts";
import { joinedPageSetup } from "./_joined_page.ts";
import { browserMissing, collectErrors, MOVER, walkForward } from "./_browser.ts";

const missing = browserMissing();

/** Two boxes before the spawn point: "still", and "moving" along +x at 0.5 m/s. */
const SCENE = `
import { defineComponent, defineSystem, Mesh, MeshShape, Transform, Velocity } from "@syncra/std";
export const Label = defineComponent("Label", { text: "text" }, { replicate: true });
export default defineSystem({
  writes: [Transform, Mesh, Label, Velocity], spawns: true,
  init(ctx) {
    ctx.spawn({ Transform: { position: [-1, 1, 2] }, Mesh: { shape: MeshShape.Box }, Label: { text: "still" } });
    ctx.spawn({ Transform: { position: [1, 1, 2] }, Mesh: { shape: MeshShape.Box }, Label: { text: "moving" },
      Velocity: { linear: [0.5, 0, 0] } });
  },
});`;
const PLAYER = await Deno.readTextFile(new URL("../../scripts/player.ts", import.meta.url));

type Components = Record<string, Record<string, unknown>>;
type Syncra = {
  connected: boolean;
  entityCount: number;
  player: number;
  joined: string | null;
  ended: string | null;
  refusals: string[];
  ids: number[];
  entity(id: number): Components | null;
};

/** What the page holds now: its state and every entity's components. */
function held(page: Page) {
  return page.evaluate(() => {
    const s = (globalThis as unknown as { syncra: Syncra }).syncra;
    return {
      connected: s.connected,
      entityCount: s.entityCount,
      player: s.player,
      joined: s.joined,
      ended: s.ended,
      refusals: s.refusals,
      entities: Object.fromEntries(s.ids.map((id) => [id, s.entity(id)!])) as Record<
        string,
        Components
      >,
    };
  });
}

/** The id of the entity labelled `text` among `entities`, or 0. */
function labelled(entities: Iterable<[number | string, Components]>, text: string): number {
  for (const [id, e] of entities) if (e.Label?.text === text) return Number(id);
  return 0;
}

/** Waits until the page holds `what` (its syncra), for up to `timeout` ms. */
async function pageUntil(page: Page, what: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction(
    `(() => { const s = globalThis.syncra; return s !== undefined && (${what}); })()`,
    null,
    { timeout },
  ).catch(async (error) => {
    const status = await page.locator("#status").innerText();
    throw new Error(`The page never held ${what}: ${status}`, { cause: error });
  });
}

Deno.test({
  name:
    "a page opened with ?join= shows the served world: its boxes, the moving one following it, and an avatar a client on the wire sees walk",
  ignore: missing !== null,
  async fn() {
    await using setup = await joinedPageSetup({
      "scene.ts": SCENE,
      "mover.ts": MOVER,
      "player.ts": PLAYER,
    });
    const { folder, world, browser } = setup;
    const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
    const errors = collectErrors(page);
    const sockets: string[] = [];
    page.on("websocket", (ws) => sockets.push(ws.url()));
    await page.goto(setup.pageUrl(await tokenFor(folder, "alice")));
    // The two boxes and its own Player (a joined world always sends a client its own avatar).
    await pageUntil(page, "s.connected && s.player > 0 && s.entityCount >= 3");
    const first = await held(page);
    assert.equal(first.joined, world.url);
    assert.equal(first.ended, null);
    assert.equal(first.entityCount, 3, JSON.stringify(first.entities));
    const entities = Object.entries(first.entities);
    const still = labelled(entities, "still"), moving = labelled(entities, "moving");
    assert.ok(still > 0 && moving > 0, JSON.stringify(first.entities));
    assert.equal(first.entities[still]!.Mesh!.shape, 0, "a box");
    assert.deepEqual(first.entities[still]!.Transform!.position, [-1, 1, 2]);
    assert.ok(first.entities[first.player]!.Player, "its own Player");
    assert.deepEqual(sockets, [world.url], "it connected to the world it joined, not /ws");

    // Another client on the wire sees the page's avatar, and the page sees the client's.
    const watcher = await TestClient.join(world, await tokenFor(folder, "watcher"));
    try {
      await watcher.until(() => watcher.entities.has(first.player), "the page's avatar");
      assert.ok(watcher.entities.get(first.player)!.Player, "a Player");
      await pageUntil(page, `s.entity(${watcher.player})?.Player !== undefined`);

      // The moving box is where the served world has it: the page and the client agree.
      const at = () =>
        page.evaluate(
          (id) =>
            (globalThis as unknown as { syncra: Syncra }).syncra.entity(id)!.Transform!
              .position as number[],
          moving,
        );
      await watcher.until(() => positionOf(watcher, moving) !== null, "the moving box");
      const before = await at();
      await page.waitForTimeout(1000);
      const after = await at();
      const truth = positionOf(watcher, moving)!;
      assert.ok(
        after[0]! - before[0]! > 0.3 && after[0]! - before[0]! < 0.7,
        `it moved from x ${before[0]} to ${after[0]} in a second, at 0.5 m/s`,
      );
      assert.ok(
        Math.abs(after[0]! - truth[0]!) < 0.1,
        `the page has it at x ${after[0]}, the client at ${truth[0]}`,
      );

      // Its keys are its Player's Input there: player.ts walks it, and the client sees it walk.
      const seenBefore = positionOf(watcher, first.player)![2]!;
      const walk = await walkForward(page);
      assert.ok(walk.after < walk.before - 0.5, `it walked from z ${walk.before} to ${walk.after}`);
      await watcher.until(
        () => positionOf(watcher, first.player)![2]! < seenBefore - 0.5,
        `the client seeing it walk from z ${seenBefore}`,
      );
      const last = await held(page);
      assert.equal(last.connected, true);
      assert.deepEqual(last.refusals, [], "the world refused none of its input");
      assert.deepEqual(watcher.refusals, []);
      assert.equal(watcher.closed, null);
      assert.doesNotMatch(world.output(), /refused/);
      assert.deepEqual(sockets, [world.url], "one connection all along");
      assert.deepEqual(errors, [], "no console errors");
    } finally {
      await watcher.close();
    }
  },
});

/**
 * A TCP relay on loopback to `port` (TLS passes through it untouched) whose
 * connections `cut()` drops at once, as a network would.
 */
function relay(port: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const pipes: Promise<unknown>[] = [];
  const accepting = (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.add(client).add(server);
      pipes.push(Promise.allSettled([
        client.readable.pipeTo(server.writable),
        server.readable.pipeTo(client.writable),
      ]));
    }
  })().catch(() => {});
  const cut = () => {
    for (const conn of conns) {
      try {
        conn.close();
      } catch { /* closed by its pipe already */ }
    }
    conns.clear();
  };
  return {
    url: `wss://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`,
    cut,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      cut();
      await Promise.all(pipes);
    },
  };
}

Deno.test({
  name:
    "a joined page reconnects with its token to the same Player; a refused token, or its name joining again elsewhere, ends it with the reason in its status and no reconnect loop",
  ignore: missing !== null,
  async fn() {
    await using setup = await joinedPageSetup({ "scene.ts": SCENE });
    const { folder, world, browser } = setup;
    const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
    const sockets: string[] = [];
    page.on("websocket", (ws) => sockets.push(ws.url()));

    // Through a relay the test cuts: the page comes back by itself, to the same Player.
    await using cable = relay(Number(new URL(world.url).port));
    const token = await tokenFor(folder, "bob");
    await page.goto(setup.pageUrl(token, cable.url));
    await pageUntil(page, "s.connected && s.entityCount === 3");
    const { player } = await held(page);
    cable.cut();
    await pageUntil(page, "!s.connected");
    await pageUntil(page, "s.connected && s.entityCount === 3");
    const back = await held(page);
    assert.equal(back.player, player, "the same Player after the reconnect");
    assert.equal(back.ended, null);
    assert.deepEqual(sockets, [cable.url, cable.url]);

    // Its name joining again elsewhere: the page gives way (coming back would throw that out).
    sockets.length = 0;
    const again = await TestClient.join(world, token);
    try {
      await again.until(() => again.hello !== null, "the second join's hello");
      assert.equal(again.player, player, "the same name gets the same Player");
      await pageUntil(page, "s.ended !== null");
      await page.waitForTimeout(1500); // past a few reconnects' backoff, were there any
      assert.match(await page.locator("#status").innerText(), /^left: joined again elsewhere/);
      assert.deepEqual(sockets, [], "no reconnect");
      assert.equal(again.closed, null, "the page did not come back to throw the client out");
    } finally {
      await again.close();
    }

    // A refused token: said in the status, and tried once.
    sockets.length = 0;
    await page.goto(setup.pageUrl("syncra1.not.real"));
    await pageUntil(page, "s.ended !== null");
    await page.waitForTimeout(1500);
    assert.match(
      await page.locator("#status").innerText(),
      /^refused: token refused: its payload or signature/,
    );
    const refused = await held(page);
    assert.deepEqual([refused.connected, refused.player, refused.entityCount], [false, 0, 0]);
    assert.equal(sockets.length, 1, `one connection, not a loop: ${sockets}`);

    // A ?join= that is no world's address is said as such, and nothing connects.
    sockets.length = 0;
    await page.goto(setup.pageUrl("x", "https://127.0.0.1:1/"));
    await pageUntil(page, "s.ended !== null");
    assert.match(await page.locator("#status").innerText(), /a world is joined over wss:\/\//);
    assert.deepEqual(sockets, []);
  },
});

/**
 * Multi-user worlds (DESIGN §11) through real processes: a world served by
 * the CLI with `--network`, clients on the wire over TLS with real tokens,
 * and a headless `deno task world --join` instance mirroring the world into
 * its own ECS.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeScripts, type TestFolder } from "./_world.ts";
import { cli } from "./_cli.ts";
import { joinCli, positionOf, startNetworkWorld, TestClient, tokenFor } from "./_network.ts";
import OpusScript from "opusscript";
import { Buffer } from "node:buffer";

/**
 * The scene: three boxes; A moves to x = 5 at tick 30, D is spawned at tick
 * 40 and B despawned at tick 50; a private component never leaves.
 */
const SCENE = `
import { defineComponent, defineSystem, Mesh, MeshShape, Transform } from "@syncra/std";
export const Secret = defineComponent("Secret", { pin: "u32" });
export const Label = defineComponent("Label", { text: "text" }, { replicate: true });
export default defineSystem({
  writes: [Transform, Mesh, Label, Secret], spawns: true,
  init(ctx) {
    for (const [x, text] of [[0, "A"], [1, "B"], [2, "C"]]) {
      ctx.spawn({ Transform: { position: [x, 1, 0] }, Mesh: { shape: MeshShape.Box }, Label: { text }, Secret: { pin: 1234 } });
    }
  },
  run(ctx) {
    const label = ctx.read(Label).text;
    const p = ctx.write(Transform).position;
    for (let i = 0; i < ctx.count; i++) {
      if (label[i] === "A" && ctx.tick === 30) p[i * 3] = 5;
      if (label[i] === "B" && ctx.tick === 50) ctx.despawn(ctx.entities[i]);
    }
    if (ctx.tick === 40) ctx.spawn({ Transform: { position: [3, 1, 0] }, Mesh: { shape: MeshShape.Box }, Label: { text: "D" } });
  },
});`;

/** A client instance's own script: it reads the mirrored boxes like its own. */
const LOOKER = `
import { defineSystem, Mesh, Transform } from "@syncra/std";
export default defineSystem({
  reads: [Mesh, Transform],
  run(ctx) {
    if (ctx.tick % 20 !== 0) return;
    const p = ctx.read(Transform).position;
    let maxX = 0;
    for (let i = 0; i < ctx.count; i++) maxX = Math.max(maxX, p[i * 3]);
    ctx.log("sees", ctx.count, "boxes, the farthest at x", maxX.toFixed(3));
  },
});`;

/** Labels of the entities a client holds, sorted. */
function labels(client: TestClient): string[] {
  return [...client.entities.values()].flatMap((e) => e.Label ? [String(e.Label.text)] : []).sort();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sceneFolder(config: Record<string, unknown> = {}): Promise<TestFolder> {
  const folder = await makeScripts({ "scene.ts": SCENE });
  await Deno.mkdir(join(folder.root, "assets"));
  await Deno.writeTextFile(join(folder.root, "assets", "hello.txt"), "hi");
  await Deno.writeTextFile(join(folder.root, "assets", ".hidden"), "no");
  await Deno.writeTextFile(join(folder.root, "syncra.json"), JSON.stringify(config));
  return folder;
}

Deno.test("--network prints exactly its wss:// line and serves only TLS; a client with a token gets the replicated world and nothing private", async () => {
  await using folder = await sceneFolder();
  await using world = await startNetworkWorld(folder);
  assert.match(world.output(), /^network: wss:\/\/127\.0\.0\.1:\d+\/$/m);
  const port = new URL(world.url).port;
  // A plain WebSocket or HTTP connection never gets an answer: the port speaks only TLS.
  const plain = new WebSocket(`ws://127.0.0.1:${port}/`);
  const plainEnd = await new Promise<string>((resolve) => {
    plain.onopen = () => resolve("open");
    plain.onerror = () => resolve("error");
    plain.onclose = () => resolve("closed");
  });
  assert.notEqual(plainEnd, "open", "a plain ws:// connection is refused");
  await assert.rejects(() => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text()));
  // Over TLS with the world's dev CA, without a join first: nothing but a timeout or a close.
  const client = await TestClient.join(world, await tokenFor(folder, "alice"));
  await client.until(() => labels(client).length === 3, "the three boxes");
  const schemas = Object.keys(client.hello!.schemas as Record<string, unknown>);
  assert.ok(schemas.includes("Transform") && schemas.includes("Label"), schemas.join());
  assert.ok(!schemas.includes("Secret") && !schemas.includes("Input"), schemas.join());
  for (const e of client.entities.values()) assert.equal(e.Secret, undefined);
  assert.equal(client.hello!.name, "alice");
  // The world's assets, for pages joined from another origin; nothing outside them.
  const http = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(world.caPath)] });
  const asset = await fetch(new URL("/assets/hello.txt", world.url.replace("wss:", "https:")), {
    client: http,
  });
  assert.equal(await asset.text(), "hi");
  assert.equal(asset.headers.get("access-control-allow-origin"), "*");
  for (const path of ["/assets/../syncra.json", "/assets/.hidden", "/syncra.json"]) {
    const refused = await fetch(new URL(path, world.url.replace("wss:", "https:")), {
      client: http,
    });
    await refused.body?.cancel();
    assert.ok(refused.status === 404 || refused.status === 426, `${path}: ${refused.status}`);
  }
  http.close();
  await client.close();
});

Deno.test("a late joiner sees what moved, what was spawned and not what was despawned; two headless --join instances mirror it alike and their own scripts read it", async () => {
  await using folder = await sceneFolder();
  await using world = await startNetworkWorld(folder);
  await sleep(2000); // past tick 50 at 60 Hz
  const late = await TestClient.join(world, await tokenFor(folder, "late"));
  await late.until(() => late.hello !== null, "hello");
  assert.ok(Number(late.hello!.tick) > 60, `joined at tick ${late.hello!.tick}`);
  await late.until(() => labels(late).join() === "A,C,D", `A, C and D (holds ${labels(late)})`);
  const a = [...late.entities].find(([, e]) => e.Label?.text === "A")![0];
  await late.until(() => Math.abs((positionOf(late, a)?.[0] ?? 0) - 5) < 0.001, "A at x = 5");
  await late.close();

  // Two headless instances at once: each its own scripts folder, its own ECS, the world mirrored
  // into it — and the two agree.
  await using own = await makeScripts({ "looker.ts": LOOKER });
  await using other = await makeScripts({});
  const dump = join(own.root, "dump.json");
  const otherDump = join(other.root, "dump.json");
  const [out, otherOut] = await Promise.all([
    joinCli(world, own.scripts, await tokenFor(folder, "headless"), [
      "--ticks",
      "90",
      "--dump",
      dump,
    ]),
    joinCli(world, other.scripts, await tokenFor(folder, "second"), [
      "--ticks",
      "90",
      "--dump",
      otherDump,
    ]),
  ]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(otherOut.code, 0, otherOut.stderr);
  const boxesIn = async (file: string) =>
    (JSON.parse(await Deno.readTextFile(file)).entities as {
      components: Record<string, Record<string, unknown>>;
    }[]).flatMap((e) =>
      e.components.Label ? [[e.components.Label.text, e.components.Transform!.position]] : []
    ).sort();
  assert.deepEqual(await boxesIn(otherDump), await boxesIn(dump), "both instances agree");
  assert.match(out.stderr, /✔ joined wss:\/\/127\.0\.0\.1:\d+\/ as "headless"/);
  assert.match(out.stderr, /\[looker\] sees 3 boxes, the farthest at x 5\.000/);
  assert.doesNotMatch(out.stdout + out.stderr, /saved \d+ entit/, "a client saves no state");
  const mirrored = JSON.parse(await Deno.readTextFile(dump)).entities as {
    components: Record<string, Record<string, unknown>>;
  }[];
  const boxes = mirrored.filter((e) => e.components.Label).map((e) => e.components);
  assert.deepEqual(boxes.map((c) => c.Label!.text).sort(), ["A", "C", "D"]);
  const boxA = boxes.find((c) => c.Label!.text === "A")!;
  assert.ok(Math.abs((boxA.Transform!.position as number[])[0]! - 5) < 0.001);
  assert.ok(mirrored.every((e) => !e.components.Secret), "nothing private was mirrored");
  // Its own Player is mirrored too: the world gave it one.
  assert.ok(mirrored.some((e) => e.components.Player), "its Player");
});

Deno.test("a refused token stops a --join instance with the reason; a revoked client is cut off and cannot come back with its token", async () => {
  await using folder = await sceneFolder();
  await using world = await startNetworkWorld(folder);
  const refused = await joinCli(world, folder.scripts, "syncra1.not.real", ["--ticks", "5"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Cannot join wss:\/\/.*: token refused: its payload or signature/);
  const untrusted = await joinCli(world, folder.scripts, await tokenFor(folder, "x"), [
    "--ticks",
    "5",
  ], false);
  assert.equal(untrusted.code, 1);
  assert.match(untrusted.stderr, /UnknownIssuer.*--ca FILE/);

  const token = await tokenFor(folder, "mallory");
  const client = await TestClient.join(world, token);
  await client.until(() => client.hello !== null, "hello");
  const revoke = await cli(["token", "--scripts", folder.scripts, "--revoke", "mallory"]);
  assert.equal(revoke.code, 0, revoke.stderr);
  await client.until(() => client.closed !== null, "the revoked client cut off", 5000);
  assert.deepEqual([client.closed!.code, client.closed!.reason], [4001, "token revoked"]);
  const again = await TestClient.join(world, token);
  await again.until(() => again.closed !== null, "the old token refused");
  assert.match(again.refusals[0] ?? "", /token refused: the tokens of "mallory" were revoked/);
});

Deno.test("a hostile client is refused message by message — garbage, another's entity, a teleport, a flood — and the others and the world are untouched", async () => {
  await using folder = await sceneFolder({ network: { messagesPerSecond: 50, maxRefusals: 1000 } });
  await using world = await startNetworkWorld(folder, ["--report", "report.json"]);
  const good = await TestClient.join(world, await tokenFor(folder, "good"));
  const evil = await TestClient.join(world, await tokenFor(folder, "evil"));
  await good.until(() => good.hello !== null && evil.hello !== null, "both joined");
  await evil.until(() => evil.entities.has(good.player), "the good client's avatar");
  const goodAt = positionOf(evil, good.player);
  evil.sendRaw(new Uint8Array([1, 2, 3]));
  evil.sendRaw("{not json");
  evil.sendRaw("x".repeat(5000));
  evil.send({
    t: "set",
    entity: good.player,
    component: "Transform",
    values: { position: [9, 9, 9] },
  });
  evil.send({ t: "set", entity: evil.player, component: "Secret", values: { pin: 1 } });
  evil.send({ t: "transform", position: [0, 1.6, 6] });
  evil.send({ t: "transform", position: [900, 1.6, 6] });
  evil.send({ t: "transform", position: [Number.MAX_VALUE, 0, 0] });
  evil.send({ t: "join", token: "again" });
  evil.send({ t: "launch-missiles" });
  await evil.until(() => evil.refusals.length >= 9, `nine refusals (got ${evil.refusals})`);
  const said = evil.refusals.join("\n");
  for (
    const why of [
      /a binary frame must be voice/,
      /a message is not JSON/,
      /at most 4096 bytes/,
      new RegExp(`may not write Transform of entity ${good.player}: a client writes only`),
      /may not write Secret of entity/,
      /moved 900\.0 m with [\d.]+ m allowed: faster than 20 m\/s/,
      /a position within 10000 m/,
      /already joined/,
      /unknown message "launch-missiles"/,
    ]
  ) assert.match(said, why);
  // A flood: past 50 messages a second the rest are refused, and it is still connected.
  for (let i = 0; i < 300; i++) evil.send({ t: "input", move: [0, 0, 0] });
  await evil.until(
    () => evil.refusals.some((r) => /more messages than allowed per second/.test(r)),
    "the flood refused",
  );
  assert.equal(evil.closed, null, "refused, not disconnected, below maxRefusals");
  await sleep(300);
  assert.deepEqual(positionOf(good, good.player), goodAt, "the good client's avatar did not move");
  assert.deepEqual(good.refusals, []);
  await good.close();
  await evil.close();
  const { code } = await world.stop();
  assert.equal(code, 0);
  const report = JSON.parse(await Deno.readTextFile(join(folder.root, "report.json")));
  const network = report.drivers.find((d: { name: string }) => d.name === "network");
  assert.deepEqual([network.state, network.restarts, network.violations], ["running", 0, 0]);
});

Deno.test("a client moves its own avatar and the others see it; a rejoin within the grace gets the same Player; after it the avatar is gone for everyone", async () => {
  await using folder = await sceneFolder({ network: { graceMs: 1000 } });
  await using world = await startNetworkWorld(folder);
  const token = await tokenFor(folder, "walker");
  let walker = await TestClient.join(world, token);
  const watcher = await TestClient.join(world, await tokenFor(folder, "watcher"));
  await watcher.until(() => walker.hello !== null && watcher.hello !== null, "both joined");
  const avatar = walker.player;
  for (let i = 1; i <= 10; i++) {
    walker.send({ t: "transform", position: [i * 0.1, 1.6, 6], rotation: [0, 0, 0, 1] });
    await sleep(30);
  }
  await watcher.until(
    () => Math.abs((positionOf(watcher, avatar)?.[0] ?? 0) - 1) < 0.001,
    "the walker's avatar at x = 1",
  );
  await walker.close();
  walker = await TestClient.join(world, token);
  await walker.until(() => walker.hello !== null, "hello again");
  assert.equal(walker.player, avatar, "the same Player within the grace");
  await walker.until(() => labels(walker).length === 3, "everything again after the rejoin");
  await walker.close();
  await watcher.until(() => watcher.gone.includes(avatar), "the avatar gone after the grace", 5000);
  assert.equal(watcher.entities.has(avatar), false, "no ghost avatar");
  await watcher.close();
});

/**
 * 150 boxes circling within 12 m of the spawn point until tick 240, and one
 * far box that jumps from 100 m away to 3 m at tick 150.
 */
const CROWD = `
import { defineComponent, defineSystem, Mesh, MeshShape, Transform } from "@syncra/std";
export const Label = defineComponent("Label", { text: "text" }, { replicate: true });
export default defineSystem({
  writes: [Transform, Mesh, Label], spawns: true,
  init(ctx) {
    for (let i = 0; i < 150; i++) ctx.spawn({ Transform: {}, Mesh: { shape: MeshShape.Box }, Label: { text: "c" + i } });
    ctx.spawn({ Transform: { position: [100, 1, 0] }, Mesh: { shape: MeshShape.Box }, Label: { text: "far" } });
  },
  run(ctx) {
    const label = ctx.read(Label).text;
    const p = ctx.write(Transform).position;
    const t = Math.min(ctx.tick, 240) / 60;
    for (let i = 0; i < ctx.count; i++) {
      if (label[i] === "far") {
        if (ctx.tick === 150) p[i * 3] = 3;
        continue;
      }
      const k = Number(label[i].slice(1)), r = 2 + (k % 10), w = 0.5 + (k % 7) * 0.2;
      p[i * 3] = r * Math.cos(w * t + k);
      p[i * 3 + 1] = 1;
      p[i * 3 + 2] = 6 + r * Math.sin(w * t + k);
    }
  },
});`;

Deno.test("interest and a bandwidth budget: a far entity arrives when it comes near, updates stay within the budget, and a throttled client converges to the server's state", async () => {
  const folder = await makeScripts({ "crowd.ts": CROWD });
  await using _ = folder;
  const budget = 3000;
  await Deno.writeTextFile(
    join(folder.root, "syncra.json"),
    JSON.stringify({ network: { interestRadius: 30, bytesPerSecond: budget } }),
  );
  const dump = join(folder.root, "dump.json");
  await using world = await startNetworkWorld(folder, ["--dump", dump]);
  const client = await TestClient.join(world, await tokenFor(folder, "slowpoke"));
  await client.until(() => labels(client).length >= 150, "the crowd");
  assert.ok(Number(client.hello!.tick) < 120, `joined early, at tick ${client.hello!.tick}`);
  assert.ok(!labels(client).includes("far"), "the far box is out of its interest");
  // Past the first state, what it is sent stays within its budget (frame overhead aside).
  const from = performance.now() + 500;
  await sleep(2500);
  const rate = client.bytesBetween(from, from + 2000) / 2;
  assert.ok(rate <= budget * 1.25, `${rate.toFixed(0)} B/s against a budget of ${budget}`);
  assert.ok(rate >= budget * 0.5, `${rate.toFixed(0)} B/s: the budget is used`);
  await client.until(
    () => labels(client).includes("far"),
    "the far box, once it came near",
    10_000,
  );
  // Movement stops at tick 240 (4 s); owed moves drain within the budget.
  await sleep(4000);
  const held = new Map([...client.entities].map(([id, e]) => [id, e.Transform?.position]));
  await world.stop();
  const truth = JSON.parse(await Deno.readTextFile(dump)).entities as {
    id: number;
    components: Record<string, Record<string, unknown>>;
  }[];
  let compared = 0;
  for (const e of truth) {
    if (!e.components.Label) continue;
    const got = held.get(e.id) as number[] | undefined;
    assert.ok(got, `the client holds ${e.components.Label.text}`);
    const want = e.components.Transform!.position as number[];
    const off = Math.hypot(...want.map((v, i) => v - got[i]!));
    assert.ok(off < 0.001, `${e.components.Label.text} is ${off.toFixed(4)} m off`);
    compared++;
  }
  assert.equal(compared, 151);
  await client.close();
});

/** A world rule as a hook: no avatar goes below the floor, and every move is told. */
const FLOOR = `
import { defineSystem, Player, Transform } from "@syncra/std";
export default defineSystem({
  queries: { avatars: { reads: [Player], writes: [Transform] } },
  onRemoteChange(ctx, change) {
    if (change.component !== "Transform") return;
    const avatars = ctx.query("avatars");
    const row = avatars.indexOf(change.entity);
    if (row < 0) return;
    const p = avatars.write(Transform).position;
    if (p[row * 3 + 1] < 0) {
      ctx.log("clamped entity", change.entity, "moved by", change.driver, "to the floor");
      p[row * 3 + 1] = 0;
    }
  },
});`;

Deno.test("onRemoteChange: a world script hears a client's move and its correction reaches every client", async () => {
  await using folder = await makeScripts({ "scene.ts": SCENE, "floor.ts": FLOOR });
  await using world = await startNetworkWorld(folder);
  const diver = await TestClient.join(world, await tokenFor(folder, "diver"));
  const watcher = await TestClient.join(world, await tokenFor(folder, "watcher"));
  await watcher.until(() => diver.hello !== null && watcher.hello !== null, "both joined");
  diver.send({ t: "transform", position: [0, -5, 6], rotation: [0, 0, 0, 1] });
  const y = (c: TestClient) => positionOf(c, diver.player)?.[1] ?? NaN;
  await watcher.until(
    () => Math.abs(y(watcher)) < 0.001,
    `the avatar on the floor (y ${y(watcher)})`,
  );
  await diver.until(() => Math.abs(y(diver)) < 0.001, "the diver told of its correction too");
  await diver.close();
  await watcher.close();
  const { output } = await world.stop();
  assert.match(
    output,
    new RegExp(`\\[floor\\] clamped entity ${diver.player} moved by network to the floor`),
  );
});

/** 440 Hz in 20 ms Opus frames, encoded before the test sends them (as a microphone's would be). */
function toneFrames(count: number): Uint8Array[] {
  const encoder = new OpusScript(48_000, 1, OpusScript.Application.VOIP);
  const frames: Uint8Array[] = [];
  for (let f = 0; f < count; f++) {
    const pcm = new Int16Array(960);
    for (let i = 0; i < 960; i++) {
      pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (f * 960 + i)) / 48_000));
    }
    frames.push(new Uint8Array(encoder.encode(Buffer.from(pcm.buffer), 960)));
  }
  encoder.delete();
  return frames;
}

/** A voice frame as a client sends it: [3][u32 sequence][Opus]. */
function voiceFrame(seq: number, opus: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + opus.length);
  out[0] = 3;
  new DataView(out.buffer).setUint32(1, seq, true);
  out.set(opus, 5);
  return out;
}

/** Joins asking for voice, keeping the voice frames it hears: [speaker, sequence, Opus]. */
async function voiceClient(world: { url: string; caPath: string }, token: string, voice = true) {
  const client = new TestClient(world.url, world.caPath);
  const heard: [number, number, Uint8Array][] = [];
  const said: Record<string, unknown>[] = [];
  client.socket.addEventListener("message", (event) => {
    if (typeof event.data === "string") {
      const m = JSON.parse(event.data);
      if (m.t === "said") said.push(m);
      return;
    }
    const bytes = new Uint8Array(event.data as ArrayBuffer);
    if (bytes[0] !== 3) return;
    const view = new DataView(bytes.buffer);
    heard.push([view.getUint32(1, true), view.getUint32(5, true), bytes.slice(9)]);
  });
  // Voice frames are not transform frames: the test client's decoder must not see them.
  await client.opened;
  client.send({ t: "join", token, voice });
  await client.until(() => client.hello !== null, "hello");
  return { client, heard, said };
}

Deno.test("voice is relayed as sent to the clients in range that asked for it, within a rate; custom channels carry JSON by the owner's rules", async () => {
  await using folder = await sceneFolder({
    network: {
      maxSpeed: 100_000,
      channels: { chat: { maxBytes: 128, perSecond: 5, range: "world" } },
    },
  });
  await using world = await startNetworkWorld(folder);
  const a = await voiceClient(world, await tokenFor(folder, "a"));
  const near = await voiceClient(world, await tokenFor(folder, "near"));
  const deaf = await voiceClient(world, await tokenFor(folder, "deaf"), false);
  const far = await voiceClient(world, await tokenFor(folder, "far"));
  far.client.send({ t: "transform", position: [500, 1.6, 6], rotation: [0, 0, 0, 1] });
  await sleep(300);
  const frames = toneFrames(40);
  for (let i = 0; i < frames.length; i++) {
    a.client.sendRaw(voiceFrame(i, frames[i]!));
    await sleep(20);
  }
  await near.client.until(() => near.heard.length === 40, `40 frames (got ${near.heard.length})`);
  assert.ok(near.heard.every(([speaker]) => speaker === a.client.player), "each says who spoke");
  assert.deepEqual(near.heard.map(([, seq]) => seq), [...Array(40).keys()]);
  // The bytes arrive as sent: decoded, they are the tone again.
  const decoder = new OpusScript(48_000, 1, OpusScript.Application.VOIP);
  let crossings = 0, energy = 0, samples = 0;
  for (const [, , opus] of near.heard.slice(5)) {
    const pcm = new Int16Array(Uint8Array.from(decoder.decode(Buffer.from(opus))).buffer);
    for (let i = 1; i < pcm.length; i++) if ((pcm[i - 1]! < 0) !== (pcm[i]! < 0)) crossings++;
    for (const v of pcm) energy += v * v;
    samples += pcm.length;
  }
  decoder.delete();
  const hz = crossings / 2 / (samples / 48_000);
  assert.ok(Math.abs(hz - 440) < 20, `heard ${hz.toFixed(0)} Hz`);
  assert.ok(Math.sqrt(energy / samples) > 2000, "not silence");
  assert.equal(deaf.heard.length, 0, "a client that did not ask for voice hears none");
  assert.equal(far.heard.length, 0, "a client out of range hears none");
  // A burst past 60 frames a second is refused, not relayed.
  for (let i = 0; i < 100; i++) a.client.sendRaw(voiceFrame(100 + i, frames[0]!));
  await a.client.until(
    () => a.client.refusals.some((r) => /more than 60 voice frames a second/.test(r)),
    "the voice flood refused",
  );

  // A custom channel: heard in the whole world, bounded in size and rate.
  a.client.send({ t: "say", channel: "chat", data: { text: "hello" } });
  await far.client.until(() => far.said.length === 1, "the far client hears the chat");
  assert.deepEqual(far.said[0], {
    t: "said",
    channel: "chat",
    from: a.client.player,
    name: "a",
    data: { text: "hello" },
  });
  const before = a.client.refusals.length;
  a.client.send({ t: "say", channel: "shout", data: 1 });
  a.client.send({ t: "say", channel: "chat", data: "x".repeat(200) });
  for (let i = 0; i < 8; i++) a.client.send({ t: "say", channel: "chat", data: i });
  await a.client.until(() => a.client.refusals.length >= before + 4, "the channel refusals");
  const said = a.client.refusals.slice(before).join("\n");
  assert.match(said, /there is no channel "shout" \(this world's are chat\)/);
  assert.match(said, /"chat" takes messages of at most 128 bytes/);
  assert.match(said, /more than 5 messages a second on "chat"/);
  await near.client.until(() => near.said.length >= 5, "the chat within its rate");
  assert.ok(near.said.length <= 6, `${near.said.length} chat messages got through`);
  for (const c of [a, near, deaf, far]) await c.client.close();
});

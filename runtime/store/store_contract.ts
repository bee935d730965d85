/**
 * The contract every {@linkcode WorldStore} keeps, as one suite each
 * implementation runs against its real storage: a world round-trips whole
 * (entities, components, owners and payers, future ids, tick), a save
 * replaces the last one whole, concurrent saves never mix, a process killed
 * mid-save leaves the previous state loadable, and damaged data is a
 * {@linkcode CorruptWorldError} that a fresh save replaces.
 *
 * The crash case runs a real `deno` child that opens the same storage and
 * calls {@linkcode runSaver}; each implementation supplies its command line.
 *
 * @module
 */
import assert from "node:assert/strict";
import { World } from "../ecs/mod.ts";
import { CorruptWorldError, type SavedWorld, type WorldStore } from "./world_store.ts";
import { TICK, tickWorld } from "./tick_world.ts";

export { tickWorld };

/** One store on fresh, empty storage, and the hooks the contract needs around it. */
export interface StoreFixture extends AsyncDisposable {
  store: WorldStore;
  /** Another store on the same storage, as a restart or a second process opens it. */
  reopen(): WorldStore;
  /** Damages what is stored: keeps the first half of it, or replaces it with random bytes. */
  damage(how: "truncate" | "garbage"): Promise<void>;
  /**
   * Arguments to `deno` for a child that opens this storage and calls
   * {@linkcode runSaver} with `entities` until it is killed.
   */
  saverArgs(entities: number): string[];
  /** Whether the storage shows a save that never finished (a file store: a temp file). */
  unfinishedSave?(): Promise<boolean>;
}

/** One implementation under the contract. */
export interface StoreContractOptions {
  /** Shown in each test's name, e.g. `file store`. */
  name: string;
  /** A store on fresh storage; called once per case, disposed after it. */
  makeStore: () => Promise<StoreFixture>;
}

/** Entities in the world the crash case saves: big enough that a save takes a while. */
const SAVER_ENTITIES = 300_000;
/** Sets every value of a {@linkcode tickWorld} to `tick`, in place. */
function retick(world: World, tick: number): void {
  for (const a of world.archetypes()) {
    for (const [key, fields] of a.columns) {
      const value = fields.get("value");
      if (world.registry.displayName(key) === "Tick" && value) value.data.fill(tick, 0, a.length);
      const position = fields.get("position")?.data;
      if (position) { for (let row = 0; row < a.length; row++) position[row * 3 + 1] = tick; }
    }
  }
}

/** Asserts `saved` is one whole {@linkcode tickWorld} of `entities` entities. */
export function checkTickWorld(saved: SavedWorld | null, entities: number): void {
  assert.ok(saved !== null, "nothing was loaded");
  const { world, tick } = saved;
  assert.equal(world.entityCount, entities, `tick ${tick}: entities`);
  for (const a of world.archetypes()) {
    for (const [key, fields] of a.columns) {
      const name = world.registry.displayName(key);
      for (let row = 0; row < a.length; row++) {
        const id = a.entities[row]!;
        if (name === "Tick") {
          assert.equal(fields.get("value")!.data[row], tick, `entity ${id}: Tick`);
        } else if (name === "Transform") {
          const p = fields.get("position")!.data;
          assert.deepEqual([p[row * 3], p[row * 3 + 1]], [id, tick], `entity ${id}: position`);
        }
      }
    }
  }
}

/**
 * The child of the crash case: saves a big {@linkcode tickWorld} at ticks
 * 1, 2, 3… until killed, printing `begin <tick>` before each save and
 * `end <tick> <ms>` after it.
 */
export async function runSaver(store: WorldStore, entities = SAVER_ENTITIES): Promise<never> {
  const world = tickWorld(1, entities);
  for (let tick = 1;; tick++) {
    retick(world, tick);
    console.log(`begin ${tick}`);
    const started = performance.now();
    await store.save(world, tick);
    console.log(`end ${tick} ${Math.round(performance.now() - started)}`);
  }
}

/** A world with what a save must keep: archetypes, owners, a payer apart from the owner, freed ids. */
function richWorld(): World {
  const world = new World();
  const counter = world.registry.resolve({ name: "Counter", schema: TICK, module: "counter.ts" });
  const flag = world.registry.resolve({
    name: "Flag",
    schema: { on: { type: "bool", default: [0] }, turn: { type: "quat", default: [0, 0, 0, 1] } },
    module: "flag.ts",
  });
  const ids = [...world.allocator.reserve(40)];
  ids.forEach((id, i) => {
    const components = i % 2 === 0
      ? { Transform: { position: [i, 2 * i, 3] } }
      : { Transform: { scale: [i, i, i] }, [counter.key]: { value: [i] } };
    world.spawn(id, components, ["a.ts", "b.ts", null][i % 3]!);
  });
  // c.ts pays for what it attached to a.ts's entity.
  world.add(ids[3]!, flag.key, { on: [1], turn: [1, 2, 3, 4] }, "c.ts");
  world.despawn(ids[7]!);
  world.despawn(ids[8]!);
  return world;
}

function assertSameWorld(actual: SavedWorld | null, expected: World, tick: number): void {
  assert.ok(actual !== null, "nothing was loaded");
  assert.equal(actual.tick, tick);
  const { world } = actual;
  assert.deepEqual(world.dump(), expected.dump());
  assert.deepEqual(world.registry.save(), expected.registry.save(), "components");
  assert.deepEqual(world.owners.save(), expected.owners.save(), "owners and payers");
  for (const file of ["a.ts", "b.ts", "c.ts"]) {
    assert.deepEqual(world.usage(file), expected.usage(file), `usage of ${file}`);
  }
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    yield* parts;
  }
}

/**
 * Starts the saver child, lets it finish two saves, and SIGKILLs it halfway
 * through a later one (timed by the one before). Returns the tick it was saving.
 */
async function killMidSave(fixture: StoreFixture): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: fixture.saverArgs(SAVER_ENTITIES),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let lastMs: number | null = null;
  try {
    for await (const line of lines(child.stdout)) {
      const [what, tick, ms] = line.split(" ");
      if (what === "end" && Number(tick) >= 2) lastMs = Number(ms);
      if (what === "begin" && lastMs !== null) {
        await new Promise((resolve) => setTimeout(resolve, lastMs! / 2));
        child.kill("SIGKILL");
        return Number(tick);
      }
    }
    const status = await child.status;
    throw new Error(`The saver exited early with code ${status.code}: ${await stderr}`);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await stderr;
  }
}

type Case = [name: string, fn: (fixture: StoreFixture) => Promise<void>];

const CASES: Case[] = [
  ["a store nothing was saved to loads null", async ({ store, reopen }) => {
    assert.equal(await store.load(), null);
    assert.equal(await reopen().load(), null);
    assert.equal(typeof store.describe, "string");
    assert.notEqual(store.describe, "");
  }],
  [
    "a saved world loads back with its entities, components, owners, usage, future ids and tick",
    async ({ store, reopen }) => {
      const world = richWorld();
      await store.save(world, 42);
      const loaded = await reopen().load();
      assertSameWorld(loaded, world, 42);
      assert.deepEqual(
        [...loaded!.world.allocator.reserve(5)],
        [...world.allocator.reserve(5)],
        "future ids",
      );
      // What was loaded saves and loads the same again.
      const again = richWorld();
      await store.save((await store.load())!.world, 43);
      assertSameWorld(await store.load(), again, 43);
    },
  ],
  ["a save over an existing save replaces it whole", async ({ store, reopen }) => {
    await store.save(tickWorld(1, 20_000), 1);
    await store.save(tickWorld(2, 10), 2);
    checkTickWorld(await reopen().load(), 10);
    assert.equal((await store.load())?.tick, 2);
  }],
  ["concurrent saves through one store do not mix: the last one called wins whole", async (f) => {
    const sizes = [30_000, 5, 20_000, 10_000];
    await Promise.all(sizes.map((n, i) => f.store.save(tickWorld(i + 1, n), i + 1)));
    const loaded = await f.reopen().load();
    assert.equal(loaded?.tick, sizes.length);
    checkTickWorld(loaded, sizes.at(-1)!);
  }],
  ["concurrent saves through two stores on one storage leave one of them whole", async (f) => {
    const other = f.reopen();
    const sizes = new Map([[1, 40_000], [2, 25_000]]);
    for (let round = 0; round < 3; round++) {
      await Promise.all([
        f.store.save(tickWorld(1, sizes.get(1)!), 1),
        other.save(tickWorld(2, sizes.get(2)!), 2),
      ]);
      const loaded = await f.reopen().load();
      checkTickWorld(loaded, sizes.get(loaded?.tick ?? 0) ?? -1);
    }
  }],
  ["a process killed mid-save leaves the previous state loadable", async (fixture) => {
    let killedAt = 0;
    for (let attempt = 1;; attempt++) {
      killedAt = await killMidSave(fixture);
      // Where the store can tell, make sure the kill landed inside a save.
      if (!fixture.unfinishedSave || await fixture.unfinishedSave()) break;
      assert.ok(attempt < 5, "the saver was never killed inside a save in 5 tries");
    }
    const loaded = await fixture.reopen().load();
    checkTickWorld(loaded, SAVER_ENTITIES);
    assert.ok(loaded!.tick >= 2 && loaded!.tick <= killedAt, `tick ${loaded!.tick}`);
    // The store still saves after the crash.
    await fixture.store.save(tickWorld(99, 3), 99);
    checkTickWorld(await fixture.reopen().load(), 3);
  }],
  [
    "damaged data is a CorruptWorldError naming the store, and a fresh save replaces it",
    async (fixture) => {
      const { store } = fixture;
      for (const how of ["truncate", "garbage"] as const) {
        await store.save(tickWorld(5, 1000), 5);
        await fixture.damage(how);
        const error = await store.load().then(() => null, (e) => e);
        assert.ok(error instanceof CorruptWorldError, `${how}: ${error}`);
        assert.equal(error.code, "SYNCRA_CORRUPT_WORLD");
        assert.equal(error.store, store.describe);
        assert.ok(error.message.includes(store.describe), error.message);
        assert.match(error.message, /--fresh/);
        // What --fresh does: start a new world and save it over the damage.
        await store.save(tickWorld(6, 7), 6);
        checkTickWorld(await fixture.reopen().load(), 7);
      }
    },
  ],
];

/** Registers the contract's cases for one implementation. */
export function runStoreContract(options: StoreContractOptions): void {
  for (const [name, fn] of CASES) {
    Deno.test(`${name} (${options.name})`, async () => {
      await using fixture = await options.makeStore();
      await fn(fixture);
    });
  }
}

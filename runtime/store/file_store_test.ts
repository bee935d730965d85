/**
 * The store contract on the file store in a temp folder, and what only a
 * file has: its folders, its temp files, and paths that are not files.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { World } from "../ecs/mod.ts";
import { FileWorldStore } from "./file_store.ts";
import { runStoreContract, type StoreFixture, tickWorld } from "./store_contract.ts";

const SAVER = fileURLToPath(new URL("./fixtures/file_store_saver.ts", import.meta.url));

async function tempFolder() {
  const dir = await Deno.makeTempDir({ prefix: "syncra_file_store_" });
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

async function temps(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".tmp")) names.push(entry.name);
  }
  return names.sort();
}

runStoreContract({
  name: "file store",
  async makeStore(): Promise<StoreFixture> {
    const folder = await tempFolder();
    // A folder that does not exist yet: the store makes it.
    const path = `${folder.dir}/state/world.state`;
    return {
      store: new FileWorldStore(path),
      reopen: () => new FileWorldStore(path),
      async damage(how) {
        const bytes = await Deno.readFile(path);
        await Deno.writeFile(
          path,
          how === "truncate"
            ? bytes.subarray(0, bytes.length >> 1)
            : crypto.getRandomValues(new Uint8Array(bytes.length)),
        );
      },
      saverArgs: (entities) => [
        "run",
        "--no-config",
        "--no-lock",
        "--allow-read",
        "--allow-write",
        SAVER,
        path,
        String(entities),
      ],
      unfinishedSave: async () => (await temps(`${folder.dir}/state`)).length > 0,
      [Symbol.asyncDispose]: folder[Symbol.asyncDispose],
    };
  },
});

Deno.test("a file store's save removes temp files of dead writers and keeps live ones'", async () => {
  await using folder = await tempFolder();
  const path = `${folder.dir}/world.state`;
  const exited = new Deno.Command("/bin/true").spawn();
  await exited.status;
  const sleeper = new Deno.Command("/bin/sleep", { args: ["30"] }).spawn();
  try {
    const dead = `world.state.${exited.pid}.0.tmp`;
    const live = `world.state.${sleeper.pid}.3.tmp`;
    const other = `other.state.${exited.pid}.0.tmp`;
    for (const name of [dead, live, other]) await Deno.writeTextFile(`${folder.dir}/${name}`, "x");
    await new FileWorldStore(path).save(tickWorld(1, 3), 1);
    assert.deepEqual(await temps(folder.dir), [other, live].sort());
  } finally {
    sleeper.kill("SIGKILL");
    await sleeper.status;
  }
});

Deno.test("a file store says which file it cannot read or write", async () => {
  await using folder = await tempFolder();
  // A folder where the state file should be: neither a state nor replaceable by one.
  const path = `${folder.dir}/world.state`;
  await Deno.mkdir(`${path}/inside`, { recursive: true });
  const store = new FileWorldStore(path);
  assert.equal(store.describe, path);
  await assert.rejects(store.load(), (e: Error) => e.message.includes(`"${path}"`));
  await assert.rejects(
    store.save(new World(), 1),
    (e: Error) => e.message.startsWith(`Cannot save the world to "${path}"`),
  );
  assert.deepEqual(await temps(folder.dir), [], "a failed save leaves no temp file");
  assert.throws(() => new FileWorldStore(""), TypeError);
});

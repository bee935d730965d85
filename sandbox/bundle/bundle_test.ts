import assert from "node:assert/strict";
import { basename, dirname, join, relative } from "node:path";
import { type Bundle, bundleScript, stopBundler } from "./bundle.ts";
import { refusal } from "./_bundle_test_helpers.ts";
import { pruneBundles } from "./_write_bundle.ts";
import { FrameReader } from "../../runtime/protocol/mod.ts";

/** A temporary world: `<root>/scripts` holds the scripts, `<root>/out` the bundles. */
interface Dirs {
  root: string;
  scripts: string;
  out: string;
}

/** Writes `files` (paths relative to the root) into a fresh temp folder, runs `fn`, cleans up. */
async function withScripts(
  files: Record<string, string>,
  fn: (dirs: Dirs) => Promise<void>,
): Promise<void> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "syncra_bundle_" }));
  const dirs = { root, scripts: join(root, "scripts"), out: join(root, "out") };
  try {
    await Deno.mkdir(dirs.scripts);
    for (const [name, text] of Object.entries(files)) {
      await Deno.mkdir(dirname(join(root, name)), { recursive: true });
      await Deno.writeTextFile(join(root, name), text);
    }
    await fn(dirs);
  } finally {
    await stopBundler();
    await Deno.remove(root, { recursive: true });
  }
}

function bundle(dirs: Dirs, name = "main.ts"): Promise<Bundle> {
  return bundleScript(join(dirs.scripts, name), { scriptsDir: dirs.scripts, outDir: dirs.out });
}

/** `file:line:column` (relative to the cwd, 1-based) of the first `token` in `source`, plus `offset`. */
function site(dirs: Dirs, file: string, source: string, token: string, offset = 0): string {
  const lines = source.split("\n");
  const line = lines.findIndex((l) => l.includes(token));
  assert.ok(line >= 0, `"${token}" is not in ${file}`);
  const path = relative(Deno.cwd(), join(dirs.root, file));
  return `${path}:${line + 1}:${lines[line]!.indexOf(token) + 1 + offset}`;
}

/** Bundles `source` as scripts/main.ts and expects a refusal located at `token`. */
async function assertRefused(
  source: string,
  token: string,
  says: RegExp,
  extra: Record<string, string> = {},
): Promise<void> {
  await withScripts({ "scripts/main.ts": source, ...extra }, async (dirs) => {
    const error = await refusal(bundle(dirs));
    const at = site(dirs, "scripts/main.ts", source, token);
    assert.equal(error.location, at, error.message);
    assert.ok(error.message.includes(` in ${at}: `), error.message);
    assert.match(error.message, says);
  });
}

const CONFINED = /scripts may only import files in their own folder and "@syncra\/std"/;

async function runBundle(path: string): Promise<{ code: number; stdout: Uint8Array }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--no-remote", "--no-npm", "--no-config", "--no-lock", path],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  await child.stdin.close();
  const { code, stdout } = await child.output();
  return { code, stdout };
}

/** The first frame of a child's stdout: a u32 little-endian length, then MessagePack. */
function firstFrame(stdout: Uint8Array): Record<string, unknown> {
  assert.ok(stdout.length >= 4, "the child wrote no frame");
  const length = new DataView(stdout.buffer, stdout.byteOffset).getUint32(0, true);
  assert.ok(stdout.length >= 4 + length, `the first frame is cut short at ${stdout.length} bytes`);
  const messages = new FrameReader().push(stdout.subarray(0, 4 + length));
  assert.equal(messages.length, 1);
  return messages[0] as Record<string, unknown>;
}

const SPINNER = `import { defineSystem, Transform } from "@syncra/std";
import { Spin } from "./helper.ts";
import { SPEED } from "./lib/speed.ts";

export default defineSystem({
  name: "spinner",
  reads: [Spin],
  writes: [Transform],
  run(ctx) {
    ctx.write(Transform).position[0] = SPEED;
  },
});
`;
const HELPER = `import { defineComponent } from "@syncra/std";
export const Spin = defineComponent("Spin", { speed: "f32" });
`;
const IDLE = `import { defineSystem } from "@syncra/std";
export default defineSystem({ run() {} });
`;

Deno.test("bundleScript bundles a script with @syncra/std and sibling files into a bundle that runs without permissions", async () => {
  const files = {
    "scripts/main.ts": SPINNER,
    "scripts/helper.ts": HELPER,
    "scripts/lib/speed.ts": "export const SPEED = 2;\n",
  };
  await withScripts(files, async (dirs) => {
    const result = await bundle(dirs);
    assert.match(basename(result.path), /^[0-9a-f]{16}\.js$/);
    assert.equal(dirname(result.path), join(dirs.out, "main.ts"));
    assert.equal(result.bytes, (await Deno.stat(result.path)).size);
    const expected = ["helper.ts", "lib/speed.ts", "main.ts"].map((f) => join(dirs.scripts, f));
    assert.deepEqual(result.inputs, expected);

    const { code, stdout } = await runBundle(result.path);
    assert.equal(code, 0);
    const hello = firstFrame(stdout) as { t: string; manifest: Record<string, unknown> };
    assert.equal(hello.t, "hello");
    assert.equal(hello.manifest.name, "spinner");
    assert.deepEqual(hello.manifest.reads, ["Spin"]);
    assert.deepEqual(hello.manifest.writes, ["Transform"]);
    assert.equal(hello.manifest.spawns, false);
    assert.equal(hello.manifest.hasRun, true);
  });
});

Deno.test("bundleScript accepts imports used only as types, which leave no code", async () => {
  const source = `import { defineSystem, SystemContext } from "@syncra/std";
import type { Buffer } from "node:buffer";
import { Unused } from "./helper.ts";

let last: Buffer | SystemContext | undefined;
export default defineSystem({ run(ctx: SystemContext) { last = ctx; } });
`;
  await withScripts({ "scripts/main.ts": source, "scripts/helper.ts": HELPER }, async (dirs) => {
    const result = await bundle(dirs);
    assert.deepEqual(result.inputs, [join(dirs.scripts, "main.ts")]);
    const { code, stdout } = await runBundle(result.path);
    assert.equal(code, 0);
    assert.equal(firstFrame(stdout).t, "hello");
  });
});

Deno.test("bundleScript keeps an older bundle until pruned (the running version may need it) and one identical bundle", async () => {
  const files = { "scripts/main.ts": SPINNER.replace(/.*speed.*\n/, "").replace("SPEED", "1") };
  await withScripts({ ...files, "scripts/helper.ts": HELPER }, async (dirs) => {
    const first = await bundle(dirs);
    const again = await bundle(dirs);
    assert.deepEqual(again, first);
    const edited = files["scripts/main.ts"].replace("] = 1", "] = 3");
    await Deno.writeTextFile(join(dirs.scripts, "main.ts"), edited);
    const second = await bundle(dirs);
    assert.notEqual(second.path, first.path);
    const names = () => Array.fromAsync(Deno.readDir(join(dirs.out, "main.ts")), (e) => e.name);
    assert.deepEqual((await names()).sort(), [basename(first.path), basename(second.path)].sort());
    assert.ok((await Deno.stat(first.path)).isFile, "the running version can still restart");
    await pruneBundles([second]);
    assert.deepEqual(await names(), [basename(second.path)]);
  });
});

Deno.test("a bundled script's stack trace points at the script's own line", async () => {
  const source = `const answer = 42;\n\nthrow new Error("boom " + answer);\n`;
  await withScripts({ "scripts/boom.ts": source }, async (dirs) => {
    const result = await bundle(dirs, "boom.ts");
    const { code, stdout } = await runBundle(result.path);
    assert.equal(code, 1);
    const fail = firstFrame(stdout) as { t: string; error: { message: string; stack: string } };
    assert.equal(fail.t, "fail");
    assert.equal(fail.error.message, "boom 42");
    // The map's sources resolve to the script itself, wherever the bundle's folder is.
    const url = `file://${join(dirs.scripts, "boom.ts")}:3:7`;
    assert.ok(fail.error.stack.includes(url), fail.error.stack);
  });
});

Deno.test("a warm bundle takes a few milliseconds", async () => {
  const files = { "scripts/main.ts": SPINNER, "scripts/helper.ts": HELPER };
  await withScripts(
    { ...files, "scripts/lib/speed.ts": "export const SPEED = 2;\n" },
    async (dirs) => {
      await bundle(dirs);
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const start = performance.now();
        await bundle(dirs);
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      const [min, median] = [times[0]!, times[times.length >> 1]!];
      console.log(`warm bundle: median ${median.toFixed(1)} ms, best ${min.toFixed(1)} ms`);
    },
  );
});

Deno.test("bundleScript refuses a ../ import that leaves the scripts folder", async () => {
  const source = `import { secret } from "../outside.ts";\nexport default secret;\n`;
  await assertRefused(source, `"../outside.ts"`, CONFINED, {
    "outside.ts": "export const secret = 1;\n",
  });
});

Deno.test("bundleScript refuses an absolute import even of a file in the scripts folder", async () => {
  await withScripts({ "scripts/helper.ts": HELPER }, async (dirs) => {
    const source = `import { Spin } from ${JSON.stringify(join(dirs.scripts, "helper.ts"))};\n` +
      `export default Spin;\n`;
    await Deno.writeTextFile(join(dirs.scripts, "main.ts"), source);
    const error = await refusal(bundle(dirs));
    assert.equal(error.location, site(dirs, "scripts/main.ts", source, `"/`));
    assert.match(error.message, CONFINED);
  });
});

Deno.test("bundleScript refuses an import through a symlink that points out of the folder", async () => {
  const source =
    `import { secret } from "./inside.ts";\nimport { other } from "./linked/other.ts";\n` +
    `export default [secret, other];\n`;
  await withScripts({
    "scripts/main.ts": source,
    "elsewhere/other.ts": "export const other = 2;\n",
  }, async (dirs) => {
    await Deno.writeTextFile(join(dirs.root, "secret.ts"), "export const secret = 1;\n");
    await Deno.symlink(join(dirs.root, "secret.ts"), join(dirs.scripts, "inside.ts"));
    await Deno.symlink(join(dirs.root, "elsewhere"), join(dirs.scripts, "linked"));
    const error = await refusal(bundle(dirs));
    assert.equal(error.location, site(dirs, "scripts/main.ts", source, `"./inside.ts"`));
    assert.match(error.message, /it is a symlink to ".*secret\.ts", outside the folder/);

    await Deno.writeTextFile(join(dirs.scripts, "main.ts"), source.replace(/.*inside.*\n/, ""));
    const dir = await refusal(bundle(dirs));
    assert.match(dir.location ?? "", /scripts\/main\.ts:1:\d+$/);
    assert.match(
      dir.message,
      /Cannot import "\.\/linked\/other\.ts" .*symlink to ".*elsewhere\/other\.ts"/,
    );
  });
});

Deno.test("bundleScript refuses a script that is itself a symlink out of the folder", async () => {
  await withScripts({ "outside.ts": SPINNER }, async (dirs) => {
    await Deno.symlink(join(dirs.root, "outside.ts"), join(dirs.scripts, "main.ts"));
    const error = await refusal(bundle(dirs));
    const script = relative(Deno.cwd(), join(dirs.scripts, "main.ts"));
    assert.equal(error.location, script);
    assert.match(
      error.message,
      /^Cannot bundle ".*scripts\/main\.ts": it is a symlink to ".*outside\.ts"/,
    );
  });
});

Deno.test("bundleScript refuses a script outside the scripts folder", async () => {
  await withScripts({ "other/main.ts": SPINNER }, async (dirs) => {
    const file = join(dirs.root, "other", "main.ts");
    const error = await refusal(bundleScript(file, { scriptsDir: dirs.scripts, outDir: dirs.out }));
    assert.match(error.message, /it is not inside the scripts folder/);
  });
});

Deno.test("bundleScript refuses http:, https:, data: and file: imports", async () => {
  for (
    const url of [
      "http://example.com/x.ts",
      "https://example.com/x.ts",
      "data:text/javascript,export default 1",
      "file:///etc/hosts",
    ]
  ) {
    await assertRefused(
      `const a = 1;\nexport { default } from "${url}";\n`,
      `"${url.slice(0, 5)}`,
      CONFINED,
    );
  }
});

Deno.test("bundleScript refuses npm:, node: and jsr: imports", async () => {
  for (const specifier of ["npm:left-pad", "node:fs", "jsr:@std/path"]) {
    const source = `// uses ${specifier}\nimport * as m from "${specifier}";\nexport default m;\n`;
    await assertRefused(source, `"${specifier}"`, new RegExp(`^Cannot import "${specifier}" in `));
  }
});

Deno.test("bundleScript refuses bare package names and paths into std", async () => {
  for (const specifier of ["left-pad", "@syncra/std/component.ts", "std/mod.ts", "@syncra/std/"]) {
    const source = `import * as m from "${specifier}";\nexport default m;\n`;
    await assertRefused(source, `"${specifier}"`, CONFINED);
  }
});

Deno.test("bundleScript refuses import() and require() of a computed path that esbuild leaves alone", async () => {
  const cases = [
    `const name = "./helper.ts";\nexport const load = () => import(name);\n`,
    `const name = "./helper.ts";\nexport function load() {\n  try {\n    return import(name, { with: { type: "json" } });\n  } catch { /* hidden */ }\n}\n`,
    `const name = "./helper.ts";\nexport const load = () => require(name);\n`,
  ];
  for (const source of cases) {
    const call = source.includes("require") ? "require(" : "import(";
    await assertRefused(
      source,
      call,
      /^Cannot (import|require)\(\) a computed path in .*named by a string literal$/,
    );
  }
});

Deno.test("bundleScript refuses glob-style import() and require() of a computed path", async () => {
  const cases: [source: string, token: string][] = [
    [
      `const name = "helper";\n// a computed import() in a comment is not code\n` +
      `export const load = () => import("./" + name + ".ts");\n`,
      `import("./" +`,
    ],
    ["const name = `helper`;\nexport const load = () => import(`./${name}.ts`);\n", "import(`"],
    [`const name = "helper";\nexport const load = () => require("./" + name);\n`, "require("],
    // A glob upwards would pull in files outside the folder ...
    [
      `const name = "outside";\nexport const load = () => import("../" + name + ".ts");\n`,
      `import("../"`,
    ],
    // ... or files esbuild cannot load at all.
    [`const name = "data";\nexport const load = () => import("../" + name);\n`, `import("../"`],
  ];
  // A glob that matches only files esbuild already has is caught after the build (in the
  // jail, where esbuild can list no folder, it is refused like the others).
  const self = `export const load = (name: string) => import(\`./\${name}.ts\`);\n`;
  await withScripts({ "scripts/main.ts": self }, async (dirs) => {
    const error = await refusal(bundle(dirs));
    assert.equal(error.location, site(dirs, "scripts/main.ts", self, "import("));
    assert.match(
      error.message,
      /esbuild would bundle every file (matching "\.\/\*\*\/\*\.ts"|its pattern matches)/,
    );
  });
  for (const [source, token] of cases) {
    await assertRefused(
      source,
      token,
      /^Cannot import a computed path in .*esbuild would bundle every file (matching "\.\.?\/\*\*\/\*(\.ts)?"|its pattern matches)/,
      {
        "scripts/helper.ts": HELPER,
        "outside.ts": "export const secret = 1;\n",
        "data.bin": "\u0000",
      },
    );
  }
});

Deno.test("bundleScript refuses text and bytes import attributes", async () => {
  const cases = [
    `import text from "./notes.json" with { type: "text" };\nexport default text;\n`,
    `import bytes from "./notes.json" with { type: "bytes" };\nexport default bytes;\n`,
    `export const load = () =>\n  import("./notes.json", { with: { type: "text" } });\n`,
  ];
  for (const source of cases) {
    await assertRefused(
      source,
      `"./notes.json"`,
      /import attributes \{ type: "(text|bytes)" \} are not allowed/,
      {
        "scripts/notes.json": "{}\n",
      },
    );
  }
  // JSON imports inside the folder are fine.
  const json = `import data from "./notes.json" with { type: "json" };\nexport default data;\n`;
  await withScripts({ "scripts/main.ts": json, "scripts/notes.json": "{}\n" }, async (dirs) => {
    assert.equal((await bundle(dirs)).inputs.length, 2);
  });
});

Deno.test("bundleScript refuses an import of a file that does not exist", async () => {
  const source = `import { x } from "./missing.ts";\nexport default x;\n`;
  await assertRefused(source, `"./missing.ts"`, /the file does not exist/);
});

Deno.test("bundleScript reports a syntax error with its file, line and column", async () => {
  const source = `export const a = 1;\nexport const b = (;\n`;
  await withScripts({ "scripts/main.ts": source }, async (dirs) => {
    const error = await refusal(bundle(dirs));
    const at = site(dirs, "scripts/main.ts", source, "(;", 1);
    assert.equal(error.location, at);
    assert.match(error.message, /^Cannot bundle .*scripts\/main\.ts:2:19: Unexpected ";"$/);
  });
});

Deno.test("bundleScript refuses top-level await in a script and in the files it imports", async () => {
  const source = `import { defineSystem } from "@syncra/std";\n` +
    `const speed = await Promise.resolve(1);\nexport default defineSystem({ run() { speed; } });\n`;
  await assertRefused(
    source,
    "await",
    /^Cannot use top-level await in .*move the await into init\(\) or run\(\)$/,
  );

  const helper =
    `export async function later() { await 1; }\n\nfor await (const x of [1]) later();\n`;
  await withScripts(
    { "scripts/main.ts": `import "./helper.ts";\n`, "scripts/helper.ts": helper },
    async (dirs) => {
      const error = await refusal(bundle(dirs));
      assert.equal(error.location, site(dirs, "scripts/helper.ts", helper, "await ("));
      assert.match(error.message, /^Cannot use top-level await in /);
    },
  );
});

Deno.test("bundleScript re-checks confinement on every build", async () => {
  const files = { "scripts/main.ts": SPINNER.replace(/.*speed.*\n/, "").replace("SPEED", "1") };
  await withScripts(
    { ...files, "scripts/helper.ts": HELPER, "secret.ts": HELPER },
    async (dirs) => {
      await bundle(dirs);
      await Deno.remove(join(dirs.scripts, "helper.ts"));
      await Deno.symlink(join(dirs.root, "secret.ts"), join(dirs.scripts, "helper.ts"));
      const error = await refusal(bundle(dirs));
      assert.match(error.message, /^Cannot import "\.\/helper\.ts" in .*it is a symlink to/);

      await Deno.remove(join(dirs.scripts, "helper.ts"));
      await Deno.writeTextFile(join(dirs.scripts, "helper.ts"), `await 0;\n${HELPER}`);
      const awaiting = await refusal(bundle(dirs));
      assert.match(awaiting.message, /^Cannot use top-level await in .*helper\.ts:1:1: /);
    },
  );
});

/** A source map outside the scripts folder whose sources name a secret. */
async function writePrivateMap(dirs: Dirs): Promise<string> {
  const secret = `SECRET-${crypto.randomUUID()}`;
  const map = { version: 3, sources: [secret], sourcesContent: [secret], mappings: "AAAA" };
  await Deno.writeTextFile(join(dirs.root, "private.map"), JSON.stringify(map));
  return secret;
}

async function bundleFiles(dirs: Dirs): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory) await walk(join(dir, entry.name));
      else out.push(join(dir, entry.name));
    }
  };
  await walk(dirs.out).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  return out;
}

Deno.test("bundleScript refuses every form of source map comment, in the script or a file it imports", async () => {
  const data = "data:application/json;base64," +
    btoa(JSON.stringify({ version: 3, sources: ["x"], mappings: "AAAA" }));
  const comments = (root: string) => [
    "//# sourceMappingURL=../private.map",
    `//@ sourceMappingURL=file://${root}/private.map`,
    "/*# sourceMappingURL=/dev/zero */",
    `/*@ sourceMappingURL=${data} */`,
    "//#  sourceMappingURL=../private.map",
  ];
  for (const where of ["scripts/main.ts", "scripts/helper.mts", "scripts/lib/util.js"]) {
    for (let i = 0; i < 5; i++) {
      const files = {
        "scripts/main.ts":
          `import { util } from "./lib/util.js";\nimport { x } from "./helper.mts";\n` +
          `export default [util, x];\n`,
        "scripts/helper.mts": "export const x = 1;\n",
        "scripts/lib/util.js": "export const util = 2;\n",
      } as Record<string, string>;
      await withScripts(files, async (dirs) => {
        const secret = await writePrivateMap(dirs);
        const comment = comments(dirs.root)[i]!;
        const source = `${files[where]}  ${comment}\nexport const after = 3;\n`;
        await Deno.writeTextFile(join(dirs.root, where), source);
        const error = await refusal(bundle(dirs));
        assert.equal(error.location, site(dirs, where, source, comment.slice(0, 3)), error.message);
        assert.match(
          error.message,
          /^Cannot use a source map comment in \S+: esbuild would load the map it names, "[^"]+", outside the confined resolver; remove the comment/,
        );
        assert.ok(!error.message.includes(secret));
        assert.deepEqual(await bundleFiles(dirs), [], "no bundle was written");
      });
    }
  }
});

Deno.test("a source map comment in a JSON string is data, not a comment, and is bundled as written", async () => {
  await withScripts({
    "scripts/main.ts": `import data from "./data.json" with { type: "json" };\n` +
      `export default data;\n`,
    "scripts/data.json": JSON.stringify({ text: "//# sourceMappingURL=../private.map" }),
  }, async (dirs) => {
    const secret = await writePrivateMap(dirs);
    const result = await bundle(dirs);
    const text = await Deno.readTextFile(result.path);
    assert.ok(text.includes("//# sourceMappingURL=../private.map"));
    assert.ok(!text.includes(secret), "the map was not read");
  });
});

Deno.test("scripts whose names differ only in extension get bundles of their own, and pruning one's keeps the other's", async () => {
  const script = (n: number) =>
    `import { defineSystem } from "@syncra/std";\nexport default defineSystem({ run() { ${n}; } });\n`;
  await withScripts(
    { "scripts/counter.ts": script(1), "scripts/counter.mts": script(2) },
    async (dirs) => {
      const ts = await bundle(dirs, "counter.ts");
      const mts = await bundle(dirs, "counter.mts");
      assert.notEqual(dirname(ts.path), dirname(mts.path));
      await Deno.writeTextFile(join(dirs.scripts, "counter.mts"), script(3));
      const edited = await bundle(dirs, "counter.mts");
      assert.notEqual(edited.path, mts.path);
      await Deno.writeTextFile(join(dirs.scripts, "counter.ts"), script(4));
      const again = await bundle(dirs, "counter.ts");
      await pruneBundles([again, edited]);
      const all = (await bundleFiles(dirs)).sort();
      assert.deepEqual(all, [again.path, edited.path].sort());
      assert.equal((await runBundle(edited.path)).code, 0);
    },
  );
});

Deno.test("each user module gets a defineComponent bound to its own path; the rest of std is shared", async () => {
  const files = {
    "scripts/_components.ts": `import { defineComponent } from "@syncra/std";\n` +
      `export const Spin = defineComponent("Spin", { speed: "f32" });\n`,
    "scripts/spinner.ts":
      `import { defineComponent, defineSystem, Transform } from "@syncra/std";\n` +
      `import * as std from "@syncra/std";\n` +
      `import { Spin } from "./_components.ts";\n` +
      `import { Twin } from "./lib/twin.ts";\n` +
      `export const Local = defineComponent("Local", { on: "bool" });\n` +
      `const seen = [Spin.module, Local.module, Twin.module, Transform.module,\n` +
      `  std.Transform === Transform, std.defineComponent === defineComponent];\n` +
      `throw new Error(JSON.stringify(seen));\n` +
      `export default defineSystem({ reads: [Spin, Local], writes: [Transform], run() {} });\n`,
    "scripts/lib/twin.ts": `import { defineComponent, Transform } from "@syncra/std";\n` +
      `export const Twin = defineComponent("Twin", { of: "entity" });\n` +
      `export const same = Transform;\n`,
  };
  await withScripts(files, async (dirs) => {
    const result = await bundle(dirs, "spinner.ts");
    assert.deepEqual(
      result.inputs,
      ["_components.ts", "lib/twin.ts", "spinner.ts"].map((f) => join(dirs.scripts, f)),
    );
    const { code, stdout } = await runBundle(result.path);
    assert.equal(code, 1);
    const fail = firstFrame(stdout) as { t: string; error: { message: string } };
    assert.equal(fail.t, "fail");
    assert.deepEqual(JSON.parse(fail.error.message), [
      "_components.ts",
      "spinner.ts",
      "lib/twin.ts",
      null,
      true,
      true,
    ]);
  });
});

/** A module nesting `depth` arrays: esbuild parses it recursively (a 1 000 000 deep one kills it). */
function nested(depth: number): string {
  return `export const a = ${"[".repeat(depth)}${"]".repeat(depth)};\nexport default a;\n`;
}

Deno.test("a build past its time budget is refused alone, and the next build of any script works", async () => {
  await withScripts(
    { "scripts/slow.ts": nested(100_000), "scripts/main.ts": IDLE },
    async (dirs) => {
      await bundle(dirs);
      const start = performance.now();
      const error = await refusal(
        bundleScript(join(dirs.scripts, "slow.ts"), {
          scriptsDir: dirs.scripts,
          outDir: dirs.out,
          timeBudgetMs: 200,
        }),
      );
      const took = performance.now() - start;
      const slow = relative(Deno.cwd(), join(dirs.scripts, "slow.ts"));
      assert.equal(
        error.message,
        `Cannot bundle "${slow}": esbuild ran past its time budget of 200 ms and was stopped; ` +
          `the bundler restarted it for the other scripts`,
      );
      assert.equal(error.location, slow);
      assert.ok(took < 200 + 2500, `refused after ${took.toFixed(0)} ms`);
      const again = await bundle(dirs);
      assert.equal((await runBundle(again.path)).code, 0);
    },
  );
});

Deno.test("a bundle over its size budget is refused, and so is a file bigger than the budget", async () => {
  const big = `export const data = ${JSON.stringify("x".repeat(100_000))};\n`;
  await withScripts({
    "scripts/main.ts": IDLE,
    "scripts/uses_big.ts": `import { data } from "./lib/big.ts";\nexport default data;\n`,
    "scripts/lib/big.ts": big,
  }, async (dirs) => {
    const options = { scriptsDir: dirs.scripts, outDir: dirs.out, maxBundleBytes: 64 * 1024 };
    const main = relative(Deno.cwd(), join(dirs.scripts, "main.ts"));
    const output = await refusal(bundleScript(join(dirs.scripts, "main.ts"), options));
    assert.match(
      output.message,
      new RegExp(
        `^Cannot bundle "${main}": the bundle is \\d+\\.\\d KiB, over the budget of 64 KiB$`,
      ),
    );
    const file = relative(Deno.cwd(), join(dirs.scripts, "lib", "big.ts"));
    const input = await refusal(bundleScript(join(dirs.scripts, "uses_big.ts"), options));
    assert.equal(
      input.message,
      `Cannot bundle "${file}": it is 97.7 KiB, over the budget of 64 KiB for a bundle`,
    );
    assert.equal(input.location, file);
    assert.deepEqual(await bundleFiles(dirs), []);
    // The default budget takes both.
    assert.ok((await bundle(dirs, "uses_big.ts")).bytes > 100_000);
  });
});

Deno.test("bundleScript finds top-level await in a file too big for esbuild's transform request", async () => {
  const filler = `// ${"x".repeat(1000)}\n`.repeat(1100);
  const source = `${filler}export const value = await Promise.resolve(1);\n`;
  await withScripts({ "scripts/main.ts": source }, async (dirs) => {
    const error = await refusal(bundle(dirs));
    assert.equal(error.location, site(dirs, "scripts/main.ts", source, "await"));
    assert.match(error.message, /^Cannot use top-level await in /);
  });
});

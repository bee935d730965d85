import assert from "node:assert/strict";
import { join } from "node:path";
import { scriptReport } from "../_world.ts";
import {
  assertKeptTicking,
  assertNoLeak,
  attackFolder,
  escape,
  fixture,
  runAttacks,
} from "./_attack.ts";

const CONFINED = 'scripts may only import files in their own folder and "@syncra/std"';
const COMPUTED = "esbuild would bundle every file its pattern matches, and " + CONFINED +
  ", named by a string literal";
const TEXT = 'import attributes { type: "text" } are not allowed, only { type: "json" }';

/** Each attack: what it imports (as written, or "import(" for computed ones) and why that is refused. */
const REFUSED: Record<string, { at: string; message: (root: string) => string }> = {
  parent_dir_import: { at: '"../secret.json"', message: () => CONFINED },
  absolute_path_import: { at: '"__SECRET_DIR__/secret.json"', message: () => CONFINED },
  symlink_import: {
    at: '"./_planted.json"',
    message: (root) =>
      `it is a symlink to "${join(root, "secret.json")}", outside the folder: ${CONFINED}`,
  },
  computed_dynamic_import: { at: "import(", message: () => COMPUTED },
  glob_import_template: { at: "import(", message: () => COMPUTED },
  import_text_attribute: { at: '"./_notes.txt"', message: () => TEXT },
  import_text_etc_passwd: { at: '"/etc/passwd"', message: () => TEXT },
  import_json_secret_literal: {
    at: '"file://__SECRET_DIR__/secret.json"',
    message: () => CONFINED,
  },
  nonmodule_import: { at: '"../secret.js"', message: () => CONFINED },
  node_builtin_import: { at: '"node:fs"', message: () => CONFINED },
  npm_import: { at: '"npm:left-pad@1.3.0"', message: () => CONFINED },
  remote_import: { at: '"https://example.com/payload.ts"', message: () => CONFINED },
  data_url_import: { at: '"data:text/javascript,', message: () => CONFINED },
};

/** `line:column` (both from 1) of the first occurrence of `needle` in a fixture's code. */
async function locate(name: string, needle: string): Promise<string> {
  const lines = (await fixture(`${name}.ts`)).split("\n");
  const line = lines.findIndex((l) => l.includes(needle) && !l.trimStart().startsWith("//"));
  assert.ok(line >= 0, `"${needle}" is in ${name}.ts`);
  return `${line + 1}:${lines[line]!.indexOf(needle) + 1}`;
}

Deno.test("imports out of the scripts folder, computed, remote, npm:, node:, data: or as text are refused with file:line before anything runs", async () => {
  await using folder = await attackFolder(Object.keys(REFUSED), {
    extra: { "_notes.txt": "notes\n" },
  });
  const { root, scripts, secret } = folder;
  // Planted symlinks: an imported file, and a script file, pointing out of the folder.
  await Deno.symlink(join(root, "secret.json"), join(scripts, "_planted.json"));
  await Deno.mkdir(join(root, "outside"));
  const outside = join(root, "outside", "symlinked_script.ts");
  await Deno.writeTextFile(outside, await fixture("symlinked_script.ts"));
  await Deno.symlink(outside, join(scripts, "symlinked_script.ts"));

  const ticks = 5;
  const run = await runAttacks(folder, ticks);
  for (const [name, { at, message }] of Object.entries(REFUSED)) {
    const s = scriptReport(run, name);
    const specifier = at === "import(" ? null : at.slice(1).replace(/"$/, "");
    const where = `scripts/${name}\\.ts:${await locate(name, at)}`;
    const expected = specifier === null
      ? `^Cannot import a computed path in \\S*${where}: ${escape(message(root))}$`
      : `^Cannot import "${
        escape(specifier.replaceAll("__SECRET_DIR__", root))
      }[^"]*" in \\S*${where}: ${escape(message(root))}$`;
    assert.equal(s.state, "refused", `${name}: ${s.lastError}`);
    assert.match(s.lastError ?? "", new RegExp(expected), `${name}: ${s.lastError}`);
    assert.equal(s.isolation, null, `${name} never started a process`);
    assert.ok(
      run.events.some((e) => e.type === "refused" && e.script === name),
      `${name}: a refused event`,
    );
    assert.ok(!run.events.some((e) => e.type === "ready" && e.script === name));
  }
  const planted = scriptReport(run, "symlinked_script");
  assert.equal(planted.state, "refused");
  assert.match(
    planted.lastError ?? "",
    new RegExp(
      `^Cannot bundle "\\S*scripts/symlinked_script\\.ts": it is a symlink to "${
        escape(outside)
      }", outside the folder: ${escape(CONFINED)}$`,
    ),
  );
  // Not even an error message quotes the secret, or the first line of a non-module file.
  assertNoLeak(run, [secret.token, secret.firstLine]);
  assertKeptTicking(run, ticks);
});

/**
 * The layout rule of DESIGN §1, checked on every test run (and so by
 * `deno task ok`): a module imports another folder only through that
 * folder's `mod.ts` (std also through `std/internal.ts`, its runtime-facing
 * part), and the lower layers never import the upper ones — the ECS and the
 * protocol know nothing of processes, sandboxes or the application.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../", import.meta.url));
const CHECKED = ["main.ts", "runtime", "sandbox", "std", "tests", "bench"];
/** Folders whose code is not ours to lay out (user scripts, attack fixtures, generated output). */
const SKIPPED = /(^|\/)(fixtures|node_modules|\.syncra)(\/|$)/;
/** What each low layer may import besides itself. */
const LAYERS: Record<string, string[]> = {
  "runtime/protocol": ["std"],
  "runtime/ecs": ["std", "runtime/protocol"],
};

/** One import that breaks the rule. */
export interface ImportViolation {
  file: string;
  line: number;
  specifier: string;
  why: string;
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^"'`;]*?\bfrom\s*"(\.{1,2}\/[^"]+)"|import\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g;

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function* sourceFiles(root: string, path: string): Generator<string> {
  const abs = join(root, path);
  if (Deno.statSync(abs).isFile) {
    if (/\.(ts|mts)$/.test(path)) yield path;
    return;
  }
  for (const entry of Deno.readDirSync(abs)) {
    const child = join(path, entry.name);
    if (SKIPPED.test(child)) continue;
    if (entry.isDirectory || /\.(ts|mts)$/.test(entry.name)) yield* sourceFiles(root, child);
  }
}

/** Every import in the checked folders that crosses a folder without its mod.ts, or a layer. */
export function importViolations(root = REPO): ImportViolation[] {
  const out: ImportViolation[] = [];
  for (const top of CHECKED) {
    try {
      Deno.statSync(join(root, top));
    } catch {
      continue;
    }
    for (const file of sourceFiles(root, top)) {
      // This file's samples are strings, not imports.
      if (file === "tests/import_rules_test.ts") continue;
      const text = Deno.readTextFileSync(join(root, file));
      for (const m of text.matchAll(IMPORT)) {
        const specifier = (m[1] ?? m[2])!;
        const target = relative(root, resolve(root, dirname(file), specifier));
        const from = dirname(file);
        const to = dirname(target);
        const line = text.slice(0, m.index).split("\n").length + (m[0].startsWith("\n") ? 1 : 0);
        const report = (why: string) => out.push({ file, line, specifier, why });
        // A specifier that names no file is a sample in a string or comment (deno checks real ones).
        if (!isFile(join(root, target))) continue;
        if (to !== from && /^(runtime|sandbox|std)\//.test(target)) {
          const viaMod = target.endsWith("/mod.ts") || target === "std/internal.ts" ||
            target === "main.ts";
          if (!viaMod) report(`imports ${to}/ around its mod.ts`);
        }
        for (const [layer, allowed] of Object.entries(LAYERS)) {
          if (!(from === layer || from.startsWith(`${layer}/`))) continue;
          const ok = to === from || allowed.some((a) => to === a || to.startsWith(`${a}/`));
          if (!ok) report(`${layer} may import only ${allowed.join(", ")}, not ${to}`);
        }
      }
    }
  }
  return out;
}

Deno.test("layout: folders import each other only through mod.ts, and lower layers never reach up", () => {
  const violations = importViolations();
  assert.deepEqual(
    violations.map((v) => `${v.file}:${v.line}: "${v.specifier}" ${v.why}`),
    [],
  );
});

Deno.test("layout: the rule catches imports around a mod.ts and up the layers", () => {
  const root = Deno.makeTempDirSync({ prefix: "syncra-layout-" });
  try {
    const write = (path: string, text: string) => {
      Deno.mkdirSync(dirname(join(root, path)), { recursive: true });
      Deno.writeTextFileSync(join(root, path), text);
    };
    write("runtime/ecs/world.ts", `import {\n  Slot,\n} from "../supervision/mod.ts";\n`);
    write("runtime/ecs/mod.ts", `export { World } from "./world.ts";\n`);
    write("runtime/supervision/mod.ts", "export class Slot {}\n");
    write("runtime/store/codec.ts", "export {};\n");
    write(
      "runtime/app/run.ts",
      `import { World } from "../ecs/world.ts";\n` +
        `export type { W } from "../ecs/mod.ts";\nconst x = await import("../store/codec.ts");\n`,
    );
    const found = importViolations(root).map((v) => `${v.file}:${v.line} ${v.why}`);
    assert.deepEqual(found.sort(), [
      "runtime/app/run.ts:1 imports runtime/ecs/ around its mod.ts",
      "runtime/app/run.ts:3 imports runtime/store/ around its mod.ts",
      "runtime/ecs/world.ts:1 runtime/ecs may import only std, runtime/protocol, not runtime/supervision",
    ]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

/**
 * `deno task bench` (second part): what queries cost in a real sandboxed
 * world, each case measured against its baseline in the same run.
 *
 * - **changed filter**: one script with `changed: [H]` over 100 000 entities
 *   of which 1 % change per tick (changed in-process between ticks, stamped
 *   as a merge stamps them), against one script reading a plain 1 000-entity
 *   query. Target: ≤ 1.5× (it ships only the changed rows).
 * - **three queries**: one script with three queries of 10 000 rows each
 *   (`with: [A]`, `[B]`, `[C]`), against one script with one query over the
 *   same 30 000 rows. Target: ≤ 1.2×.
 *
 * Cases are interleaved round by round so that a noisy moment of a shared
 * machine weighs on both sides; the median tick of each side is compared.
 * Writes `bench/query_results.json` (unless `--no-json`).
 *
 * @module
 */
import { join } from "node:path";
import { createWorld, type LiveWorld } from "../runtime/app/mod.ts";
import { type RowSet, scatterColumn, World } from "../runtime/ecs/mod.ts";
import { stopBundler } from "../sandbox/bundle/mod.ts";
import { stats } from "./_bench_tools.ts";

const ROUNDS = 3;
const WARMUP_TICKS = 10;
const TICKS_PER_ROUND = 60;
const TARGETS = { changed: 1.5, threeQueries: 1.2 };

const COMPONENTS = `import { defineComponent } from "@syncra/std";
export const H = defineComponent("H", { v: "f32" });
export const P = defineComponent("P", { p: "vec3" });
export const A = defineComponent("A", { t: "u8" });
export const B = defineComponent("B", { t: "u8" });
export const C = defineComponent("C", { t: "u8" });
`;

/** Each case: the scripts of its world and how its world is populated. */
const CASES = {
  changed100k: {
    script: `import { defineSystem } from "@syncra/std";
import { H } from "./_c.ts";
let sum = 0;
export default defineSystem({ queries: { hot: { reads: [H], changed: [H] } }, run(ctx) {
  const q = ctx.query("hot"), v = q.read(H).v;
  for (let i = 0; i < q.count; i++) sum += v[i];
} });`,
    entities: { H: 100_000 },
  },
  plain1k: {
    script: `import { defineSystem } from "@syncra/std";
import { H } from "./_c.ts";
let sum = 0;
export default defineSystem({ reads: [H], run(ctx) {
  const v = ctx.read(H).v;
  for (let i = 0; i < ctx.count; i++) sum += v[i];
} });`,
    entities: { H: 1_000 },
  },
  threeQueries: {
    script: `import { defineSystem } from "@syncra/std";
import { A, B, C, P } from "./_c.ts";
export default defineSystem({
  queries: { a: { writes: [P], with: [A] }, b: { writes: [P], with: [B] }, c: { writes: [P], with: [C] } },
  run(ctx) {
    for (const name of ["a", "b", "c"]) {
      const q = ctx.query(name), p = q.write(P).p;
      for (let i = 0; i < q.count * 3; i++) p[i] += ctx.dt;
    }
  },
});`,
    entities: { "P+A": 10_000, "P+B": 10_000, "P+C": 10_000 },
  },
  oneQuery: {
    script: `import { defineSystem } from "@syncra/std";
import { P } from "./_c.ts";
export default defineSystem({ writes: [P], run(ctx) {
  const p = ctx.write(P).p;
  for (let i = 0; i < ctx.count * 3; i++) p[i] += ctx.dt;
} });`,
    entities: { "P+A": 10_000, "P+B": 10_000, "P+C": 10_000 },
  },
} as const;

type CaseName = keyof typeof CASES;

const SCHEMAS = {
  H: { v: { type: "f32" as const, default: [0] } },
  P: { p: { type: "vec3" as const, default: [0, 0, 0] } },
  A: { t: { type: "u8" as const, default: [0] } },
  B: { t: { type: "u8" as const, default: [0] } },
  C: { t: { type: "u8" as const, default: [0] } },
};

/** A world holding the case's entities, with its components as the script's module defines them. */
function populate(entities: Readonly<Record<string, number>>): World {
  const world = new World();
  const key = (name: keyof typeof SCHEMAS) =>
    world.registry.resolve({ name, schema: SCHEMAS[name], module: "_c.ts" }).key;
  for (const [set, n] of Object.entries(entities)) {
    const keys = set.split("+").map((c) => key(c as keyof typeof SCHEMAS));
    const components = Object.fromEntries(keys.map((k) => [k, {}]));
    for (const id of world.allocator.reserve(n)) world.spawn(id, components);
  }
  return world;
}

/** A sandboxed world of one case, made as `deno task world` makes it, around its populated world. */
async function caseWorld(root: string, name: CaseName): Promise<LiveWorld> {
  const scriptsDir = join(root, name, "scripts");
  await Deno.mkdir(scriptsDir, { recursive: true });
  await Deno.writeTextFile(join(scriptsDir, "_c.ts"), COMPONENTS);
  await Deno.writeTextFile(join(scriptsDir, `${name}.ts`), CASES[name].script);
  const problems: string[] = [];
  const live = await createWorld({
    scriptsDir,
    workDir: join(root, name, ".syncra"),
    hz: 0,
    deadlineMs: 5000,
    quiet: true,
    watch: false,
    onEvent: (e) => {
      if (e.type === "late" || e.type === "violation" || e.type === "refused") {
        problems.push(`${name}: ${e.type}`);
      }
    },
  }, { world: populate(CASES[name].entities) });
  await live.start();
  const slot = live.supervisor.slots()[0]!;
  if (slot.state !== "running") throw new Error(`${name} is not running: ${slot.lastError}`);
  Object.assign(live, { problems });
  return live;
}

/** Changes 1 % of H's rows in-process and stamps them, as a merge by another system would. */
function changeOnePercent(world: World, round: number): void {
  const info = world.registry.named("H")[0]!;
  const all = world.query([info.key]);
  const archetype = all.parts[0]!.archetype;
  const n = Math.floor(archetype.length / 100);
  const rows = new Uint32Array(n).map((_, i) => (i * 100 + round) % archetype.length);
  const set: RowSet = { parts: [{ archetype, rows }], count: n };
  const values = new Float32Array(n).fill(round + 1);
  scatterColumn(
    set,
    info.key,
    info.fields[0]!,
    new Uint8Array(values.buffer),
    world.advanceClock(),
  );
}

async function timeTicks(live: LiveWorld, ticks: number, name: CaseName): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < ticks; i++) {
    if (name === "changed100k") changeOnePercent(live.coordinator.world, live.coordinator.tick);
    const t = performance.now();
    await live.coordinator.step();
    out.push(performance.now() - t);
  }
  return out;
}

/** Median tick ms of each case over interleaved rounds. */
async function measure(root: string): Promise<Record<CaseName, number[]>> {
  const names = Object.keys(CASES) as CaseName[];
  const worlds = new Map<CaseName, LiveWorld>();
  for (const name of names) worlds.set(name, await caseWorld(root, name));
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<
    CaseName,
    number[]
  >;
  try {
    for (const name of names) await timeTicks(worlds.get(name)!, WARMUP_TICKS, name);
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of names) {
        samples[name].push(...await timeTicks(worlds.get(name)!, TICKS_PER_ROUND, name));
      }
    }
    for (const [name, live] of worlds) {
      const problems = (live as unknown as { problems: string[] }).problems;
      if (problems.length > 0) throw new Error(`${name}: ${problems.slice(0, 3).join("; ")}`);
    }
  } finally {
    for (const live of worlds.values()) await live.stop();
  }
  return samples;
}

if (import.meta.main) {
  const root = await Deno.makeTempDir({ prefix: "syncra_query_bench_" });
  try {
    const samples = await measure(root);
    const p50 = (n: CaseName) => stats(samples[n]).p50;
    const rows = [
      {
        case: "changed filter, 100k entities, 1% changed per tick",
        ms: p50("changed100k"),
        baseline: "plain query, 1k entities",
        baselineMs: p50("plain1k"),
        target: TARGETS.changed,
      },
      {
        case: "3 queries of 10k rows",
        ms: p50("threeQueries"),
        baseline: "1 query of the same 30k rows",
        baselineMs: p50("oneQuery"),
        target: TARGETS.threeQueries,
      },
    ].map((r) => {
      const ratio = Math.round((r.ms / r.baselineMs) * 100) / 100;
      return { ...r, ratio, pass: ratio <= r.target };
    });
    console.log("| case | tick p50 ms | baseline | baseline p50 ms | ratio | target | |");
    console.log("| --- | --- | --- | --- | --- | --- | --- |");
    for (const r of rows) {
      console.log(
        `| ${r.case} | ${r.ms.toFixed(3)} | ${r.baseline} | ${r.baselineMs.toFixed(3)} | ` +
          `${r.ratio.toFixed(2)}× | ≤ ${r.target}× | ${r.pass ? "pass" : "MISS"} |`,
      );
    }
    if (!Deno.args.includes("--no-json")) {
      const out = new URL("./query_results.json", import.meta.url);
      await Deno.writeTextFile(
        out,
        JSON.stringify({ date: new Date().toISOString(), rows }, null, 2) + "\n",
      );
    }
  } finally {
    await stopBundler();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

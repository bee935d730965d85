// scratch: run fixtures given on the command line beside the counter and print what happened
import {
  COUNTER_MODULE,
  COUNTER_SCRIPT,
  fieldValues,
  makeScripts,
  runTestWorld,
} from "../../_world.ts";
import { basename } from "node:path";
const ticks = Number(Deno.env.get("TICKS") ?? 5);
const files: Record<string, string> = {
  "_counter.ts": COUNTER_MODULE,
  "counter.ts": COUNTER_SCRIPT,
};
for (const f of Deno.args) files[basename(f)] = await Deno.readTextFile(f);
await using folder = await makeScripts(files);
const t0 = performance.now();
const run = await runTestWorld(folder, {
  ticks,
  jail: (Deno.env.get("JAIL") ?? "on") as "on",
  deadlineMs: Number(Deno.env.get("DEADLINE") ?? 250),
  memoryMb: Number(Deno.env.get("MEM") ?? 256),
});
console.log("ms", (performance.now() - t0).toFixed(0));
for (const e of run.events) {
  if (e.type === "log") console.log(`LOG [${e.script}] ${e.text.slice(0, 4000)}`);
  else if (e.type === "ready") continue;
  else console.log(JSON.stringify(e).slice(0, 600));
}
for (const s of run.report.scripts) {
  console.log(s.name, s.state, s.isolation, s.restarts, s.lastError?.slice(0, 400));
}
console.log(
  "counter",
  fieldValues(run, "Counter", "value"),
  "ticks",
  run.report.ticks,
  "entities",
  run.report.entities,
);

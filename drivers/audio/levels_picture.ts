// Draws drivers/audio/levels.svg, the README's picture of the audio driver: a real world (the CLI,
// jailed driver and all) where one tone circles the listener once in four seconds, and the left
// and right levels of each tick read back from the WAV the driver wrote.
//
//   deno run -A drivers/audio/levels_picture.ts && deno fmt drivers/audio/levels.svg
import { join } from "node:path";

const SCRIPT = `
import { AudioSource, Camera, defineSystem, Transform } from "@syncra/std";
export default defineSystem({
  writes: [Transform, AudioSource, Camera], spawns: true,
  queries: { sources: { writes: [Transform], with: [AudioSource] } },
  init(ctx) {
    ctx.spawn({ Transform: { position: [0, 0, -2] }, AudioSource: { tone: 330, playing: true, loop: true, volume: 0.7 } });
    ctx.spawn({ Transform: {}, Camera: {} });
  },
  run(ctx) {
    const q = ctx.query("sources"), p = q.write(Transform).position;
    const a = (ctx.tick / 240) * 2 * Math.PI; // ahead, right, behind, left, ahead
    for (let i = 0; i < q.count; i++) { p[i * 3] = 2 * Math.sin(a); p[i * 3 + 2] = -2 * Math.cos(a); }
  },
});`;

const TICKS = 240, BLOCK = 800;
const root = await Deno.makeTempDir({ prefix: "syncra_levels_" });
await Deno.mkdir(join(root, "scripts"));
await Deno.writeTextFile(join(root, "scripts", "circle.ts"), SCRIPT);
const out = join(root, "mix.wav");
const main = new URL("../../main.ts", import.meta.url).pathname;
const run = await new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    main,
    "world",
    "--no-viewer",
    "--fresh",
    "--ticks",
    String(TICKS + 10),
    "--audio-out",
    out,
  ],
  cwd: root,
  stdout: "null",
  stderr: "piped",
}).output();
if (!run.success) throw new Error(new TextDecoder().decode(run.stderr));
const log = new TextDecoder().decode(run.stderr);
const first = Number(/from tick (\d+)/.exec(log)?.[1] ?? 1);
const wav = await Deno.readFile(out);
const view = new DataView(wav.buffer, 44);
const rms = (tick: number, channel: number) => {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = view.getInt16(((tick - first) * BLOCK + i) * 4 + channel * 2, true) / 32768;
    sum += v * v;
  }
  return Math.sqrt(sum / BLOCK);
};
const W = 640, H = 220, PAD = 36, TOP = 0.3;
const x = (t: number) => PAD + ((t - 1) / (TICKS - 1)) * (W - 2 * PAD);
const y = (v: number) => H - PAD - (v / TOP) * (H - 2 * PAD);
const line = (channel: number) =>
  Array.from(
    { length: TICKS },
    (_, i) => `${x(i + 1).toFixed(1)},${y(rms(i + 1, channel)).toFixed(1)}`,
  ).join(" ");
const labels = ["ahead", "right", "behind", "left", "ahead"].map((text, i) =>
  `<text x="${x(1 + (i * (TICKS - 1)) / 4)}" y="${H - 12}" text-anchor="middle">${text}</text>`
).join("");
const svg =
  `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${PAD}" y="18">RMS per tick of a tone circling the listener at 2 m (from the driver's WAV)</text>
<line x1="${PAD}" y1="${y(0)}" x2="${W - PAD}" y2="${y(0)}" stroke="#999"/>
<line x1="${PAD}" y1="${y(0)}" x2="${PAD}" y2="${y(TOP)}" stroke="#999"/>
<text x="${PAD - 4}" y="${y(0.25) + 4}" text-anchor="end">0.25</text>
<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${line(0)}"/>
<polyline fill="none" stroke="#d62728" stroke-width="2" points="${line(1)}"/>
<text x="${W - PAD}" y="40" text-anchor="end" fill="#1f77b4">left</text>
<text x="${W - PAD}" y="56" text-anchor="end" fill="#d62728">right</text>
${labels}
</svg>
`;
await Deno.writeTextFile(new URL("./levels.svg", import.meta.url), svg);
await Deno.remove(root, { recursive: true });
console.log("wrote drivers/audio/levels.svg");

// The peer of bench/channel_bench.ts: answers every frame it reads with one
// frame holding a MessagePack bin of `replyBytes`. It reads fd 0 with
// `await Deno.stdin.read` ("async", how a stdio guest reads) or
// `Deno.stdin.readSync` ("sync"), and needs no permission.
const [mode, replyArg] = Deno.args;
const replyBytes = Number(replyArg);
const reply = new Uint8Array(4 + 5 + replyBytes);
const view = new DataView(reply.buffer);
view.setUint32(0, 5 + replyBytes, true);
reply[4] = 0xc6;
view.setUint32(5, replyBytes);

const chunk = new Uint8Array(256 * 1024);
const header = new Uint8Array(4);
let headerFill = 0;
let remaining = -1;

function answer(): void {
  for (let at = 0; at < reply.length;) at += Deno.stdout.writeSync(reply.subarray(at));
}

while (true) {
  const n = mode === "async" ? await Deno.stdin.read(chunk) : Deno.stdin.readSync(chunk);
  if (n === null || n === 0) break;
  let at = 0;
  while (at < n) {
    if (remaining < 0) {
      const take = Math.min(4 - headerFill, n - at);
      header.set(chunk.subarray(at, at + take), headerFill);
      headerFill += take;
      at += take;
      if (headerFill < 4) break;
      headerFill = 0;
      remaining = new DataView(header.buffer).getUint32(0, true);
    }
    const take = Math.min(remaining, n - at);
    remaining -= take;
    at += take;
    if (remaining === 0) {
      remaining = -1;
      answer();
    }
  }
}

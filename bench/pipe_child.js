// The raw-pipe baseline's child (bench/tick_bench.ts): no MessagePack, no
// validation, no copies. It reads frames `[u32 length][u32 replyBytes][...]`
// (little-endian) from stdin and answers each, once it has all of it, with a
// frame `[u32 replyBytes][replyBytes bytes]` on stdout. What is left is the
// cost of moving the bytes through the pipe and waking the processes.

const stdin = Deno.stdin;
const stdout = Deno.stdout;
const chunk = new Uint8Array(1 << 20);
const header = new Uint8Array(8);
const headerView = new DataView(header.buffer);
let headerFill = 0;
let remaining = 0;
let replyBytes = 0;
let reply = new Uint8Array(4);

function answer() {
  const size = 4 + replyBytes;
  if (reply.length < size) reply = new Uint8Array(size);
  new DataView(reply.buffer).setUint32(0, replyBytes, true);
  const frame = reply.subarray(0, size);
  let written = 0;
  while (written < frame.length) written += stdout.writeSync(frame.subarray(written));
  headerFill = 0;
}

while (true) {
  const n = await stdin.read(chunk);
  if (n === null) break;
  let at = 0;
  while (at < n) {
    if (headerFill < 8) {
      const take = Math.min(8 - headerFill, n - at);
      header.set(chunk.subarray(at, at + take), headerFill);
      headerFill += take;
      at += take;
      if (headerFill < 8) break;
      remaining = headerView.getUint32(0, true) - 4;
      replyBytes = headerView.getUint32(4, true);
      if (remaining === 0) answer();
      continue;
    }
    const take = Math.min(remaining, n - at);
    remaining -= take;
    at += take;
    if (remaining === 0) answer();
  }
}

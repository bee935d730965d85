import assert from "node:assert/strict";
import { runLinkContract } from "./link_contract.ts";
import { spawnSocketChild } from "./socket_link.ts";

runLinkContract({ name: "unix socket", makeLink: spawnSocketChild });

/** The open fds of this process and the launcher's temp folders. */
function leftovers(): { fds: number; folders: string[] } {
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  return {
    fds: [...Deno.readDirSync("/proc/self/fd")].length,
    folders: [...Deno.readDirSync(tmp)].map((e) => e.name).filter((n) =>
      n.startsWith("syncra-link-")
    ),
  };
}

Deno.test("spawnSocketChild names the program it cannot start, and leaves nothing open", () => {
  const handlers = { message: () => {}, protocolError: () => {}, stderr: () => {} };
  const before = leftovers();
  assert.throws(
    () => spawnSocketChild({ program: "/nonexistent/deno", args: [], env: {} }, handlers),
    /Cannot launch "\/nonexistent\/deno": posix_spawnp failed with errno 2 \(No such file or directory\)/,
  );
  assert.deepEqual(leftovers(), before);
});

Deno.test("a socket child reads its channel with an await read too", async () => {
  const lines: string[] = [];
  const echo = "const b = new Uint8Array(64); const n = await Deno.stdin.read(b); " +
    "Deno.stdout.writeSync(b.subarray(0, n)); console.error('done');";
  // Copied out: the link reuses its read buffer.
  const reserves: number[][] = [];
  const child = spawnSocketChild(
    { program: Deno.execPath(), args: ["eval", echo], env: { NO_COLOR: "1" } },
    {
      message: (m) => reserves.push([...(m as { reserve: Uint8Array }).reserve]),
      protocolError: () => {},
      stderr: (l) => lines.push(l),
    },
  );
  await child.link.send({ t: "init", reserve: new Uint8Array([7, 8]) });
  assert.deepEqual(await child.process.exited, { code: 0, signal: null });
  assert.deepEqual(reserves, [[7, 8]]);
  assert.deepEqual(lines, ["done"]);
});

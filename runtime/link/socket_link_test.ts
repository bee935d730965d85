import assert from "node:assert/strict";
import { runLinkContract } from "./link_contract.ts";
import { spawnSocketChild } from "./socket_link.ts";
import { spawnStdioChild } from "./stdio_link.ts";
import { deriveChildCommand } from "../../sandbox/command/mod.ts";
import { detectJail } from "../../sandbox/jail/mod.ts";

const IN_CI = Deno.env.get("SYNCRA_CI") === "1";

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

/** The pid of the deno process whose command line names `needle`, or null. */
function findDeno(needle: string): number | null {
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const comm = Deno.readTextFileSync(`/proc/${entry.name}/comm`).trim();
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (comm === "deno" && cmdline.includes(needle)) return Number(entry.name);
    } catch { /* gone, or not ours to read */ }
  }
  return null;
}

/** What each descriptor of `pid` is: "socket", "pipe", "anon_inode:[eventpoll]", a path… */
function descriptorKinds(pid: number): Map<number, string> {
  const kinds = new Map<number, string>();
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      const target = Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`);
      kinds.set(Number(entry.name), target.replace(/^(socket|pipe):\[\d+\]$/, "$1"));
    } catch { /* closed meanwhile */ }
  }
  return kinds;
}

Deno.test({
  name:
    "in the jail, a socket child holds exactly what a stdio child holds, with sockets for pipes",
  ignore: !IN_CI && (await detectJail()).isolation !== "jail",
  async fn() {
    const jail = await detectJail({ require: true });
    const dir = await Deno.makeTempDir({ prefix: "syncra_socket_jail_" });
    try {
      const bundlePath = `${dir}/idle.js`;
      await Deno.writeTextFile(bundlePath, "setInterval(() => {}, 1000);\n");
      const command = jail.wrap(
        deriveChildCommand({
          denoPath: Deno.execPath(),
          bundlePath,
          heapMb: 64,
          grants: { net: [], storageDir: null },
        }),
        { bundlePath, storageDir: null, net: false },
      );
      const handlers = { message: () => {}, protocolError: () => {}, stderr: () => {} };
      const seen: Record<string, Map<number, string>> = {};
      for (
        const [name, spawn] of [["stdio", spawnStdioChild], ["socket", spawnSocketChild]] as const
      ) {
        const child = spawn(command, handlers);
        try {
          let pid: number | null = null;
          for (let i = 0; i < 200 && pid === null; i++) {
            pid = findDeno(bundlePath);
            if (pid === null) await new Promise((r) => setTimeout(r, 25));
          }
          assert.ok(pid !== null, `${name}: the jailed deno is found`);
          // Deno opens its own descriptors as it starts: let it settle.
          await new Promise((r) => setTimeout(r, 300));
          seen[name] = descriptorKinds(pid);
        } finally {
          child.process.kill();
          await child.process.exited;
        }
      }
      const stdio = seen.stdio!;
      const socket = seen.socket!;
      assert.deepEqual([0, 1, 2].map((fd) => stdio.get(fd)), ["pipe", "pipe", "pipe"]);
      assert.deepEqual([0, 1, 2].map((fd) => socket.get(fd)), ["socket", "socket", "socket"]);
      // Deno keeps copies of its stdio (pipes on stdio, sockets here) and sockets of its own.
      const rest = (kinds: Map<number, string>) =>
        [...kinds].filter(([fd]) => fd > 2).map(([, kind]) => kind === "pipe" ? "socket" : kind)
          .sort();
      assert.deepEqual(rest(socket), rest(stdio), "no descriptor more than on stdio");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

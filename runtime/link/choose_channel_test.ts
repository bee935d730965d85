import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { chooseChannel } from "./choose_channel.ts";

const PRINT_CHANNEL = fileURLToPath(new URL("./fixtures/print_channel.ts", import.meta.url));

/** What chooseChannel says in a fresh `deno run` with these flags and SYNCRA_CHANNEL. */
async function channelIn(flags: string[], force?: string): Promise<Record<string, string>> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  if (force !== undefined) env.SYNCRA_CHANNEL = force;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--no-config", "--no-lock", ...flags, PRINT_CHANNEL],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

Deno.test("chooseChannel picks the socket where the FFI launcher works", async () => {
  const choice = await chooseChannel({ force: undefined });
  assert.equal(choice.kind, "socket");
  assert.equal(choice.description, "unix socket on fds 0/1 (launched through FFI)");
  const lines: string[] = [];
  const child = choice.spawn({ program: "/bin/sh", args: ["-c", "echo spawned >&2"], env: {} }, {
    message: () => {},
    protocolError: () => {},
    stderr: (line) => lines.push(line),
  });
  assert.deepEqual(await child.process.exited, { code: 0, signal: null });
  assert.deepEqual(lines, ["spawned"]);
});

Deno.test("chooseChannel uses stdio when told to", async () => {
  const choice = await chooseChannel({ force: "stdio" });
  assert.equal(choice.kind, "stdio");
  assert.equal(choice.description, "stdio pipes (SYNCRA_CHANNEL=stdio)");
});

Deno.test("chooseChannel rejects an unknown SYNCRA_CHANNEL", async () => {
  await assert.rejects(chooseChannel({ force: "carrier-pigeon" }), TypeError);
});

Deno.test("chooseChannel falls back to stdio without FFI, saying why, and a forced socket is an error", async () => {
  const flags = ["--allow-env=SYNCRA_CHANNEL", "--allow-read"];
  assert.deepEqual(await channelIn(flags), {
    kind: "stdio",
    description:
      "stdio pipes (socket launcher unavailable: FFI is not allowed: run the runtime with --allow-ffi)",
  });
  assert.deepEqual(await channelIn(flags, "socket"), {
    error:
      "Error: Cannot use the socket channel (SYNCRA_CHANNEL=socket): FFI is not allowed: run the runtime with --allow-ffi",
  });
  assert.deepEqual(await channelIn(["-A"], "socket"), {
    kind: "socket",
    description: "unix socket on fds 0/1 (SYNCRA_CHANNEL=socket)",
  });
});

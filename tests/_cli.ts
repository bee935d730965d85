/**
 * Runs the real CLI (`deno run -A main.ts …`) in a child process, for tests
 * of what a user sees: exit codes, stdout, stderr, and the files it writes.
 *
 * @module
 */

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** What a CLI run printed and how it ended. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `main.ts` with `args` (in `cwd` when given) and waits for it to exit. */
export async function cli(
  args: readonly string[],
  cwd?: string,
  env?: Record<string, string>,
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    ...(cwd ? { cwd } : {}),
    ...(env ? { env } : {}),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

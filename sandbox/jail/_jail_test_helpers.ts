/**
 * Helpers for tests that run tiny bundles through a jail: a temp bundle, the
 * derived command wrapped by the jail, and the JSON report a probe prints.
 *
 * @module
 */
import { type ChildCommand, type ChildGrants, deriveChildCommand } from "../command/mod.ts";
import type { Jail, JailMounts } from "./jail.ts";

export interface Run {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

export interface ScriptOptions {
  /** Appended after `deno run`: widens the flags to show the jail alone holds. */
  denoArgs?: string[];
  grants?: Partial<ChildGrants>;
  net?: boolean;
  /** Wraps the final command, e.g. a launcher that leaks descriptors. */
  launcher?: (command: ChildCommand) => ChildCommand;
  program?: string;
}

/** A temp folder with `bundle.js`, removed on dispose. */
export async function fixture(source: string) {
  const dir = await Deno.makeTempDir({ prefix: "syncra_jail_test_" });
  const bundlePath = `${dir}/bundle.js`;
  await Deno.writeTextFile(bundlePath, source);
  return {
    dir,
    bundlePath,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

export function command(bundlePath: string, options: ScriptOptions): ChildCommand {
  const derived = deriveChildCommand({
    denoPath: options.program ?? Deno.execPath(),
    bundlePath,
    heapMb: 64,
    grants: { net: [], storageDir: null, ...options.grants },
  });
  derived.args.splice(1, 0, ...options.denoArgs ?? []);
  return derived;
}

/** Starts a bundle through `jail` with no grants and lets it run; the caller kills it. */
export function spawnJailed(
  jail: Jail,
  bundlePath: string,
  stdout: "null" | "piped" = "null",
): Deno.ChildProcess {
  const wrapped = jail.wrap(command(bundlePath, {}), { bundlePath, storageDir: null, net: false });
  return new Deno.Command(wrapped.program, {
    args: wrapped.args,
    env: wrapped.env,
    clearEnv: true,
    stdin: "null",
    stdout,
    stderr: "null",
  }).spawn();
}

export async function runBundle(
  jail: Jail,
  bundlePath: string,
  options: ScriptOptions = {},
): Promise<Run> {
  const derived = command(bundlePath, options);
  const mounts: JailMounts = {
    bundlePath,
    storageDir: options.grants?.storageDir ?? null,
    net: options.net ?? false,
  };
  const wrapped = jail.wrap(derived, mounts);
  const final = options.launcher ? options.launcher(wrapped) : wrapped;
  const output = await new Deno.Command(final.program, {
    args: final.args,
    env: final.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  return {
    code: output.code,
    signal: output.signal,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** The JSON a probe bundle printed last. */
export function report<T>(run: Run): T {
  const last = run.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`The script printed no report (exit ${run.code}): ${run.stdout}${run.stderr}`);
  }
}

/**
 * `deno task explain <driver>`: what a driver the world enables asks for and
 * gets — its manifest as its zero-permission child reports it, the
 * approvals that apply, the exact command line and the jail — for a driver
 * named in `syncra.json` `"drivers"`, the built-in viewer, or a native driver
 * (renderer, audio, OpenXR) as its flag would start it.
 *
 * @module
 */
import { resolve } from "node:path";
import { describingWorld } from "./describing_world.ts";
import { VIEWER_DRIVER } from "./viewer_page.ts";
import { nativeDriverOptions } from "./native_drivers.ts";
import { quote } from "./explain.ts";
import type { WorldOptions } from "./world_options.ts";

/** What `explain` found out about a driver. */
export interface DriverExplanation {
  file: string;
  state: "driver";
  name: string;
  /** Why it did not start, or null. */
  error: string | null;
  reads: string[];
  /** Whether it also reads every component the world replicates (the network driver). */
  readsReplicated: boolean;
  writes: string[];
  spawns: boolean;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  /** What it asks for beyond the ECS: lists by capability, and `gpu`. */
  capabilities: Record<string, string[] | boolean>;
  isolation: string | null;
  jail: string;
  command: string[];
  wrapped: string[];
  /** It runs on remote hosts (syncra.json `"remote": true`): the command is what one of this machine's kind runs. */
  remote: boolean;
}

type ExplainOptions = Partial<
  Pick<WorldOptions, "workDir" | "heapMb" | "memoryMb" | "maxThreads" | "jail">
>;

/**
 * The driver of the world around `scriptsDir` whose module is `file`, or
 * null when no enabled driver has that file.
 */
export async function explainDriver(
  file: string,
  scriptsDir: string,
  options: ExplainOptions,
): Promise<DriverExplanation | null> {
  const viewer = resolve(file) === VIEWER_DRIVER;
  await using live = await describingWorld(scriptsDir, {
    ...options,
    viewer,
    ...nativeDriverOptions(file),
  });
  const driver = live.drivers.find((d) => resolve(d.file) === resolve(file));
  if (!driver) return null;
  await driver.start();
  const m = driver.pending?.manifest ?? null;
  return {
    file,
    state: "driver",
    name: driver.name,
    error: driver.pending ? null : driver.lastError,
    reads: m?.reads ?? [],
    readsReplicated: m?.readsReplicated ?? false,
    writes: m?.writes ?? [],
    spawns: m?.spawns ?? false,
    inputs: m?.inputs ?? {},
    outputs: m?.outputs ?? {},
    capabilities: { ...m?.capabilities },
    isolation: driver.isolation,
    jail: live.jail.description,
    command: driver.commandLine,
    wrapped: driver.wrappedCommandLine,
    remote: live.config.drivers?.find((d) => d.name === driver.name)?.remote === true,
  };
}

/** Formats a driver's explanation for a terminal. */
export function formatDriverExplanation(e: DriverExplanation): string {
  const list = (xs: string[]) => (xs.length ? xs.join(", ") : "(none)");
  const ports = (p: Record<string, string>) =>
    list(Object.entries(p).map(([name, type]) => `${name} (${type})`));
  const caps = Object.entries(e.capabilities).flatMap(([k, v]) =>
    typeof v === "boolean" ? (v ? [k] : []) : v.length > 0 ? [`${k} ${v.join(", ")}`] : []
  );
  return [
    `driver      ${e.file}`,
    `name        ${e.name}`,
    ...(e.error ? [`REFUSED     ${e.error}`] : []),
    `reads       ${list(e.reads)}${
      e.readsReplicated ? ", and every component the world replicates" : ""
    } (its change feed: every entity's values)`,
    `writes      ${list(e.writes)}`,
    `spawns      ${e.spawns ? "yes (its own entities, for as long as its process lives)" : "no"}`,
    `inputs      ${ports(e.inputs)}`,
    `outputs     ${ports(e.outputs)}`,
    `asks for    ${caps.length ? caps.join("; ") : "(nothing beyond the ECS)"}`,
    ...(e.remote
      ? [
        `runs on     its hosts, in distributed mode (deno task driver ${e.name} --nats URL); ` +
        `below, what a host like this machine runs`,
      ]
      : []),
    `isolation   ${e.isolation ?? "none"}`,
    `jail        ${e.jail}`,
    `command     ${e.command.map(quote).join(" ")}`,
    `exact argv  ${e.wrapped.map(quote).join(" ")}`,
  ].join("\n");
}

/**
 * Per-process memory and pids budgets with Linux control groups, where the
 * machine lets us create them (DESIGN §4: "inside a cgroup with memory and
 * thread limits"). V8's `--max-old-space-size` does not count ArrayBuffers
 * and nothing in Deno caps threads, so a group caps the whole process tree:
 * memory (no swap) and the number of processes plus threads.
 *
 * This file is the contract: {@linkcode CgroupManager} and
 * {@linkcode ProcessGroup}, implemented for cgroup v1 (`cgroup_v1.ts`) and v2
 * (`cgroup_v2.ts`), chosen by `detect_cgroups.ts`, and checked by one suite
 * (`cgroup_contract.ts`). Either way the groups live under a `syncra-<pid>`
 * folder created below the runtime's own group and removed with the last
 * group.
 *
 * A child joins its group before it runs anything: {@linkcode joinCommand}
 * starts the command with a `sh` one-liner that writes its own pid into the
 * group and then execs the command (bwrap included), so every process and
 * thread it ever creates is born inside. Adding a pid after spawn
 * ({@linkcode ProcessGroup.add}) leaves a window in which the process can fork
 * children that stay outside the group; it exists for processes started by
 * someone else.
 *
 * An idle `deno run` uses about 7 threads and every Worker adds more, so a pids
 * budget below 16 breaks deno.
 *
 * @module
 */
import type { ChildCommand } from "../command/mod.ts";

/** What one script's process tree may use. */
export interface ResourceBudget {
  /** Memory in bytes, page cache and tmpfs included, no swap. */
  memoryBytes: number;
  /** Processes plus threads. */
  maxPids: number;
}

/** A budget that fits a typical script: 256 MiB and 64 processes or threads. */
export const DEFAULT_BUDGET: Readonly<ResourceBudget> = {
  memoryBytes: 256 * 1024 * 1024,
  maxPids: 64,
};

/** What the memory controller reports about a group. */
export interface MemoryEvents {
  /** Processes the kernel killed for the memory limit; null when not exposed. */
  oomKills: number | null;
  /** The most memory the group has held, in bytes; null when not exposed. */
  peakBytes: number | null;
}

/** What the pids controller reports about a group. */
export interface PidsEvents {
  /** Times a fork or thread creation failed because of the limit. */
  limitHits: number;
}

/** One script's control group. */
export interface ProcessGroup extends AsyncDisposable {
  readonly name: string;
  /** The group's folder (v1: in the memory hierarchy). */
  readonly path: string;
  /** The `cgroup.procs` files a process is written into to join. */
  readonly procsFiles: readonly string[];
  /** Moves a running process in; it may already have children outside. */
  add(pid: number): Promise<void>;
  /** The command that joins this group, then execs `command` unchanged. */
  wrap(command: ChildCommand): ChildCommand;
  /** Pids of the processes in the group now. */
  pids(): Promise<number[]>;
  memoryEvents(): Promise<MemoryEvents>;
  pidsEvents(): Promise<PidsEvents>;
  /** Kills what is left in the group and removes its folders. */
  dispose(): Promise<void>;
}

/** Creates groups for script processes. */
export interface CgroupManager {
  readonly version: 1 | 2;
  /** The `syncra-<pid>` folders groups are created in. */
  readonly parentPaths: readonly string[];
  create(name: string, budget: ResourceBudget): Promise<ProcessGroup>;
}

/** The manager, or why there is none. */
export type CgroupProbe =
  | { manager: CgroupManager; reason: null }
  | { manager: null; reason: string };

const JOIN_SCRIPT =
  'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';
const SH = "/bin/sh";
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/**
 * `command` started through `sh`, which writes its own pid into each of
 * `procsFiles` (exit 125 when it cannot) and then execs the command, so the
 * command is inside before its first instruction.
 */
export function joinCommand(procsFiles: readonly string[], command: ChildCommand): ChildCommand {
  // sh exports a PWD of its own; drop it unless the command sets one.
  const script = ("PWD" in command.env ? "" : "unset PWD; ") + JOIN_SCRIPT;
  return {
    program: SH,
    args: ["-c", script, "syncra-cgroup-join", ...procsFiles, "--", command.program]
      .concat(command.args),
    env: command.env,
  };
}

/** Throws TypeError or RangeError for a group name or budget no implementation accepts. */
export function checkGroupRequest(name: string, budget: ResourceBudget): void {
  if (!NAME.test(name)) {
    throw new TypeError(`Invalid group name ${JSON.stringify(name)}: use [A-Za-z0-9_.-]{1,64}`);
  }
  if (!Number.isSafeInteger(budget.memoryBytes) || budget.memoryBytes < 32 * 1024 * 1024) {
    throw new RangeError(`Invalid memory budget: ${budget.memoryBytes} bytes (at least 32 MiB)`);
  }
  if (!Number.isSafeInteger(budget.maxPids) || budget.maxPids < 16) {
    throw new RangeError(`Invalid pids budget: ${budget.maxPids} (deno needs at least 16)`);
  }
}

/**
 * The OS jail around a script's process (DESIGN §4): the contract and the
 * detection that picks an implementation at wiring time. Deno's permission
 * flags do not cover everything (`import()` with `{ type: "json" | "text" }`
 * reads any file even under `--deny-read`), so every script also runs in a
 * jail where one is available, and the world says loudly when none is.
 *
 * @module
 */
import type { ChildCommand } from "../command/mod.ts";
import { BubblewrapJail } from "./bubblewrap.ts";
import { FlagsOnlyJail } from "./flags_only.ts";

/**
 * The isolation a script's process gets: an OS jail, or Deno's flags alone;
 * "remote" for a driver run on another machine, jailed by its host there.
 */
export type Isolation = "jail" | "flags-only" | "remote";

/** What a jailed process may see besides the deno binary. */
export interface JailMounts {
  /** Absolute path of the bundle, bound read-only at the same path. */
  bundlePath: string;
  /** Approved private folder (absolute), bound read-write, or null. */
  storageDir: string | null;
  /** Whether the process keeps the host's network namespace (a net grant). */
  net: boolean;
  /** Whether it may listen (a driver approved for `serve`): no seccomp filter against it. */
  serve?: boolean;
  /** Absolute paths bound read-only, and read-write (a driver's approved `read` and `write`). */
  readPaths?: readonly string[];
  writePaths?: readonly string[];
  /** Native libraries it may load (a driver approved for `ffi`), with the system's libraries. */
  ffi?: readonly string[];
  /** Whether it may use WebGPU: the system's libraries, the GPU drivers and /dev/dri. */
  gpu?: boolean;
  /**
   * Absolute paths bound read-only for the native libraries of a driver
   * approved for them (an OpenXR runtime's manifest and library), with no
   * Deno flag: only native code reads them.
   */
  mount?: readonly string[];
}

/** Wraps a script's command so that it runs isolated from the host. */
export interface Jail {
  /** `"jail"` when the OS enforces the boundary, `"flags-only"` otherwise. */
  readonly isolation: Isolation;
  /** One line for logs and `deno task explain`: what this jail does. */
  readonly description: string;
  /**
   * The command that runs `command` inside the jail. Spawn the result with
   * `clearEnv: true` and exactly its `env`: it carries everything the child
   * needs.
   */
  wrap(command: ChildCommand, mounts: JailMounts): ChildCommand;
}

/** Options of {@linkcode detectJail}. */
export interface DetectJailOptions {
  /**
   * Throw instead of falling back to flags-only isolation.
   * @default false
   */
  require?: boolean;
  /**
   * The deno binary the jail holds; commands must name it (or a symlink to it).
   * @default Deno.execPath()
   */
  denoPath?: string;
  /**
   * The bubblewrap binary.
   * @default the first `bwrap` on PATH
   */
  bwrapPath?: string;
}

/**
 * Finds the strongest jail this machine supports: bubblewrap when a probe run
 * of deno inside it, with the very flags scripts get, succeeds; otherwise the
 * flags-only jail, whose description says why and what to install.
 *
 * @example Usage
 * ```ts ignore
 * import { detectJail } from "./jail.ts";
 * const jail = await detectJail();
 * console.log(jail.isolation, jail.description);
 * ```
 */
export async function detectJail(options: DetectJailOptions = {}): Promise<Jail> {
  try {
    const jail = await BubblewrapJail.create({
      denoPath: options.denoPath ?? Deno.execPath(),
      ...(options.bwrapPath === undefined ? {} : { bwrapPath: options.bwrapPath }),
    });
    await jail.probe();
    return jail;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (options.require) {
      throw new Error(
        `Cannot start the bubblewrap jail that scripts must run in: ${reason}; install it ` +
          `(Debian/Ubuntu: "apt-get install bubblewrap") and make sure user namespaces are ` +
          `enabled, or allow flags-only isolation`,
        { cause: error },
      );
    }
    return new FlagsOnlyJail(reason);
  }
}

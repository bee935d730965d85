/**
 * What the coordinator needs of a driver (DESIGN §9), whatever runs it: a
 * child process under its role (runtime/roles DriverRole) or a fake in a
 * unit test. The coordinator feeds it what changed in the components it
 * reads, and applies the writes it sends at the next tick boundary, validated
 * like a system's.
 *
 * @module
 */
import type { DriverManifest } from "../roles/mod.ts";
import type { ChangesMessage } from "../protocol/mod.ts";
import type { WorldKillReason } from "./system_runner.ts";

/** One running version of a driver: replaced whole on restart. */
export interface RunningDriver {
  readonly manifest: DriverManifest;
  /** Non-null once it is being stopped. */
  readonly killReason: string | null;
}

/** A driver as the coordinator drives it. */
export interface DriverRunner {
  /** Its name in the world (drivers are named by the world's configuration). */
  readonly name: string;
  /** Its source file: who owns and pays for the entities it spawns. */
  readonly file: string;
  /** The version that runs now, if any. */
  readonly active: RunningDriver | null;
  /**
   * Whether its writes carry editor authority (the viewer of a world run
   * with `--editable`): it may then set any component of any entity.
   */
  readonly editor: boolean;
  /** A new tick begins (per-tick budgets such as log lines start over). */
  beginTick(): void;
  /** At a tick boundary: installs a started or restarted version and returns it. */
  commitPending(): RunningDriver | null;
  /** Starts an installed version: its settings and the first ids it may spawn with. */
  begin(driver: RunningDriver, reserve: Uint32Array): void;
  /** Whether the active version has handled its last feed (a new feed may go). */
  readonly feedReady: boolean;
  /** Sends a change feed to the active version. */
  sendFeed(message: ChangesMessage): void;
  /** The commands the driver sent since the last call (unvalidated: it is untrusted). */
  takeWrites(): unknown[];
  /** Something it sent broke its grants and was dropped. */
  recordViolation(tick: number, message: string): void;
  /** Stops the active version for a reason of the world's; it restarts with backoff. */
  kill(reason: WorldKillReason, detail: string): void;
}

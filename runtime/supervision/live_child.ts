/**
 * A started script process and what it told the runtime: its manifest, the
 * request in flight, and how it is being stopped.
 *
 * @module
 */
import type { Bundle } from "../../sandbox/bundle/mod.ts";
import type { ChildCommand } from "../../sandbox/command/mod.ts";
import type { Isolation } from "../../sandbox/jail/mod.ts";
import type { Manifest } from "../roles/mod.ts";
import type { ResultMessage } from "../protocol/mod.ts";
import type { ChildLink } from "../link/mod.ts";
import type { ComponentInfo } from "../ecs/mod.ts";
import type { ExitReason } from "./events.ts";

/** A running child and what it told us. */
export class LiveChild {
  readonly link: ChildLink;
  readonly manifest: Manifest;
  readonly bundle: Bundle;
  readonly command: ChildCommand;
  readonly isolation: Isolation;
  readonly startedAt = performance.now();
  /**
   * The world's component for each name in the manifest, resolved when the
   * child takes over (names are the child's view; storage keys the world's).
   */
  components: ReadonlyMap<string, ComponentInfo> = new Map();
  /** Handler of the request in flight, if any: called with the result, or null when it is gone. */
  waiting: ((result: ResultMessage | null) => void) | null = null;
  /** The tick of the request in flight (0 for init). */
  expectedTick = -1;
  /** Wall time spent working on requests, for the CPU budget. */
  busyMs = 0;
  #busySince = 0;

  /** Marks a request sent. */
  beginRequest(tick: number): void {
    this.busy = true;
    this.expectedTick = tick;
    this.#busySince = performance.now();
  }

  /** Marks a request answered (or abandoned by an exit). */
  endRequest(): void {
    if (this.busy) this.busyMs += performance.now() - this.#busySince;
    this.busy = false;
  }
  /** A request was sent and its result has not come back, even if its deadline passed. */
  busy = false;
  killReason: ExitReason | null = null;
  /** Resolves once the child has exited and its resources (cgroup) are released. */
  settled: Promise<void> = Promise.resolve();

  constructor(
    link: ChildLink,
    manifest: Manifest,
    bundle: Bundle,
    command: ChildCommand,
    isolation: Isolation,
  ) {
    this.link = link;
    this.manifest = manifest;
    this.bundle = bundle;
    this.command = command;
    this.isolation = isolation;
  }
}

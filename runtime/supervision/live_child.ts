/**
 * A started child and what it told the runtime: its manifest (whatever its
 * role's handshake made of the first frame), the request in flight, and how
 * it is being stopped.
 *
 * @module
 */
import type { Bundle } from "../../sandbox/bundle/mod.ts";
import type { Isolation } from "../../sandbox/jail/mod.ts";
import type { ChildProcessHandle, Link } from "../link/mod.ts";
import type { ExitReason } from "./events.ts";

/** A running child and what it told us. */
export class LiveChild<M = unknown> {
  /** Frames to and from the child. */
  readonly link: Link;
  /** Its process: pid, signals, exit. */
  readonly process: ChildProcessHandle;
  readonly manifest: M;
  readonly bundle: Bundle;
  readonly isolation: Isolation;
  readonly startedAt = performance.now();
  /** Handler of the request in flight, if any: called with the answer, or null when it is gone. */
  waiting: ((answer: unknown) => void) | null = null;
  /** Which request is in flight (a system: the tick; 0 for init). */
  expectedTick = -1;
  /** Wall time spent working on requests, for the CPU budget. */
  busyMs = 0;
  #busySince = 0;
  /** A request was sent and its answer has not come back, even if its deadline passed. */
  busy = false;
  /** Why the runtime is stopping it; null while it may run. */
  killReason: ExitReason | null = null;
  /** Resolves once the child has exited and its resources (cgroup) are released. */
  settled: Promise<void> = Promise.resolve();

  constructor(
    link: Link,
    process: ChildProcessHandle,
    manifest: M,
    bundle: Bundle,
    isolation: Isolation,
  ) {
    this.link = link;
    this.process = process;
    this.manifest = manifest;
    this.bundle = bundle;
    this.isolation = isolation;
  }

  /** Which version of its file this is: its bundle (named by its content's hash). */
  get version(): string {
    return this.bundle.path;
  }

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
}

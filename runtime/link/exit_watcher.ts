/**
 * Waits for a child spawned through libc: `waitpid(pid, WNOHANG)` polled on
 * a timer (Deno has no SIGCHLD hook for processes it did not start), with
 * quicker polls once the caller sees the child's streams end, which is
 * usually the moment it exits.
 *
 * @module
 */
import { lastErrno, LIBC, type Libc } from "./libc_ffi.ts";
import type { ChildExit } from "./link.ts";
import { signalName } from "./signal_numbers.ts";

/** Poll period while the child runs, in milliseconds. */
const IDLE_POLL_MS = 20;

/** A child being waited for. */
export interface ExitWatch {
  /** Resolves once the child is reaped. */
  readonly exit: Promise<ChildExit>;
  /** Whether it has been reaped: its pid may then belong to another process. */
  readonly reaped: boolean;
  /** Polls at once and briefly often: the child is probably exiting. */
  hurry(): void;
}

/** Starts waiting for `pid`, a child of this process that nothing else reaps. */
export function watchExit(libc: Libc, pid: number): ExitWatch {
  const status = new Int32Array(1);
  let reaped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let delay = IDLE_POLL_MS;
  let resolve!: (exit: ChildExit) => void;
  const exit = new Promise<ChildExit>((r) => resolve = r);

  const poll = () => {
    timer = undefined;
    const got = libc.waitpid(pid, status, LIBC.WNOHANG);
    if (got === pid) return finish(decodeWaitStatus(status[0]!));
    if (got < 0) {
      // ECHILD: someone else reaped it; how it ended is lost.
      console.error(`Cannot wait for child ${pid}: ${lastErrno(libc)}`);
      return finish({ code: null, signal: null });
    }
    schedule(delay);
    delay = Math.min(delay * 2, IDLE_POLL_MS);
  };
  const schedule = (ms: number) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(poll, ms);
  };
  const finish = (result: ChildExit) => {
    reaped = true;
    resolve(result);
  };
  schedule(delay);

  return {
    exit,
    get reaped() {
      return reaped;
    },
    hurry() {
      if (reaped) return;
      delay = 1;
      schedule(0);
    },
  };
}

/** A `wait` status as {code, signal}: WIFEXITED gives the code, WIFSIGNALED the signal. */
export function decodeWaitStatus(status: number): ChildExit {
  const low = status & 0x7f;
  if (low === 0) return { code: (status >> 8) & 0xff, signal: null };
  if (low !== 0x7f) return { code: null, signal: signalName(low) };
  // Stopped or continued: not an exit (waitpid without WUNTRACED does not report it).
  return { code: null, signal: null };
}

/** Sends `signo` to a child that has not been reaped; false if it is already gone. */
export function signalChild(libc: Libc, watch: ExitWatch, pid: number, signo: number): boolean {
  if (watch.reaped) return false;
  if (libc.kill(pid, signo) === 0) return true;
  // ESRCH for a zombie cannot happen (a zombie takes signals); anything else is a bug to see.
  console.error(`Cannot signal child ${pid}: ${lastErrno(libc)}`);
  return false;
}

/**
 * Linux signal numbers and Deno's signal names, both ways: the socket
 * launcher signals and reaps its children through libc, which speaks numbers.
 *
 * @module
 */

/** Deno's name of each Linux signal number (x86_64 and aarch64 agree on 1-31). */
const NAMES: readonly Deno.Signal[] = [
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGILL",
  "SIGTRAP",
  "SIGABRT",
  "SIGBUS",
  "SIGFPE",
  "SIGKILL",
  "SIGUSR1",
  "SIGSEGV",
  "SIGUSR2",
  "SIGPIPE",
  "SIGALRM",
  "SIGTERM",
  "SIGSTKFLT",
  "SIGCHLD",
  "SIGCONT",
  "SIGSTOP",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGURG",
  "SIGXCPU",
  "SIGXFSZ",
  "SIGVTALRM",
  "SIGPROF",
  "SIGWINCH",
  "SIGIO",
  "SIGPWR",
  "SIGSYS",
];

/** The number of a signal, e.g. 9 for "SIGKILL". Throws TypeError for a name Linux lacks. */
export function signalNumber(name: Deno.Signal): number {
  const alias: Partial<Record<Deno.Signal, Deno.Signal>> = {
    SIGPOLL: "SIGIO",
    SIGUNUSED: "SIGSYS",
  };
  const index = NAMES.indexOf(alias[name] ?? name);
  if (index < 0) throw new TypeError(`Unknown signal on Linux: "${name}"`);
  return index + 1;
}

/** The name of a signal number, e.g. "SIGKILL" for 9; real-time signals as "SIGRTMIN+n". */
export function signalName(signo: number): string {
  return NAMES[signo - 1] ?? (signo >= 34 ? `SIGRTMIN+${signo - 34}` : `signal ${signo}`);
}

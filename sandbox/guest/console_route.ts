/**
 * `console.*` inside a child, routed to `log` frames: Deno's own console
 * writes to fd 1, which is the frame channel.
 *
 * @module
 */
import type { DenoConsoleClass } from "./hardening.ts";
import { MAX_LOG_CHARS } from "./wire_error.ts";

/** A log frame as the console sends it. */
export interface LogMessage {
  t: "log";
  level: LogLevel;
  text: string;
}

/** The level of a log frame. */
export type LogLevel = "debug" | "info" | "log" | "warn" | "error";
/** Deno's print levels: 0 debug, 1 log and info, 2 warn, 3 error, 4 trace. */
const PRINT_LEVELS: readonly LogLevel[] = ["debug", "log", "warn", "error", "error"];

/**
 * Routes every method of `console` to log frames. Deno's own console writes to
 * fd 1, the frame channel, so one method left alone (`table`, `group`, `dir`, or
 * one a later Deno adds) would be a protocol violation. The methods are taken
 * from a Console of Deno's that prints to a buffer, so formatting (`%s`, groups'
 * indentation, tables, counters, timers, traces) is Deno's; each call's output
 * is sent as one log frame per level once the call returns. The list is the
 * global console's own at run time; a method our Console lacks logs its
 * arguments (fail closed). Every property ends non-writable and non-configurable.
 */
export function routeConsole(
  ConsoleClass: DenoConsoleClass | undefined,
  send: (message: LogMessage) => void,
): void {
  if (typeof ConsoleClass !== "function") {
    throw new Error("The host cannot route console: Deno's Console class is not where it was");
  }
  let printed: { level: LogLevel; text: string }[] = [];
  const routed = new ConsoleClass((message, level) => {
    const name = PRINT_LEVELS[level] ?? "error";
    const last = printed[printed.length - 1];
    if (last && last.level === name) last.text += message;
    else printed.push({ level: name, text: message });
  }) as unknown as Record<PropertyKey, unknown>;
  const flush = () => {
    const out = printed;
    printed = [];
    for (const { level, text } of out) {
      const line = text.endsWith("\n") ? text.slice(0, -1) : text;
      send({ t: "log", level, text: line.slice(0, MAX_LOG_CHARS) });
    }
  };
  const route = (method: (...args: unknown[]) => unknown) => (...args: unknown[]) => {
    try {
      return method(...args);
    } finally {
      flush();
    }
  };
  const log = routed.log as (...args: unknown[]) => void;
  const special: Record<PropertyKey, (...args: unknown[]) => unknown> = {
    // Deno clears with terminal escapes; the world's output is shared, so only the groups reset.
    clear: () => {
      (routed.clear as () => void)();
      printed = [];
    },
    // Deno's trace starts below routed.trace: the first frame would be this wrapper's.
    trace: (...args: unknown[]) => {
      try {
        (routed.trace as (...args: unknown[]) => void)(...args);
      } finally {
        for (const p of printed) p.text = p.text.replace(/\n\s+at console\.trace \([^\n]*/, "");
        flush();
      }
    },
    // V8's context() and createTask() report to an inspector only; these behave alike here.
    context: () => console,
    createTask: () => ({ run: (f: () => unknown) => f() }),
  };
  const installed = new Set<unknown>();
  const target = console as unknown as Record<PropertyKey, unknown>;
  for (const key of Reflect.ownKeys(console)) {
    const own = Object.getOwnPropertyDescriptor(console, key)!;
    if (typeof own.value !== "function" && !own.get && !own.set) {
      Object.defineProperty(console, key, { writable: false, configurable: false });
      continue;
    }
    const method = routed[key];
    const value = special[key] ??
      route(typeof method === "function" ? method as (...args: unknown[]) => unknown : log);
    installed.add(value);
    Object.defineProperty(console, key, {
      value,
      enumerable: own.enumerable ?? true,
      writable: false,
      configurable: false,
    });
  }
  for (const key of Reflect.ownKeys(console)) {
    const own = Object.getOwnPropertyDescriptor(console, key)!;
    if (own.get || own.set || (typeof own.value === "function" && !installed.has(target[key]))) {
      throw new Error(`The host cannot route console.${String(key)}`);
    }
  }
  Object.preventExtensions(console);
}

/**
 * The live status line: tick rate, tick time, scripts, restarts,
 * violations and lines the output budgets dropped. Redrawn in place on a
 * terminal; a plain line every few seconds otherwise, so logs stay readable.
 *
 * @module
 */
import type { Coordinator } from "../coordinator/mod.ts";
import type { DriverRole, SystemRole } from "../roles/mod.ts";

const encoder = new TextEncoder();

/** Formats the status of a running world. */
export function formatStatus(
  coordinator: Coordinator,
  slots: readonly SystemRole[],
  drivers: readonly DriverRole[] = [],
  hosts: string | null = null,
): string {
  const { hz, p50 } = coordinator.stats.recent();
  const running = slots.filter((s) => s.state === "running").length;
  const sum = (f: (s: SystemRole) => number) => slots.reduce((n, s) => n + f(s), 0);
  const dropped = sum((s) => s.droppedLogs + s.droppedOutput);
  const problems = slots.flatMap((s) => [
    ...(s.state === "refused" || s.state === "restarting" ? [`${s.name} ${s.state}`] : []),
    ...(s.stale ? [`${s.name} stale (its edit was refused)`] : []),
    ...(s.erroring && s.state === "running" ? [`${s.name} erroring`] : []),
  ]);
  for (const d of drivers) {
    if (d.unavailable !== null) problems.push(`driver ${d.name} unavailable`);
    else if (d.state !== "running") problems.push(`driver ${d.name} ${d.state}`);
  }
  const driversRunning = drivers.filter((d) => d.state === "running").length;
  return [
    `tick ${coordinator.tick}`,
    `${hz.toFixed(1)} Hz`,
    `p50 ${p50.toFixed(2)} ms`,
    `${coordinator.world.entityCount} entities`,
    `${running}/${slots.length} scripts running`,
    ...(drivers.length > 0 ? [`${driversRunning}/${drivers.length} drivers`] : []),
    ...(hosts ? [hosts] : []),
    `${sum((s) => s.restarts)} restarts`,
    `${sum((s) => s.violations)} violations`,
    ...(dropped > 0 ? [`${dropped} lines dropped`] : []),
    ...(problems.length ? [problems.join(", ")] : []),
  ].join(" | ");
}

/** Draws the status periodically until disposed. */
export class StatusLine implements Disposable {
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #tty: boolean;
  #drawn = false;

  constructor(render: () => string, options: { intervalMs?: number } = {}) {
    this.#tty = Deno.stderr.isTerminal();
    const interval = options.intervalMs ?? (this.#tty ? 250 : 5000);
    this.#timer = setInterval(() => this.#draw(render()), interval);
  }

  #draw(text: string): void {
    if (this.#tty) {
      const width = Deno.consoleSize().columns;
      Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${text.slice(0, width - 1)}`));
      this.#drawn = true;
    } else {
      Deno.stderr.writeSync(encoder.encode(`[syncra] ${text}\n`));
    }
  }

  /** Clears the line so a log line can be printed cleanly. */
  clear(): void {
    if (this.#tty && this.#drawn) {
      Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
      this.#drawn = false;
    }
  }

  [Symbol.dispose](): void {
    clearInterval(this.#timer);
    this.clear();
  }
}

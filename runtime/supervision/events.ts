/**
 * The supervisor's typed event stream (STYLE 8): asynchronous failures are
 * events, not surprise throws.
 *
 * @module
 */

/** Why a child process ended. */
export type ExitReason =
  | "deadline"
  | "cpu"
  | "memory"
  | "crash"
  | "violation"
  | "protocol"
  | "budget"
  | "reload"
  | "removed"
  | "shutdown";

/** Something that happened to a script. */
export type SupervisorEvent =
  | { type: "ready"; script: string; file: string; pid: number; reload: boolean; startMs: number }
  | { type: "refused"; script: string; file: string; error: string }
  | {
    type: "exit";
    script: string;
    file: string;
    reason: ExitReason;
    code: number | null;
    signal: string | null;
    detail: string;
    restartInMs: number | null;
  }
  | { type: "log"; script: string; file: string; level: string; text: string }
  | { type: "added"; script: string; file: string }
  | { type: "removed"; script: string; file: string }
  | { type: "violation"; script: string; file: string; tick: number; message: string }
  | { type: "late"; script: string; file: string; tick: number; waitedMs: number }
  | { type: "warning"; script: string; file: string; message: string };

/** A listener for supervisor events. */
export type EventListener = (event: SupervisorEvent) => void;

/** A minimal synchronous event fan-out. */
export class EventStream {
  readonly #listeners = new Set<EventListener>();

  /** Adds a listener; returns a function that removes it. */
  on(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: SupervisorEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch (error) {
        console.error("An event listener threw:", error);
      }
    }
  }
}

/**
 * Events between systems (DESIGN §3): what systems emit during tick N is
 * delivered in tick N+1, in emitter file order, then emission order, whoever
 * answered first. Undelivered events are part of the saved state.
 *
 * @module
 */
import type { WireValue } from "../protocol/mod.ts";

/** An event as it is queued and saved: its type's name and its value. */
export type QueuedEvent = readonly [name: string, value: WireValue];

/** Emitted events waiting for the next tick, and this tick's delivery. */
export class EventQueue {
  /** Emitted since the last delivery, per emitter file. */
  #emitted = new Map<string, QueuedEvent[]>();
  #delivering = new Map<string, WireValue[]>();

  /** Queues what a script emitted (already validated), after what it emitted before. */
  emit(file: string, events: readonly QueuedEvent[]): void {
    if (events.length === 0) return;
    const list = this.#emitted.get(file) ?? [];
    list.push(...events);
    this.#emitted.set(file, list);
  }

  /** At a tick's start: last tick's events become this tick's delivery. */
  deliver(): void {
    this.#delivering = new Map();
    for (const [name, value] of this.pending()) {
      const list = this.#delivering.get(name) ?? [];
      list.push(value);
      this.#delivering.set(name, list);
    }
    this.#emitted = new Map();
  }

  /** This tick's events of type `name`. */
  delivered(name: string): readonly WireValue[] {
    return this.#delivering.get(name) ?? [];
  }

  /** Events emitted and not yet delivered, in delivery order (for the saved state). */
  pending(): QueuedEvent[] {
    const files = [...this.#emitted.keys()].sort();
    return files.flatMap((f) => this.#emitted.get(f)!);
  }

  /** The pending events are `events` and no others (each entry of a change log holds them all). */
  replace(events: readonly QueuedEvent[]): void {
    this.#emitted = new Map();
    this.restore(events);
  }

  /** Puts back saved pending events: they are delivered first, in their saved order. */
  restore(events: readonly QueuedEvent[]): void {
    // "" sorts before every file name.
    this.emit("", events);
  }
}

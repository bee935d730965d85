/**
 * In-process systems for the coordinator's tests: a {@linkcode FakeSystem}
 * answers each tick with a function of what it was shipped, and a world of
 * a few entities holding Heat and Cold to run them on.
 *
 * @module
 */
import type { WireSchema } from "../protocol/mod.ts";
import type { ResultMessage, RuntimeMessage, TickMessage } from "../protocol/mod.ts";
import { type Manifest, validateManifest } from "../roles/mod.ts";
import { gatherColumn, World } from "../ecs/mod.ts";
import { Coordinator, DEFAULT_COORDINATOR_OPTIONS } from "./coordinator.ts";
import type { RequestTiming, RunningSystem, SystemRunner, TickOutcome } from "./system_runner.ts";

export const F32: WireSchema = { v: { type: "f32", default: [0] } };
export const SCHEMAS: Record<string, WireSchema> = {
  Heat: F32,
  Cold: F32,
  Tag: { t: { type: "u8", default: [0] } },
};

/** What a fake system answers to a tick; null: it never answers. */
export type Answer = (tick: TickMessage) => Partial<ResultMessage> | null;

/** A manifest as a child would declare it, validated like one (`extra`: queries, resources…). */
export function manifest(
  file: string,
  reads: string[],
  writes: string[],
  spawns = false,
  extra: Record<string, unknown> = {},
): Manifest {
  return validateManifest({
    reads,
    writes,
    spawns,
    hasRun: true,
    components: SCHEMAS,
    modules: Object.fromEntries(Object.keys(SCHEMAS).map((n) => [n, "components.ts"])),
    ...extra,
  }, file);
}

/** A system run in-process, recording what the coordinator told it, in a journal shared by all. */
export class FakeSystem implements SystemRunner {
  readonly file: string;
  readonly name: string;
  active: RunningSystem | null = null;
  #pending: RunningSystem | null;
  readonly #answer: Answer;
  readonly #journal: string[];
  readonly shipped: TickMessage[] = [];
  readonly misses: number[] = [];
  readonly skipped: number[] = [];
  readonly violations: string[] = [];
  readonly kills: string[] = [];
  readonly waits: RequestTiming[] = [];
  onTime = 0;

  constructor(file: string, m: Manifest, answer: Answer, journal: string[]) {
    this.file = file;
    this.name = m.name;
    this.#pending = { manifest: m, killReason: null, version: "1" };
    this.#answer = answer;
    this.#journal = journal;
  }

  commitPending(): RunningSystem | null {
    const next = this.#pending;
    this.#pending = null;
    if (next) this.active = next;
    return next;
  }

  beginTick(): void {}

  async request<T>(
    message: RuntimeMessage,
    timing: RequestTiming,
    accept: (result: ResultMessage) => T,
  ): Promise<TickOutcome<T>> {
    if (message.t !== "tick") return { kind: "gone" };
    // A copy: the coordinator's buffers are its own.
    this.shipped.push(structuredClone(message));
    this.#journal.push(`start ${this.file}`);
    // Answers come back on a later turn, as from a process, so that stages can overlap.
    await new Promise((r) => setTimeout(r, 5));
    const answer = this.#answer(message);
    if (answer === null) {
      this.waits.push(timing);
      await new Promise((r) => setTimeout(r, timing.waitMs));
      this.#journal.push(`late ${this.file}`);
      return { kind: "late" };
    }
    this.#journal.push(`end ${this.file}`);
    const result: ResultMessage = {
      t: "result",
      tick: message.tick,
      changed: {},
      commands: [],
      error: null,
      ...answer,
    };
    return { kind: "result", value: accept(result) };
  }

  recordLate(tick: number): void {
    this.misses.push(tick);
  }
  recordSkipped(tick: number): void {
    this.skipped.push(tick);
  }
  recordOnTime(): void {
    this.onTime++;
  }
  recordViolation(_tick: number, message: string): void {
    this.violations.push(message);
  }
  recordViolatingTick(): void {}
  recordError(): void {}
  recordWarning(): void {}
  kill(reason: string): void {
    this.kills.push(reason);
  }
}

export function f32(bytes: Uint8Array): number[] {
  return [...new Float32Array(bytes.slice().buffer)];
}

export function bytesOf(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

/** Adds `delta` to every shipped value of `component`. */
export function adds(component: string, delta: number): Answer {
  return (tick) => ({
    changed: {
      default: {
        [component]: {
          v: bytesOf(f32(tick.queries.default!.columns[component]!.v!).map((x) => x + delta)),
        },
      },
    },
  });
}

/** A world with `n` entities holding Heat (value i) and Cold (value 10·i). */
export function setup(
  systems: (journal: string[]) => FakeSystem[],
  n = 3,
  deadlineMs = 250,
  hz = 0,
) {
  const world = new World();
  const key = (name: string) =>
    world.registry.resolve({ name, schema: SCHEMAS[name]!, module: "components.ts" }).key;
  const ids = [...world.allocator.reserve(n)];
  ids.forEach((id, i) =>
    world.spawn(id, { [key("Heat")]: { v: [i] }, [key("Cold")]: { v: [10 * i] } })
  );
  const journal: string[] = [];
  const list = systems(journal);
  const coordinator = new Coordinator(world, 0, () => list, {
    ...DEFAULT_COORDINATOR_OPTIONS,
    hz,
    deadlineMs,
  });
  const values = (name: string) =>
    f32(
      gatherColumn(world.query([key(name)]), key(name), world.registry.get(key(name))!.fields[0]!),
    );
  return { world, coordinator, journal, list, ids, key, values };
}

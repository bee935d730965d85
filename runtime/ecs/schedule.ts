/**
 * The conflict graph of DESIGN §5: two systems conflict when one writes a
 * component the other reads or writes. Systems are grouped into stages: a
 * system goes into the first stage after every earlier (by declaration
 * order) system it conflicts with, so non-conflicting systems share a stage
 * and run at the same time, and conflicting ones keep declaration order.
 *
 * @module
 */

/** What the scheduler needs to know of a system: its declared access. */
export interface SystemAccess {
  readonly name: string;
  readonly reads: readonly string[];
  readonly writes: readonly string[];
}

/** Why two systems cannot run at the same time. */
export interface Conflict {
  /** The earlier system (declaration order). */
  readonly first: string;
  readonly second: string;
  readonly component: string;
  readonly kind: "write/write" | "write/read" | "read/write";
}

/** The first component through which `a` and `b` conflict, or null. */
export function findConflict(a: SystemAccess, b: SystemAccess): Conflict | null {
  for (const c of a.writes) {
    if (b.writes.includes(c)) {
      return { first: a.name, second: b.name, component: c, kind: "write/write" };
    }
    if (b.reads.includes(c)) {
      return { first: a.name, second: b.name, component: c, kind: "write/read" };
    }
  }
  for (const c of a.reads) {
    if (b.writes.includes(c)) {
      return { first: a.name, second: b.name, component: c, kind: "read/write" };
    }
  }
  return null;
}

/** A schedule: stages run one after another, systems within a stage at once. */
export interface Schedule<T extends SystemAccess> {
  readonly stages: readonly (readonly T[])[];
  readonly conflicts: readonly Conflict[];
}

/** Builds the stages for systems given in declaration order. */
export function buildSchedule<T extends SystemAccess>(systems: readonly T[]): Schedule<T> {
  const stageOf: number[] = [];
  const stages: T[][] = [];
  const conflicts: Conflict[] = [];
  systems.forEach((system, i) => {
    let stage = 0;
    for (let j = 0; j < i; j++) {
      const conflict = findConflict(systems[j]!, system);
      if (!conflict) continue;
      conflicts.push(conflict);
      stage = Math.max(stage, stageOf[j]! + 1);
    }
    stageOf.push(stage);
    (stages[stage] ??= []).push(system);
  });
  return { stages, conflicts };
}

/** A conflict as a sentence, naming both systems and the component. */
export function describeConflict(c: Conflict): string {
  const [x, y] = c.kind.split("/");
  return `"${c.second}" runs after "${c.first}": "${c.first}" ${x}s and "${c.second}" ${y}s component "${c.component}"`;
}

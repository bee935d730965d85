// Which entities a client hears of, and which of their moves first. Interest is distance from the
// client's own Player (entities without a Transform, and the client's own avatar, always count);
// within a bandwidth budget the nearest moves go first, and a move that waited is moved up, so
// far entities are late, never starved.
import type { Mirror } from "../viewer/mirror.ts";

/** Where an entity is, as the mirror holds it (its Parent's place for a child), or null. */
export function placeOf(mirror: Mirror, id: number): number[] | null {
  const entity = mirror.get(id);
  if (!entity) return null;
  const parent = entity.Parent?.entity;
  if (typeof parent === "number" && parent !== 0 && parent !== id) {
    const p = mirror.get(parent)?.Transform?.position;
    if (Array.isArray(p)) return p;
  }
  const position = entity.Transform?.position;
  return Array.isArray(position) ? position : null;
}

/** Metres between two places. */
export function distance(a: readonly number[], b: readonly number[]): number {
  return Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
}

/** The entities within `radius` of `center` (and every one without a place). */
export function entitiesInRange(
  mirror: Mirror,
  center: readonly number[],
  radius: number,
  always: number,
): Set<number> {
  const wanted = new Set<number>();
  const r2 = radius * radius;
  for (const id of mirror.keys()) {
    if (id === always) {
      wanted.add(id);
      continue;
    }
    const p = placeOf(mirror, id);
    if (
      p === null ||
      (p[0]! - center[0]!) ** 2 + (p[1]! - center[1]!) ** 2 + (p[2]! - center[2]!) ** 2 <= r2
    ) {
      wanted.add(id);
    }
  }
  return wanted;
}

/**
 * Up to `count` of the owed moves, most urgent first: distance in metres,
 * less 4 m for every tick a move has waited.
 */
export function mostUrgent(
  mirror: Mirror,
  owed: ReadonlyMap<number, number>,
  center: readonly number[],
  tick: number,
  count: number,
): number[] {
  if (owed.size <= count) return [...owed.keys()];
  const scored: [number, number][] = [];
  for (const [id, since] of owed) {
    const p = placeOf(mirror, id);
    const d = p === null ? 0 : distance(p, center);
    scored.push([d - 4 * (tick - since), id]);
  }
  scored.sort((a, b) => a[0] - b[0]);
  return scored.slice(0, count).map(([, id]) => id);
}

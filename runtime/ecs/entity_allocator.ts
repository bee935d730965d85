/**
 * Entity ids: a u32 holding a 24-bit index and an 8-bit generation. Freeing
 * an index bumps its generation, so a stale id never matches the entity that
 * reuses the slot; an index whose generation would wrap is retired for good.
 * Index 0 is never used, so 0 in an `entity` field means "no entity".
 *
 * @module
 */

const INDEX_BITS = 24;
const INDEX_MASK = (1 << INDEX_BITS) - 1;
const MAX_GENERATION = 255;

/** The index part of an id. */
export function entityIndex(id: number): number {
  return id & INDEX_MASK;
}

/** The generation part of an id. */
export function entityGeneration(id: number): number {
  return id >>> INDEX_BITS;
}

function makeId(index: number, generation: number): number {
  return ((generation << INDEX_BITS) | index) >>> 0;
}

/** Saved allocator state. */
export interface AllocatorState {
  generations: Uint8Array;
  free: Uint32Array;
  next: number;
}

/** Hands out ids deterministically: freed indexes first (oldest first), then fresh ones. */
export class EntityAllocator {
  #generations = new Uint8Array(1024);
  #alive = new Uint8Array(1024);
  #free: number[] = [];
  #freeHead = 0;
  #next = 1;

  /**
   * Reserves up to `n` ids for spawning; return unused ones with `release`.
   * Fewer come back only when every index is live or retired: running out of
   * ids refuses spawns, it never throws into the tick.
   */
  reserve(n: number): Uint32Array {
    const out = new Uint32Array(n);
    let i = 0;
    for (; i < n; i++) {
      let index: number;
      if (this.#freeHead < this.#free.length) index = this.#free[this.#freeHead++]!;
      else {
        if (this.#next > INDEX_MASK) break;
        index = this.#next++;
        this.#grow(index);
      }
      out[i] = makeId(index, this.#generations[index]!);
    }
    this.#compactFree();
    return i === n ? out : out.slice(0, i);
  }

  /** Returns reserved ids that were not spawned, so they come out first next time. */
  release(ids: Iterable<number>): void {
    const back = [...ids].map(entityIndex).filter((i) => !this.#alive[i]);
    if (back.length === 0) return;
    this.#free = [...back, ...this.#free.slice(this.#freeHead)];
    this.#freeHead = 0;
  }

  /** Marks a reserved id live. False when it is stale or already live. */
  activate(id: number): boolean {
    const index = entityIndex(id);
    if (index === 0 || index >= this.#next) return false;
    if (this.#alive[index] || this.#generations[index] !== entityGeneration(id)) return false;
    this.#alive[index] = 1;
    return true;
  }

  /** Whether `id` names a live entity (right index and generation). */
  isAlive(id: number): boolean {
    const index = entityIndex(id);
    return index !== 0 && index < this.#next && this.#alive[index] === 1 &&
      this.#generations[index] === entityGeneration(id);
  }

  /** Frees a live id: its generation moves on, and the index is reused later. */
  free(id: number): void {
    const index = entityIndex(id);
    if (!this.isAlive(id)) return;
    this.#alive[index] = 0;
    const generation = this.#generations[index]! + 1;
    if (generation > MAX_GENERATION) {
      this.#generations[index] = MAX_GENERATION; // retired: never handed out again
      return;
    }
    this.#generations[index] = generation;
    this.#free.push(index);
  }

  /**
   * Makes `id` live whatever this allocator thought of its index (replaying
   * a log of changes made with another allocator's ids); indexes skipped on
   * the way become free. Call {@linkcode settle} after the replay.
   */
  claim(id: number): void {
    const index = entityIndex(id);
    if (index === 0) return;
    this.#reach(index);
    this.#generations[index] = entityGeneration(id);
    this.#alive[index] = 1;
  }

  /**
   * Records that `id` lived and died elsewhere, between two entries of a
   * change log: its generation moves past it, so it never comes back.
   */
  retire(id: number): void {
    const index = entityIndex(id);
    if (index === 0 || this.#alive[index] && index < this.#next) return;
    const fresh = index >= this.#next;
    this.#reach(index);
    if (this.#generations[index]! > entityGeneration(id)) return;
    const generation = entityGeneration(id) + 1;
    this.#generations[index] = Math.min(MAX_GENERATION, generation);
    if (fresh && generation <= MAX_GENERATION) this.#free.push(index);
  }

  /** After a replay: the free list without live indexes, each index once, in its order. */
  settle(): void {
    const seen = new Set<number>();
    this.#free = this.#free.slice(this.#freeHead).filter((index) =>
      !this.#alive[index] && !seen.has(index) && seen.add(index)
    );
    this.#freeHead = 0;
  }

  /** Indexes up to `index` exist; new ones before it are free. */
  #reach(index: number): void {
    while (this.#next <= index) {
      this.#grow(this.#next);
      if (this.#next < index) this.#free.push(this.#next);
      this.#next++;
    }
  }

  #grow(index: number): void {
    if (index < this.#generations.length) return;
    let size = this.#generations.length * 2;
    while (size <= index) size *= 2;
    const g = new Uint8Array(size);
    g.set(this.#generations);
    this.#generations = g;
    const a = new Uint8Array(size);
    a.set(this.#alive);
    this.#alive = a;
  }

  #compactFree(): void {
    if (this.#freeHead > 4096 && this.#freeHead * 2 > this.#free.length) {
      this.#free = this.#free.slice(this.#freeHead);
      this.#freeHead = 0;
    }
  }

  /** The allocator's state, for saving. Live flags are rebuilt from the saved entities. */
  save(): AllocatorState {
    return {
      generations: this.#generations.slice(0, this.#next),
      free: Uint32Array.from(this.#free.slice(this.#freeHead)),
      next: this.#next,
    };
  }

  /** Restores a saved state; `live` are the ids of the saved entities. */
  static restore(state: AllocatorState, live: Iterable<number>): EntityAllocator {
    const a = new EntityAllocator();
    a.#next = Math.max(1, state.next);
    a.#grow(a.#next);
    a.#generations.set(state.generations.subarray(0, a.#next));
    a.#free = Array.from(state.free);
    for (const id of live) a.#alive[entityIndex(id)] = 1;
    return a;
  }
}

/**
 * Who spawned each entity and who pays for what it holds. A script owns the
 * entities it spawned; it pays for their components and for every component
 * it attached to someone else's entity, and for the archetypes its commands
 * created. These are the bytes a script costs the trusted side, which its
 * budget bounds (the coordinator refuses the excess and kills the script):
 * charging the attacher, not the entity's owner, means no script can push
 * another over its budget.
 *
 * @module
 */

/** What a script's spawns and attachments cost the runtime. */
export interface Usage {
  /** Live entities it spawned. */
  entities: number;
  /** Component bytes it pays for, plus the overhead of the archetypes it created. */
  bytes: number;
  /** Live archetypes its commands created. */
  archetypes: number;
}

/** Saved ownership: entity ids by owner file, and attachments paid for by another file. */
export interface SavedOwners {
  owners: Record<string, Uint32Array>;
  /** `[entity, component key, payer file]` for components attached by someone other than the owner. */
  foreign: [number, string, string][];
}

/** Owners of entities and payers of their components, with running totals per script file. */
export class EntityOwners {
  readonly #owner = new Map<number, string>();
  readonly #foreign = new Map<number, Map<string, string>>();
  readonly #usage = new Map<string, Usage>();

  #of(file: string): Usage {
    let u = this.#usage.get(file);
    if (!u) this.#usage.set(file, u = { entities: 0, bytes: 0, archetypes: 0 });
    return u;
  }

  /** A script's current usage (zeros when it owns nothing). */
  usage(file: string): Readonly<Usage> {
    return this.#usage.get(file) ?? { entities: 0, bytes: 0, archetypes: 0 };
  }

  /** The file that spawned `id`, or null (saved by an older version, or never spawned). */
  ownerOf(id: number): string | null {
    return this.#owner.get(id) ?? null;
  }

  /** The components of `id` others attached and pay for, by key, or undefined when none. */
  foreignOf(id: number): ReadonlyMap<string, string> | undefined {
    return this.#foreign.get(id);
  }

  /** Who pays for component `key` of entity `id`. */
  payerOf(id: number, key: string): string | null {
    return this.#foreign.get(id)?.get(key) ?? this.ownerOf(id);
  }

  spawned(id: number, owner: string | null, bytes: number): void {
    if (owner === null) return;
    this.#owner.set(id, owner);
    const u = this.#of(owner);
    u.entities++;
    u.bytes += bytes;
  }

  attached(id: number, key: string, by: string | null, bytes: number): void {
    const owner = this.ownerOf(id);
    if (by !== null && by !== owner) {
      let m = this.#foreign.get(id);
      if (!m) this.#foreign.set(id, m = new Map());
      m.set(key, by);
    }
    const payer = by ?? owner;
    if (payer !== null) this.#of(payer).bytes += bytes;
  }

  detached(id: number, key: string, bytes: number): void {
    const payer = this.payerOf(id, key);
    this.#foreign.get(id)?.delete(key);
    if (payer !== null) this.#credit(payer, bytes);
  }

  /** An entity is gone: credits whoever paid for each of its components. */
  despawned(id: number, components: readonly { key: string; bytes: number }[]): void {
    for (const c of components) this.detached(id, c.key, c.bytes);
    this.#foreign.delete(id);
    const owner = this.#owner.get(id);
    if (owner === undefined) return;
    this.#owner.delete(id);
    const u = this.#of(owner);
    u.entities = Math.max(0, u.entities - 1);
  }

  /** An archetype created by `creator`'s command appeared (+1) or was freed (-1). */
  archetype(creator: string | null, bytes: number, delta: 1 | -1): void {
    if (creator === null) return;
    const u = this.#of(creator);
    u.archetypes = Math.max(0, u.archetypes + delta);
    if (delta > 0) u.bytes += bytes;
    else this.#credit(creator, bytes);
  }

  #credit(file: string, bytes: number): void {
    const u = this.#of(file);
    u.bytes = Math.max(0, u.bytes - bytes);
  }

  /** Clears every total, keeping owners and payers; `recount` then adds them up again. */
  resetTotals(): void {
    this.#usage.clear();
  }

  /** Adds one live entity's costs during a recount. */
  count(id: number, components: readonly { key: string; bytes: number }[]): void {
    const owner = this.ownerOf(id);
    if (owner !== null) this.#of(owner).entities++;
    for (const c of components) {
      const payer = this.payerOf(id, c.key);
      if (payer !== null) this.#of(payer).bytes += c.bytes;
    }
  }

  /** The entities `file` owns (it spawned them), ascending. */
  ownedBy(file: string): number[] {
    const ids: number[] = [];
    for (const [id, owner] of this.#owner) if (owner === file) ids.push(id);
    return ids.sort((a, b) => a - b);
  }

  save(): SavedOwners {
    const byOwner = new Map<string, number[]>();
    for (const [id, file] of this.#owner) {
      let ids = byOwner.get(file);
      if (!ids) byOwner.set(file, ids = []);
      ids.push(id);
    }
    const owners: Record<string, Uint32Array> = {};
    for (const [file, ids] of [...byOwner].sort(([a], [b]) => (a < b ? -1 : 1))) {
      owners[file] = Uint32Array.from(ids.sort((a, b) => a - b));
    }
    const foreign: SavedOwners["foreign"] = [];
    for (const [id, m] of this.#foreign) for (const [key, file] of m) foreign.push([id, key, file]);
    return { owners, foreign: foreign.sort((a, b) => a[0] - b[0]) };
  }

  /**
   * Sets who owns `id` and who pays for the components others attached to
   * it (`[component key, payer]`), replaying a change log; totals come from
   * a recount.
   */
  assign(id: number, owner: string | null, foreign: readonly (readonly [string, string])[]): void {
    if (owner === null) this.#owner.delete(id);
    else this.#owner.set(id, owner);
    this.#foreign.delete(id);
    if (foreign.length > 0) this.#foreign.set(id, new Map(foreign));
  }

  /** Restores owners and payers of the given live entities (totals come from a recount). */
  restore(saved: SavedOwners, isAlive: (id: number) => boolean): void {
    for (const [file, ids] of Object.entries(saved.owners)) {
      for (const id of ids) if (isAlive(id)) this.#owner.set(id, file);
    }
    for (const [id, key, file] of saved.foreign) {
      if (!isAlive(id)) continue;
      let m = this.#foreign.get(id);
      if (!m) this.#foreign.set(id, m = new Map());
      m.set(key, file);
    }
  }
}

/**
 * What a system is shipped per query (DESIGN §5 step 3): the rows of the
 * archetypes that match, only changed rows where the query has a `changed`
 * filter, only the granted columns, and a presence mask per optional
 * component. A system's queries are planned once per running version.
 *
 * @module
 */
import type { Manifest } from "../roles/mod.ts";
import type { ShippedQuery, WireColumns, WireText } from "../protocol/mod.ts";
import {
  changedSince,
  type ComponentInfo,
  gatherColumn,
  gatherEntities,
  gatherPresence,
  gatherText,
  type RowSet,
  type World,
} from "../ecs/mod.ts";

/** One query of a running system, its components resolved to the world's. */
export interface QueryPlan {
  readonly name: string;
  /** Keys of the components a matched entity has. */
  readonly required: readonly string[];
  /** Keys of the components a matched entity lacks. */
  readonly without: readonly string[];
  /** Keys of the components whose changes select rows (empty: every row). */
  readonly changed: readonly string[];
  /** The components whose columns are shipped: reads, writes and optional. */
  readonly shipped: readonly ComponentInfo[];
  /** The optional ones, which also get a presence mask. */
  readonly optional: readonly ComponentInfo[];
}

/** The plans of a manifest's queries, in its query order. */
export function planQueries(
  manifest: Manifest,
  components: ReadonlyMap<string, ComponentInfo>,
): QueryPlan[] {
  const info = (name: string) => components.get(name)!;
  return Object.entries(manifest.queries).map(([name, q]) => ({
    name,
    required: q.required.map((c) => info(c).key),
    without: q.without.map((c) => info(c).key),
    changed: q.changed.map((c) => info(c).key),
    shipped: [...new Set([...q.reads, ...q.writes, ...q.optional])].map(info),
    optional: q.optional.map(info),
  }));
}

/** What one tick ships a system: each query's row set (to merge into) and its wire form. */
export interface Shipment {
  readonly rows: Record<string, RowSet>;
  readonly queries: Record<string, ShippedQuery>;
}

/**
 * Gathers every query of a system. `since` is the change clock of the
 * system's last merged result (-1: none yet, so every row counts as changed).
 */
export function shipQueries(world: World, plans: readonly QueryPlan[], since: number): Shipment {
  const rows: Record<string, RowSet> = {};
  const queries: Record<string, ShippedQuery> = {};
  for (const plan of plans) {
    let set = world.query(plan.required, plan.without);
    if (plan.changed.length > 0 && set.count > 0) set = changedSince(set, plan.changed, since);
    rows[plan.name] = set;
    queries[plan.name] = wireQuery(set, plan);
  }
  return { rows, queries };
}

function wireQuery(rows: RowSet, plan: QueryPlan): ShippedQuery {
  const empty = rows.count === 0;
  const columns: WireColumns = {};
  let text: WireText | undefined;
  for (const info of plan.shipped) {
    const fields: Record<string, Uint8Array> = {};
    for (const f of info.fields) {
      if (f.type === "text") {
        ((text ??= {})[info.name] ??= {})[f.name] = empty ? [] : gatherText(rows, info.key, f);
      } else fields[f.name] = empty ? new Uint8Array(0) : gatherColumn(rows, info.key, f);
    }
    columns[info.name] = fields;
  }
  const query: ShippedQuery = {
    count: rows.count,
    entities: empty ? new Uint8Array(0) : gatherEntities(rows),
    columns,
  };
  if (text) query.text = text;
  if (plan.optional.length > 0) {
    query.has = Object.fromEntries(
      plan.optional.map((c) => [c.name, empty ? new Uint8Array(0) : gatherPresence(rows, c.key)]),
    );
  }
  return query;
}

/** No queries shipped (an init). */
export const NOTHING_SHIPPED: Shipment = Object.freeze({ rows: {}, queries: {} });

/**
 * Shards of one system's tick (DESIGN §7): the rows of each query cut into
 * contiguous ranges, one per instance, and the instances' results put back
 * together into the one result a single instance would have sent. Nothing is
 * merged until every shard is back, so a tick is never half-applied; the
 * merged result then goes through the same grant validation as local mode.
 *
 * What a shard gets: its rows of every query, its share of the spawn ids,
 * every resource, and (shard 0 only) the tick's events, so that an event is
 * handled once. A shard's `ctx.random()` seed is the tick's, mixed with its
 * index (shard 0 keeps the tick's own).
 *
 * @module
 */
import {
  type ChangedColumns,
  isWireMap,
  type ResultMessage,
  type ShippedQuery,
  type TickMessage,
  type WireCommand,
  type WireValue,
} from "../protocol/mod.ts";

/** Fewest rows a shard is given: below this a system runs on one instance. */
export const MIN_SHARD_ROWS = 1024;

/** Row ranges of one shard, by query: `[start, end)`. */
export type ShardRanges = Record<string, readonly [number, number]>;

/** A tick cut into shards. */
export interface ShardedTick {
  readonly shards: TickMessage[];
  readonly ranges: ShardRanges[];
}

/** How many shards a tick with these queries is worth on `instances` instances. */
export function shardCount(message: TickMessage, instances: number): number {
  let rows = 0;
  for (const q of Object.values(message.queries)) rows = Math.max(rows, q.count);
  return Math.max(1, Math.min(instances, Math.floor(rows / MIN_SHARD_ROWS)));
}

/** Cuts a tick into `count` shards of (nearly) equal rows per query. */
export function splitTick(message: TickMessage, count: number): ShardedTick {
  const shards: TickMessage[] = [];
  const ranges: ShardRanges[] = [];
  const reserve = message.reserve;
  const ids = reserve ? reserve.length / 4 : 0;
  for (let i = 0; i < count; i++) {
    const range: ShardRanges = {};
    const queries: Record<string, ShippedQuery> = {};
    for (const [name, q] of Object.entries(message.queries)) {
      const start = cut(q.count, i, count), end = cut(q.count, i + 1, count);
      range[name] = [start, end];
      queries[name] = sliceQuery(q, start, end);
    }
    const shard: TickMessage = { ...message, queries };
    if (reserve) {
      shard.reserve = reserve.subarray(cut(ids, i, count) * 4, cut(ids, i + 1, count) * 4);
    }
    if (i > 0) {
      delete shard.events;
      if (message.seed !== undefined) shard.seed = mixSeed(message.seed, i);
    }
    shards.push(shard);
    ranges.push(range);
  }
  return { shards, ranges };
}

const cut = (n: number, i: number, k: number) => Math.floor((n * i) / k);

function mixSeed(seed: number, shard: number): number {
  let h = Math.imul(seed ^ Math.imul(shard, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** Rows `[start, end)` of a shipped query: every column sliced at its own stride. */
function sliceQuery(q: ShippedQuery, start: number, end: number): ShippedQuery {
  const rows = (bytes: Uint8Array) => {
    if (q.count === 0) return bytes;
    const stride = bytes.length / q.count;
    return bytes.subarray(start * stride, end * stride);
  };
  const out: ShippedQuery = {
    count: end - start,
    entities: rows(q.entities),
    columns: mapFields(q.columns, rows),
  };
  if (q.has) out.has = Object.fromEntries(Object.entries(q.has).map(([c, m]) => [c, rows(m)]));
  if (q.text) out.text = mapFields(q.text, (strings) => strings.slice(start, end));
  return out;
}

function mapFields<A, B>(
  columns: Record<string, Record<string, A>>,
  f: (value: A) => B,
): Record<string, Record<string, B>> {
  return Object.fromEntries(
    Object.entries(columns).map((
      [c, fields],
    ) => [c, Object.fromEntries(Object.entries(fields).map(([n, v]) => [n, f(v)]))]),
  );
}

/** The merged result, or why a shard's result cannot be merged (the system's fault). */
export type MergeOutcome =
  | { ok: true; result: ResultMessage }
  | { ok: false; problem: string };

/**
 * Puts the shards' results back together, in shard order: each changed
 * column is the shipped column with every shard's rows written over its
 * range; commands and events follow one another; a resource field written by
 * several shards keeps the last shard's value; the first error wins.
 */
export function mergeShards(
  message: TickMessage,
  split: ShardedTick,
  results: readonly unknown[],
): MergeOutcome {
  if (results.length === 1) return { ok: true, result: results[0] as ResultMessage };
  const changed: Record<string, ChangedColumns> = {};
  const commands: WireCommand[] = [];
  const events: [string, WireValue][] = [];
  const resources: Record<string, WireValue> = {};
  let error: ResultMessage["error"] = null;
  for (let i = 0; i < results.length; i++) {
    const r = results[i] as Partial<ResultMessage> | null;
    const where = `shard ${i + 1} of ${results.length}`;
    if (!isWireMap(r) || r.t !== "result" || r.tick !== message.tick) {
      return { ok: false, problem: `${where} sent something that is not its result` };
    }
    if (r.error && !error) error = r.error;
    if (Array.isArray(r.commands)) commands.push(...r.commands);
    if (Array.isArray(r.events)) events.push(...r.events);
    if (isWireMap(r.resources)) {
      for (const [name, fields] of Object.entries(r.resources)) {
        if (isWireMap(fields)) Object.assign(resources[name] ??= {}, fields);
      }
    }
    if (r.changed === undefined) continue;
    if (!isWireMap(r.changed)) return { ok: false, problem: `${where}: "changed" is not a map` };
    for (const [query, components] of Object.entries(r.changed)) {
      const range = split.ranges[i]![query];
      const shipped = message.queries[query];
      if (!range || !shipped) {
        return { ok: false, problem: `${where} changed unknown query "${query}"` };
      }
      if (!isWireMap(components)) {
        return { ok: false, problem: `${where}: query "${query}" is not a map` };
      }
      for (const [component, fields] of Object.entries(components)) {
        if (!isWireMap(fields)) {
          return { ok: false, problem: `${where}: component "${component}" is not a map` };
        }
        for (const [field, value] of Object.entries(fields)) {
          const problem = place(changed, shipped, query, component, field, value, range);
          if (problem) return { ok: false, problem: `${where}: ${problem}` };
        }
      }
    }
  }
  const result: ResultMessage = { t: "result", tick: message.tick, changed, commands, error };
  if (events.length > 0) result.events = events;
  if (Object.keys(resources).length > 0) result.resources = resources;
  return { ok: true, result };
}

/** Writes one shard's changed field over its range of the merged column. */
function place(
  changed: Record<string, ChangedColumns>,
  shipped: ShippedQuery,
  query: string,
  component: string,
  field: string,
  value: unknown,
  [start, end]: readonly [number, number],
): string | null {
  const name = `${component}.${field} of query "${query}"`;
  const target = ((changed[query] ??= {})[component] ??= {});
  const rows = end - start;
  if (value instanceof Uint8Array) {
    const original = shipped.columns[component]?.[field];
    if (!original) return `changed ${name}, which it was not shipped`;
    const stride = shipped.count === 0 ? 0 : original.length / shipped.count;
    if (value.length !== rows * stride) {
      return `${name} has ${value.length} bytes, its ${rows} rows are ${rows * stride}`;
    }
    let merged = target[field];
    if (!(merged instanceof Uint8Array)) merged = target[field] = original.slice();
    merged.set(value, start * stride);
    return null;
  }
  if (Array.isArray(value)) {
    const original = shipped.text?.[component]?.[field];
    if (!original) return `changed ${name}, which it was not shipped`;
    if (value.length !== rows) return `${name} has ${value.length} strings for ${rows} rows`;
    let merged = target[field];
    if (!Array.isArray(merged)) merged = target[field] = [...original];
    for (let j = 0; j < rows; j++) merged[start + j] = value[j];
    return null;
  }
  return `${name} is neither bytes nor strings`;
}

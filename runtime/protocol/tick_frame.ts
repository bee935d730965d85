/**
 * The wire layout of `tick` frames (DESIGN §6), built so the child can view
 * every column as a typed array in place, without copying or parsing:
 *
 * ```
 * { t: "tick", tick, dt, reserve?, seed?, resources?, events?,
 *   layout: { query: { count, entities: [offset, bytes],
 *     columns: { Component: { field: [offset, bytes] } }, has?: { Component: [offset, bytes] },
 *     text?: { Component: { field: [string, …] } } } },
 *   pad: "…", blob: bin }
 * ```
 *
 * All column bytes travel in one `bin` (`blob`) that comes last; `pad` is a
 * string of 0–7 bytes chosen so the blob starts on an 8-byte boundary of the
 * message, and every column starts on an 8-byte boundary of the blob. A
 * receiver that reads each message into a buffer of its own (as FrameReader
 * does) can therefore make Float64Array/Uint32Array views directly.
 *
 * @module
 */
import { alignedOffsets, type MessagePackWriter } from "./msgpack_encode.ts";
import type {
  RuntimeMessage,
  ShippedQuery,
  TickMessage,
  WireColumns,
  WireText,
  WireValue,
} from "./messages.ts";
import { ProtocolError } from "./errors.ts";
import { isWireMap } from "./wire_map.ts";

const ALIGN = 8;

/** Encodes any runtime → child message as a frame; ticks get the aligned layout. */
export function writeRuntimeFrame(writer: MessagePackWriter, message: RuntimeMessage): Uint8Array {
  writer.beginFrame();
  if (message.t !== "tick") return writer.value(message).finishFrame();
  const parts: Uint8Array[] = [];
  /** Where each part's [offset, bytes] goes once the offsets are known. */
  const slots: [number, number][] = [];
  const place = (bytes: Uint8Array): [number, number] => {
    parts.push(bytes);
    const slot: [number, number] = [0, bytes.length];
    slots.push(slot);
    return slot;
  };
  const layout: Record<string, unknown> = {};
  for (const [name, query] of Object.entries(message.queries)) {
    const columns: Record<string, Record<string, [number, number]>> = {};
    for (const [component, fields] of Object.entries(query.columns)) {
      const placed: Record<string, [number, number]> = {};
      for (const [field, bytes] of Object.entries(fields)) placed[field] = place(bytes);
      columns[component] = placed;
    }
    const has: Record<string, [number, number]> = {};
    for (const [component, mask] of Object.entries(query.has ?? {})) has[component] = place(mask);
    layout[name] = {
      count: query.count,
      entities: place(query.entities),
      columns,
      ...(query.has ? { has } : {}),
      ...(query.text ? { text: query.text } : {}),
    };
  }
  // The same layout packedBin writes below.
  const { offsets } = alignedOffsets(parts.map((p) => p.length), ALIGN);
  slots.forEach((slot, i) => slot[0] = offsets[i]!);
  const header = {
    t: "tick",
    tick: message.tick,
    dt: message.dt,
    ...(message.reserve ? { reserve: message.reserve } : {}),
    ...(message.seed !== undefined ? { seed: message.seed } : {}),
    ...(message.resources ? { resources: message.resources } : {}),
    ...(message.events ? { events: message.events } : {}),
    layout,
  };
  const keys = Object.keys(header) as (keyof typeof header)[];
  writer.mapHeader(keys.length + 2);
  for (const k of keys) writer.string(k).value(header[k]);
  writer.string("pad");
  // After the pad string: its 1-byte header and k bytes, "blob" (5 bytes), the bin32 header (5).
  // The message starts 4 bytes into the frame, after the length prefix.
  const dataStart = writer.position + 1 + 5 + 5 - 4;
  writer.string(" ".repeat((ALIGN - (dataStart % ALIGN)) % ALIGN));
  writer.string("blob").packedBin(parts, ALIGN);
  return writer.finishFrame();
}

/** A tick as the child sees it: columns as aligned views into the frame. */
export type ReceivedTick = Omit<TickMessage, "t">;

function slice(blob: Uint8Array, at: unknown, what: string): Uint8Array {
  if (!Array.isArray(at) || at.length !== 2) {
    throw new ProtocolError(`Malformed tick layout of ${what}`);
  }
  const [offset, bytes] = at as [unknown, unknown];
  if (
    typeof offset !== "number" || typeof bytes !== "number" || offset % ALIGN !== 0 ||
    offset < 0 || bytes < 0 || offset + bytes > blob.length
  ) {
    throw new ProtocolError(`Tick layout of ${what} is outside the blob`);
  }
  return blob.subarray(offset, offset + bytes);
}

function readQuery(blob: Uint8Array, name: string, raw: unknown): ShippedQuery {
  if (!isWireMap(raw) || typeof raw.count !== "number") {
    throw new ProtocolError(`Malformed tick layout of query "${name}"`);
  }
  const columns: WireColumns = {};
  for (const [component, fields] of Object.entries(isWireMap(raw.columns) ? raw.columns : {})) {
    const out: Record<string, Uint8Array> = {};
    for (const [field, at] of Object.entries(isWireMap(fields) ? fields : {})) {
      out[field] = slice(blob, at, `${name}: ${component}.${field}`);
    }
    columns[component] = out;
  }
  const query: ShippedQuery = {
    count: raw.count,
    entities: slice(blob, raw.entities, `${name}: entities`),
    columns,
  };
  if (isWireMap(raw.has)) {
    const has: Record<string, Uint8Array> = {};
    for (const [component, at] of Object.entries(raw.has)) {
      has[component] = slice(blob, at, `${name}: has ${component}`);
    }
    query.has = has;
  }
  if (isWireMap(raw.text)) query.text = raw.text as WireText;
  return query;
}

/** Resolves a decoded tick's layout into column views (aligned when the message buffer is). */
export function readTickFrame(raw: Record<string, unknown>): ReceivedTick {
  const blob = raw.blob;
  const layout = raw.layout;
  if (!(blob instanceof Uint8Array) || !isWireMap(layout)) {
    throw new ProtocolError("Malformed tick frame: no blob or layout");
  }
  const queries: Record<string, ShippedQuery> = {};
  for (const [name, query] of Object.entries(layout)) queries[name] = readQuery(blob, name, query);
  const tick: ReceivedTick = { tick: raw.tick as number, dt: raw.dt as number, queries };
  if (raw.reserve instanceof Uint8Array) tick.reserve = raw.reserve;
  if (typeof raw.seed === "number") tick.seed = raw.seed;
  if (isWireMap(raw.resources)) tick.resources = raw.resources as Record<string, WireValue>;
  if (isWireMap(raw.events)) tick.events = raw.events as Record<string, WireValue[]>;
  return tick;
}

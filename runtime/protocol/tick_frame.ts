/**
 * The wire layout of `tick` frames (DESIGN §6), built so the child can view
 * every column as a typed array in place, without copying or parsing:
 *
 * ```
 * { t: "tick", tick, dt, count, reserve?, layout: { entities: [offset, bytes],
 *   columns: { Component: { field: [offset, bytes] } } }, pad: "…", blob: bin }
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
import type { RuntimeMessage, TickMessage, WireColumns } from "./messages.ts";
import { ProtocolError } from "./errors.ts";

const ALIGN = 8;

/** Encodes any runtime → child message as a frame; ticks get the aligned layout. */
export function writeRuntimeFrame(writer: MessagePackWriter, message: RuntimeMessage): Uint8Array {
  writer.beginFrame();
  if (message.t !== "tick") return writer.value(message).finishFrame();
  const parts: Uint8Array[] = [message.entities];
  const names: [string, string][] = [];
  for (const [component, fields] of Object.entries(message.columns)) {
    for (const [field, bytes] of Object.entries(fields)) {
      names.push([component, field]);
      parts.push(bytes);
    }
  }
  // The same layout packedBin writes below.
  const { offsets } = alignedOffsets(parts.map((p) => p.length), ALIGN);
  const columns: Record<string, Record<string, [number, number]>> = {};
  names.forEach(([component, field], i) => {
    (columns[component] ??= {})[field] = [offsets[i + 1]!, parts[i + 1]!.length];
  });
  const header = {
    t: "tick",
    tick: message.tick,
    dt: message.dt,
    count: message.count,
    ...(message.reserve ? { reserve: message.reserve } : {}),
    ...(message.seed !== undefined ? { seed: message.seed } : {}),
    layout: { entities: [0, message.entities.length], columns },
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
export interface ReceivedTick extends Omit<TickMessage, "t"> {
  entities: Uint8Array;
  columns: WireColumns;
}

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

/** Resolves a decoded tick's layout into column views (aligned when the message buffer is). */
export function readTickFrame(raw: Record<string, unknown>): ReceivedTick {
  const blob = raw.blob;
  const layout = raw.layout as {
    entities?: unknown;
    columns?: Record<string, Record<string, unknown>>;
  };
  if (!(blob instanceof Uint8Array) || typeof layout !== "object" || layout === null) {
    throw new ProtocolError("Malformed tick frame: no blob or layout");
  }
  const columns: WireColumns = {};
  for (const [component, fields] of Object.entries(layout.columns ?? {})) {
    const out: Record<string, Uint8Array> = {};
    for (const [field, at] of Object.entries(fields)) {
      out[field] = slice(blob, at, `${component}.${field}`);
    }
    columns[component] = out;
  }
  return {
    tick: raw.tick as number,
    dt: raw.dt as number,
    count: raw.count as number,
    entities: slice(blob, layout.entities, "entities"),
    columns,
    ...(raw.reserve instanceof Uint8Array ? { reserve: raw.reserve } : {}),
    ...(typeof raw.seed === "number" ? { seed: raw.seed } : {}),
  };
}

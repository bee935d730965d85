/**
 * Bodies larger than the server's max payload (1 MiB by default), sent as
 * parts: each part is one NATS message carrying the routing headers plus
 * `syncra-message` (an id per sender) and `syncra-part` (`i/n`). The
 * receiver puts them back together per subject and id, within a byte limit,
 * and drops a body whose parts stop coming.
 *
 * @module
 */
import { headers, type Msg, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import { encodeFrame } from "../protocol/mod.ts";

/** Room left in every message for the headers. */
const HEADER_ROOM = 4096;

/** A value as one MessagePack body (no length prefix: a NATS message has its own). */
export function encodeBody(value: unknown): Uint8Array {
  return encodeFrame(value).subarray(4);
}

let nextMessage = 0;

/** Publishes `body` on `subject` with `meta` as headers, in parts if it is larger than the server takes. */
export function publishBody(
  nc: NatsConnection,
  subject: string,
  body: Uint8Array,
  meta: Readonly<Record<string, string>>,
): void {
  const limit = Math.max(1024, (nc.info?.max_payload ?? 1024 * 1024) - HEADER_ROOM);
  const count = Math.max(1, Math.ceil(body.length / limit));
  const id = String(++nextMessage);
  for (let i = 0; i < count; i++) {
    const h = headers();
    for (const [k, v] of Object.entries(meta)) h.set(k, v);
    if (count > 1) {
      h.set("syncra-message", id);
      h.set("syncra-part", `${i + 1}/${count}`);
    }
    nc.publish(subject, body.subarray(i * limit, (i + 1) * limit), { headers: h });
  }
}

/** A header's value, or "" (nats.js: a message without headers has none). */
export function header(h: MsgHdrs | undefined, key: string): string {
  return h?.get(key) ?? "";
}

/** Bodies being put back together. */
export class PartAssembler {
  readonly #maxBytes: number;
  readonly #open = new Map<string, { parts: Uint8Array[]; got: number; bytes: number }>();

  constructor(maxBytes = 64 * 1024 * 1024) {
    this.#maxBytes = maxBytes;
  }

  /**
   * The whole body once its last part is in (a copy: NATS may reuse the
   * message's buffer), null while parts are missing. Throws on a part that
   * cannot belong to any body.
   */
  take(message: Msg): Uint8Array | null {
    const part = header(message.headers, "syncra-part");
    if (part === "") return message.data.slice();
    const match = /^(\d+)\/(\d+)$/.exec(part);
    const index = Number(match?.[1]), count = Number(match?.[2]);
    if (!match || index < 1 || index > count || count > 65536) {
      throw new Error(`a message part numbered "${part.slice(0, 40)}"`);
    }
    const key = `${message.subject}\n${header(message.headers, "syncra-message")}`;
    let open = this.#open.get(key);
    if (!open) {
      // Bodies abandoned half way (a sender that died) give way to new ones.
      if (this.#open.size >= 16) this.#open.delete(this.#open.keys().next().value!);
      open = { parts: new Array(count), got: 0, bytes: 0 };
      this.#open.set(key, open);
    }
    if (open.parts.length !== count || open.parts[index - 1]) {
      this.#open.delete(key);
      throw new Error(`part ${part} does not fit the body it names`);
    }
    open.bytes += message.data.length;
    if (open.bytes > this.#maxBytes) {
      this.#open.delete(key);
      throw new Error(`a body of more than ${this.#maxBytes} bytes`);
    }
    open.parts[index - 1] = message.data.slice();
    if (++open.got < count) return null;
    this.#open.delete(key);
    const out = new Uint8Array(open.bytes);
    let at = 0;
    for (const p of open.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

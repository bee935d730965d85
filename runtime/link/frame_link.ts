/**
 * The {@linkcode Link} every byte transport shares: MessagePack frames
 * encoded one at a time into one reusable buffer on the way out, and on
 * the way in split by {@linkcode FrameSplitter} and decoded with the
 * protocol's limits. The first malformed frame ends reading and is
 * reported once.
 *
 * @module
 */
import {
  decodeMessagePack,
  type FrameLimits,
  MessagePackWriter,
  ProtocolError,
  type RuntimeMessage,
  writeRuntimeFrame,
} from "../protocol/mod.ts";
import type { ByteTransport } from "./byte_transport.ts";
import { FrameSplitter } from "./frame_splitter.ts";
import type { Link, LinkHandlers } from "./link.ts";

/** Why sends fail once the runtime closed the link itself. */
const CLOSED_BY_RUNTIME = "Cannot send on a closed link: it was closed by the runtime";

/** A frame channel over a {@linkcode ByteTransport}; reading starts at once. */
export class FrameLink implements Link {
  readonly #transport: ByteTransport;
  readonly #writer = new MessagePackWriter();
  #queue: Promise<void> = Promise.resolve();
  /** Set once sending must fail, with the message it fails with. */
  #sendingEnded: string | null = null;
  #readingStopped = false;
  #released: Promise<void> | null = null;
  readonly closed: Promise<void>;

  constructor(transport: ByteTransport, handlers: LinkHandlers, limits: Readonly<FrameLimits>) {
    this.#transport = transport;
    this.closed = this.#read(handlers, limits);
  }

  async #read(handlers: LinkHandlers, limits: Readonly<FrameLimits>): Promise<void> {
    const splitter = new FrameSplitter(limits.maxFrameBytes);
    try {
      for await (const chunk of this.#transport.chunks()) {
        if (this.#readingStopped) return;
        const frames = splitter.frames(chunk);
        while (true) {
          let message: unknown;
          try {
            const next = frames.next();
            if (next.done) break;
            message = decodeMessagePack(next.value, limits);
          } catch (error) {
            const violation = error instanceof ProtocolError
              ? error
              : new ProtocolError(String(error), { cause: error });
            try {
              handlers.protocolError(violation);
            } catch (bug) {
              console.error("A protocol error handler threw:", bug);
            }
            // Returning from the loop stops the transport's reading.
            return;
          }
          // A handler's own bug must not pass for the peer's protocol error.
          try {
            handlers.message(message);
          } catch (error) {
            console.error("A frame handler threw:", error);
          }
          // A handler may have closed the link: nothing more is delivered.
          if (this.#readingStopped) return;
        }
      }
    } catch {
      // The transport broke because the peer died or the link was closed: the end of reading.
    }
  }

  /** Sends a frame; frames go out in call order, each encoded when its turn comes. */
  send(message: RuntimeMessage): Promise<void> {
    // Encoding at the turn keeps the one reusable buffer unshared.
    const next = this.#queue.then(async () => {
      if (this.#sendingEnded !== null) throw new Error(this.#sendingEnded);
      await this.#transport.write(writeRuntimeFrame(this.#writer, message));
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  /**
   * Makes every later send reject with `reason` while frames already on
   * their way in are still delivered (the process behind the link exited).
   */
  endSending(reason: string): void {
    this.#sendingEnded ??= reason;
  }

  /** Stops sending and receiving and releases the transport. */
  close(): void {
    void this.release();
  }

  /** {@linkcode close}, resolving once the transport's resources are released. */
  release(): Promise<void> {
    this.endSending(CLOSED_BY_RUNTIME);
    this.#readingStopped = true;
    this.#released ??= this.#transport.close().catch(() => {});
    return this.#released;
  }
}

/**
 * What a frame link runs over: a bidirectional byte stream, such
 * as a child's stdin and stdout pipes or one connected unix socket.
 *
 * @module
 */

/** A bidirectional byte stream. */
export interface ByteTransport {
  /**
   * The peer's bytes until end of stream, read once. Each chunk is valid
   * only until the next is asked for (a transport may reuse its buffer);
   * leaving the loop early stops reading.
   */
  chunks(): AsyncIterable<Uint8Array>;
  /** Writes every byte; resolves once all are handed to the OS, rejects when the peer is gone. */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Releases both directions: a pending read ends, later writes reject.
   * Resolves once the OS resources are gone (a write in progress may delay it).
   */
  close(): Promise<void>;
}

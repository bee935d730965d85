/**
 * The channel between the runtime and one child process. `StdioLink` is the
 * local-mode implementation (frames over the child's stdin/stdout); a NATS
 * link implements the same interface in distributed mode.
 *
 * @module
 */
import type { RuntimeMessage } from "../protocol/mod.ts";
import type { ProtocolError } from "../protocol/mod.ts";

/** How a child ended. */
export interface ChildExit {
  code: number | null;
  signal: string | null;
}

/** Callbacks for what a child sends. Called in arrival order. */
export interface LinkHandlers {
  /** A decoded frame; its shape is not validated yet. */
  message(message: unknown): void;
  /** The child broke the frame protocol; the link stops reading. */
  protocolError(error: ProtocolError): void;
  /** A line the child (or deno itself) wrote to stderr. */
  stderr(line: string): void;
}

/** A bidirectional frame channel to one child. */
export interface ChildLink extends AsyncDisposable {
  readonly pid: number;
  /** Sends a frame; resolves once written (rejects if the child is gone). */
  send(message: RuntimeMessage): Promise<void>;
  /** Signals the child (SIGKILL by default). */
  kill(signal?: Deno.Signal): void;
  /** Resolves when the child has exited and its output is drained. */
  readonly exited: Promise<ChildExit>;
}

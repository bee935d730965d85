/**
 * The channel between the runtime and one child (DESIGN §6), transport only:
 * frames out, frames in, and when it closed. Process control (pid, signals,
 * exit) is a separate handle, so the same roles run over stdio, a socket, or
 * a network link that has no process at all.
 *
 * @module
 */
import type { SpawnOptions } from "./spawn_options.ts";
import type { ProtocolError, RuntimeMessage } from "../protocol/mod.ts";
import type { ChildCommand } from "../../sandbox/command/mod.ts";

/** What a link delivers. Called in arrival order. */
export interface LinkHandlers {
  /**
   * A decoded frame; its shape is not validated yet. Called synchronously
   * while the frame's bytes are valid: a link may reuse its buffer for the
   * next frame, so a handler copies what it keeps.
   */
  message(message: unknown): void;
  /** The peer broke the frame protocol; the link stops reading. */
  protocolError(error: ProtocolError): void;
}

/** A bidirectional frame channel. */
export interface Link {
  /** Sends a frame; resolves once handed to the transport, rejects once the link is closed. */
  send(message: RuntimeMessage): Promise<void>;
  /** Resolves when the peer is gone and every frame it sent has been delivered. */
  readonly closed: Promise<void>;
  /** Stops sending and receiving and releases the transport. */
  close(): void;
}

/** How a child process ended. */
export interface ChildExit {
  code: number | null;
  signal: string | null;
}

/** Control of a child process, apart from its link. */
export interface ChildProcessHandle {
  readonly pid: number;
  /** Signals the process (SIGKILL by default); a no-op once it has exited. */
  kill(signal?: Deno.Signal): void;
  /** Resolves when the process has exited and its link and stderr are drained. */
  readonly exited: Promise<ChildExit>;
}

/** What a spawner reports besides frames: the child's stderr, as lines. */
export interface SpawnHandlers extends LinkHandlers {
  stderr(line: string): void;
}

/** A started child: its link and its process. */
export interface SpawnedChild {
  readonly link: Link;
  readonly process: ChildProcessHandle;
}

/** Starts a child from its (jailed, budgeted) command and links to it. */
export type SpawnChild = (
  command: ChildCommand,
  handlers: SpawnHandlers,
  options?: SpawnOptions,
) => SpawnedChild;

/** Which channel children get on this machine, and why. */
export interface ChannelChoice {
  readonly kind: "socket" | "stdio";
  /** For `explain` and the start-up lines, e.g. "unix socket on fds 0/1 (launched through FFI)". */
  readonly description: string;
  readonly spawn: SpawnChild;
}

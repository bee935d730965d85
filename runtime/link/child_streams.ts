/**
 * What every spawner does once its child runs, whatever the transport: frames
 * over a {@linkcode FrameLink}, stderr as lines, and an exit that resolves
 * only once both are drained.
 *
 * @module
 */
import { DEFAULT_FRAME_LIMITS } from "../protocol/mod.ts";
import type { ByteTransport } from "./byte_transport.ts";
import { FrameLink } from "./frame_link.ts";
import type { ChildExit, SpawnHandlers } from "./link.ts";
import { DEFAULT_MAX_STDERR_LINE, type SpawnOptions } from "./spawn_options.ts";
import { readStderrLines } from "./stderr_lines.ts";

/** A child's link, its stderr reader, and its exit after both are drained. */
export interface ChildStreams {
  link: FrameLink;
  /** Resolves when the child's stderr has ended and every line was delivered. */
  stderr: Promise<void>;
  exited: Promise<ChildExit>;
}

/**
 * Links to a started child: `transport` carries its frames, `stderr` its
 * error output; `exit` is how it ended. Frames still on their way when it
 * exits are delivered; sends after that reject.
 */
export function attachChildStreams(
  transport: ByteTransport,
  stderr: AsyncIterable<Uint8Array>,
  exit: Promise<ChildExit>,
  handlers: SpawnHandlers,
  options: SpawnOptions,
): ChildStreams {
  const link = new FrameLink(transport, handlers, options.limits ?? DEFAULT_FRAME_LIMITS);
  const lines = readStderrLines(
    stderr,
    handlers.stderr,
    options.maxStderrLine ?? DEFAULT_MAX_STDERR_LINE,
  );
  const exited = (async (): Promise<ChildExit> => {
    const how = await exit;
    link.endSending("Cannot send to a child that has exited");
    await Promise.all([link.closed, lines]);
    await link.release();
    return how;
  })();
  return { link, stderr: lines, exited };
}

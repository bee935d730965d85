/**
 * A child's stderr as lines: what a spawner hands to `SpawnHandlers.stderr`.
 *
 * @module
 */

/**
 * Delivers each non-blank line of `chunks` (UTF-8), cut to `maxLine`
 * characters; a last line without a newline is delivered at the end.
 * Resolves once the stream ends, also when it breaks.
 */
export async function readStderrLines(
  chunks: AsyncIterable<Uint8Array>,
  deliver: (line: string) => void,
  maxLine: number,
): Promise<void> {
  const decoder = new TextDecoder();
  let partial = "";
  try {
    for await (const chunk of chunks) {
      partial += decoder.decode(chunk, { stream: true });
      const lines = partial.split("\n");
      partial = lines.pop()!.slice(0, maxLine);
      for (const line of lines) if (line.trim() !== "") deliver(line.slice(0, maxLine));
    }
  } catch {
    // A dead child's stderr may end abruptly; its exit is reported elsewhere.
  }
  if (partial.trim() !== "") deliver(partial);
}

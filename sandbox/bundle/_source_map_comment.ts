/**
 * Finds a source map comment in a user file before esbuild sees it. With
 * source maps on, esbuild follows the last `//# sourceMappingURL=<url>` of a
 * file (also `//@`, `/*#` and `/*@`, the `#` or `@` right after the comment's
 * opening and one space before the name) and reads the map itself: any path,
 * a `file:` URL or a `data:` URL, outside the plugin that confines every other
 * read. The bundler refuses such a file, as it refuses an import of the path.
 *
 * The scan is on the raw text, so it also matches these words inside a string
 * or a template: a superset of what esbuild honours, never less.
 *
 * @module
 */

/** A source map comment: where it starts and the URL it names. */
export interface SourceMapComment {
  /** 1-based line. */
  line: number;
  /** 0-based column in UTF-8 bytes, as esbuild counts it. */
  column: number;
  /** The whole line, for the error's location. */
  lineText: string;
  /** The URL the comment names (up to the first whitespace). */
  url: string;
}

// Looser than esbuild (spaces anywhere, any case), so nothing it would follow slips past.
const SOURCE_MAP_COMMENT = /\/[/*][ \t]*[#@][ \t]*sourceMappingURL[ \t]*=[ \t]*(\S*)/i;

/** The first source map comment in `text`, or null. */
export function findSourceMapComment(text: string): SourceMapComment | null {
  const match = SOURCE_MAP_COMMENT.exec(text);
  if (match === null) return null;
  const start = text.lastIndexOf("\n", match.index) + 1;
  const end = text.indexOf("\n", match.index);
  const lineText = text.slice(start, end < 0 ? text.length : end);
  return {
    line: text.slice(0, start).split("\n").length,
    column: new TextEncoder().encode(text.slice(start, match.index)).length,
    lineText,
    url: match[1]!.replace(/\*\/$/, ""),
  };
}

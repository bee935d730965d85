/**
 * Finds the first `import(` or `require(` whose argument is not a plain
 * string literal, skipping comments, strings, template literals and regular
 * expressions. The bundler uses it only to point a refusal at a line: whether
 * to refuse is decided from esbuild's own output.
 *
 * @module
 */

const KEYWORDS_BEFORE_EXPRESSION = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

/**
 * Index of the first `import(` or `require(` whose argument is not a lone
 * string literal, or -1. A light scanner that skips comments, strings,
 * templates and (by the usual heuristic) regular expressions; it only
 * locates what esbuild already reported, so a miss costs a line number.
 */
export function findComputedImport(source: string): number {
  const n = source.length;
  const quoted = (at: number): number => {
    const quote = source[at];
    let i = at + 1;
    while (i < n && source[i] !== quote && source[i] !== "\n") i += source[i] === "\\" ? 2 : 1;
    return i + 1;
  };
  /** From inside a template: the index after its closing backtick or after a `${`. */
  const template = (at: number): { end: number; open: boolean } => {
    let i = at;
    while (i < n) {
      if (source[i] === "\\") i += 2;
      else if (source[i] === "`") return { end: i + 1, open: false };
      else if (source[i] === "$" && source[i + 1] === "{") return { end: i + 2, open: true };
      else i++;
    }
    return { end: n, open: false };
  };
  const trivia = (at: number): number => {
    let i = at;
    while (i < n) {
      if (/\s/.test(source[i]!)) i++;
      else if (source.startsWith("//", i)) {
        i = source.indexOf("\n", i) < 0 ? n : source.indexOf("\n", i);
      } else if (source.startsWith("/*", i)) {
        i = source.indexOf("*/", i) < 0 ? n : source.indexOf("*/", i) + 2;
      } else break;
    }
    return i;
  };
  const isLiteralArgument = (open: number): boolean => {
    const at = trivia(open + 1);
    let end: number;
    if (source[at] === '"' || source[at] === "'") end = quoted(at);
    else if (source[at] === "`") {
      const t = template(at + 1);
      if (t.open) return false;
      end = t.end;
    } else return false;
    const next = source[trivia(end)];
    return next === ")" || next === ",";
  };

  const substitutions: number[] = [];
  let depth = 0;
  let regexAllowed = true;
  let afterDot = false;
  let i = 0;
  while (i < n) {
    const skipped = trivia(i);
    if (skipped !== i) {
      i = skipped;
      continue;
    }
    const c = source[i]!;
    if (c === '"' || c === "'") {
      i = quoted(i);
      regexAllowed = afterDot = false;
    } else if (c === "`" || (c === "}" && substitutions.at(-1) === depth - 1)) {
      if (c === "}") substitutions.pop(), depth--;
      const t = template(i + 1);
      if (t.open) substitutions.push(depth++);
      i = t.end;
      regexAllowed = t.open;
      afterDot = false;
    } else if (c === "/" && regexAllowed) {
      i++;
      let inClass = false;
      while (i < n && source[i] !== "\n" && (inClass || source[i] !== "/")) {
        if (source[i] === "\\") i++;
        else if (source[i] === "[") inClass = true;
        else if (source[i] === "]") inClass = false;
        i++;
      }
      i++;
      while (i < n && /[\w$]/.test(source[i]!)) i++;
      regexAllowed = afterDot = false;
    } else if (/[A-Za-z_$\u0080-\uffff]/.test(c)) {
      const start = i;
      while (i < n && /[\w$\u0080-\uffff]/.test(source[i]!)) i++;
      const word = source.slice(start, i);
      if (!afterDot && (word === "import" || word === "require")) {
        const open = trivia(i);
        if (source[open] === "(" && !isLiteralArgument(open)) return start;
      }
      regexAllowed = KEYWORDS_BEFORE_EXPRESSION.has(word);
      afterDot = false;
    } else if (/[0-9]/.test(c)) {
      while (i < n && /[\w.]/.test(source[i]!)) i++;
      regexAllowed = afterDot = false;
    } else {
      if (c === "{") depth++;
      else if (c === "}") depth--;
      afterDot = c === "." || (c === "?" && source[i + 1] === ".");
      regexAllowed = c !== ")" && c !== "]" && c !== "}";
      i += afterDot && c === "?" ? 2 : 1;
    }
  }
  return -1;
}

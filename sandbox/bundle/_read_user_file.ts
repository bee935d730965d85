/**
 * Reads a user file for the bundler inside the bundle's size budget, and
 * only if the file opened is still the one the resolver approved: a regular
 * file whose real path is inside the scripts folder (not a symlink, FIFO or
 * device swapped in since it was resolved).
 *
 * @module
 */

/** The bytes a build may still read, shared by the files of one build. */
export interface ReadBudget {
  /** The budget in bytes. */
  readonly maxBytes: number;
  /** Bytes of user files read so far in this build. */
  usedBytes: number;
}

/** `123 bytes`, `4.5 KiB`, `16 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, "KiB"] : [bytes / 1024 / 1024, "MiB"];
  return `${value.toFixed(1).replace(/\.0$/, "")} ${unit}`;
}

const CHANGED = "it changed while it was being bundled";

/**
 * The text of `path` (a real path the resolver approved), or why it is refused.
 * `inside` tells whether a real path is inside the scripts folder.
 */
export function readUserFile(
  path: string,
  inside: (real: string) => boolean,
  budget: ReadBudget,
): { text: string } | { refusal: string } {
  // Opening a FIFO would block: look before opening, and check what was opened after.
  if (!Deno.statSync(path).isFile) return { refusal: CHANGED };
  using file = Deno.openSync(path, { read: true });
  const info = file.statSync();
  let real: string;
  try {
    real = Deno.realPathSync(path);
  } catch {
    return { refusal: CHANGED };
  }
  const now = Deno.statSync(real);
  if (!info.isFile || !inside(real) || now.ino !== info.ino || now.dev !== info.dev) {
    return { refusal: CHANGED };
  }
  if (info.size > budget.maxBytes - budget.usedBytes) {
    const max = formatBytes(budget.maxBytes);
    return {
      refusal: info.size > budget.maxBytes
        ? `it is ${formatBytes(info.size)}, over the budget of ${max} for a bundle`
        : `with it the script's files exceed the budget of ${max} for a bundle`,
    };
  }
  // One byte more than the size it had: a file still growing is refused.
  const buffer = new Uint8Array(info.size + 1);
  let length = 0;
  while (length < buffer.length) {
    const n = file.readSync(buffer.subarray(length));
    if (n === null) break;
    length += n;
  }
  if (length > info.size) return { refusal: CHANGED };
  budget.usedBytes += length;
  return { text: new TextDecoder().decode(buffer.subarray(0, length)) };
}

/**
 * Where a program is: the first executable file of that name on PATH, then
 * in /usr/local/bin, /usr/bin and /bin (PATH unreadable: those only).
 *
 * @module
 */

/** The program's absolute path, or null when it is nowhere. */
export function findExecutable(name: string): string | null {
  let path: string | undefined;
  try {
    path = Deno.env.get("PATH");
  } catch { /* no env permission: the usual folders only */ }
  const dirs = (path ?? "").split(":").filter((dir) => dir.startsWith("/"));
  for (const dir of [...dirs, "/usr/local/bin", "/usr/bin", "/bin"]) {
    try {
      const info = Deno.statSync(`${dir}/${name}`);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return `${dir}/${name}`;
    } catch { /* not here */ }
  }
  return null;
}

/** The program's absolute path; throws naming it when it is nowhere. */
export function requireExecutable(name: string): string {
  const path = findExecutable(name);
  if (path === null) throw new Error(`"${name}" was not found on PATH or in /usr/bin`);
  return path;
}

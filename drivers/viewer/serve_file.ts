// Files a driver serves read-only over HTTP — the viewer its page and the world's assets, the
// network driver the assets to joined pages — by plain names below a root, never anything else.

const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  png: "image/png",
  jpg: "image/jpeg",
  glb: "model/gltf-binary",
  gltf: "model/gltf+json",
  map: "application/json",
  wav: "audio/wav",
  bin: "application/octet-stream",
};

/**
 * The file at `path` below `root` (no "..", no absolute paths, no hidden
 * files), or 404. `headers` are added to a found file's response (CORS, say).
 */
export async function serveFile(
  root: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  const parts = path.split("/").filter((p) => p !== "");
  if (root === "" || parts.some((p) => p === ".." || p.startsWith("."))) {
    return new Response("not found", { status: 404 });
  }
  try {
    const body = await Deno.readFile(`${root}/${parts.join("/")}`);
    const type = CONTENT_TYPES[parts.at(-1)?.split(".").pop() ?? ""] ?? "application/octet-stream";
    return new Response(body, { headers: { "content-type": type, ...headers } });
  } catch {
    return new Response("not found", { status: 404 });
  }
}

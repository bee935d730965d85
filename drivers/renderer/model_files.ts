/**
 * A model's bytes for the renderer, from the world's assets folder (the
 * only one it may read; it has no HTTP to fetch by, as the page does). A
 * `.gltf`'s relative resources — its buffers' `.bin` files and its images —
 * are read from beside it and inlined as `data:` URIs, so three's loader
 * finds them in the document itself; a resource outside the assets folder,
 * or named by a URL, is refused.
 *
 * @module
 */

const MIME: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  ktx2: "image/ktx2",
};

/** `path` (relative, `/`-separated) made plain, or null when it climbs out, is absolute or hidden. */
function inside(path: string): string | null {
  if (path.startsWith("/") || /^[a-z][a-z0-9+.-]*:/i.test(path)) return null;
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else if (part.startsWith(".")) return null;
    else parts.push(part);
  }
  return parts.length > 0 ? parts.join("/") : null;
}

function base64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** The bytes of model `asset` under `assets`, a `.gltf`'s resources inlined. */
export async function readModel(
  assets: string,
  asset: string,
): Promise<{ bytes: ArrayBuffer; base: string }> {
  const path = inside(asset);
  if (path === null) throw new Error(`"${asset}" is not a path inside the assets folder`);
  const bytes = await Deno.readFile(`${assets}/${path}`);
  if (!path.toLowerCase().endsWith(".gltf")) {
    return { bytes: bytes.buffer as ArrayBuffer, base: "" };
  }
  const folder = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
  const document = JSON.parse(new TextDecoder().decode(bytes));
  for (const list of [document.buffers, document.images]) {
    for (const entry of Array.isArray(list) ? list : []) {
      const uri = entry?.uri;
      if (typeof uri !== "string" || uri.startsWith("data:")) continue;
      let resource: string | null = null;
      try {
        // Relative to the .gltf's folder; an absolute path or a URL is not.
        if (!uri.startsWith("/") && inside(uri) !== null) {
          resource = inside(folder + decodeURIComponent(uri));
        }
      } catch { // a malformed %-escape
      }
      if (resource === null) {
        throw new Error(`its resource "${uri}" is not a file inside the assets folder`);
      }
      const data = await Deno.readFile(`${assets}/${resource}`);
      const type = MIME[resource.split(".").pop()!.toLowerCase()] ?? "application/octet-stream";
      entry.uri = `data:${type};base64,${base64(data)}`;
    }
  }
  return { bytes: new TextEncoder().encode(JSON.stringify(document)).buffer, base: "" };
}

/**
 * Where the OpenXR loader and what it reads are on this machine: shared by
 * the driver (its manifest asks for them) and the runtime (`--openxr`
 * approves them).
 *
 * @module
 */

/** Where Debian puts the loader (libopenxr-loader1) on this machine's architecture. */
export const OPENXR_LOADER = `/usr/lib/${Deno.build.arch}-linux-gnu/libopenxr_loader.so.1`;

/**
 * What the loader reads besides itself (bound read-only into the jail): API layer manifests and
 * the installed runtimes' manifests, and the active runtime's link.
 */
export const OPENXR_LOADER_FILES: readonly string[] = ["/usr/share/openxr", "/etc/xdg/openxr"];

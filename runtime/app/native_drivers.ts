/**
 * The built-in drivers a world runs on a flag, besides the viewer: the
 * renderer (`--renderer`, `--frames DIR`), spatial audio (`--audio`,
 * `--audio-out FILE`) and OpenXR tracking (`--openxr`, `--openxr-runtime
 * FILE`). Each is a driver entry the runtime approves itself — exactly what
 * its flags call for (WebGPU and the frames folder; the assets to read and
 * the WAV's folder to write; the OpenXR loader and the runtime it is
 * pointed at), nothing else — and its settings,
 * which reach the driver as `ctx.config`. Their code is the runtime's own,
 * bundled with the npm libraries it needs (three.js for the renderer).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";
import type { RuntimeLibraries } from "../../sandbox/bundle/mod.ts";
import type { DriverEntry } from "../policy/mod.ts";
import { packageFile } from "./package_file.ts";
import { OPENXR_LOADER, OPENXR_LOADER_FILES } from "../../drivers/openxr/loader_paths.ts";
import { DEFAULT_RENDERER_SETTINGS } from "../../drivers/renderer/renderer_settings.ts";

/** The folder of the runtime's drivers. */
export const DRIVERS_DIR: string = fileURLToPath(new URL("../../drivers/", import.meta.url));

/**
 * What a built-in driver's bundle may import from: the runtime's own source,
 * so a driver shares its neighbours' code and the runtime's (the network
 * driver checks tokens with runtime/network's code, not a copy of it).
 */
export const RUNTIME_SOURCE: string = fileURLToPath(new URL("../../", import.meta.url));

/** What the renderer driver draws and where (`drivers/renderer/renderer_settings.ts`). */
export interface RendererOptions {
  /** Folder for PNG frames, or null (frames go to its port only). */
  frames: string | null;
  width: number;
  height: number;
  /** Frames a second, at most. */
  rate: number;
  batching: "instanced" | "batched";
}

/** The renderer's flags' defaults: its own settings' (a small frame, ten a second, instanced). */
export const DEFAULT_RENDERER_OPTIONS: Readonly<RendererOptions> = Object.freeze({
  frames: null,
  width: DEFAULT_RENDERER_SETTINGS.width,
  height: DEFAULT_RENDERER_SETTINGS.height,
  rate: DEFAULT_RENDERER_SETTINGS.rate,
  batching: DEFAULT_RENDERER_SETTINGS.batching,
});

/** Where the audio driver's mix goes (`drivers/audio/`). */
export interface AudioOptions {
  /** The WAV file it writes, or null (the mix goes to its port only). */
  out: string | null;
}

/** Which OpenXR runtime the tracking driver uses. */
export interface OpenXROptions {
  /** A runtime's manifest (JSON), or null: the machine's active runtime (Monado's, say). */
  runtime: string | null;
}

const NO_APPROVALS = { serve: [], net: [], read: [], write: [], ffi: [], gpu: false };

/**
 * The renderer's entry: WebGPU, reading the world's assets (its glTF
 * models), and writing its frames folder (made here, by the trusted side).
 */
export async function rendererEntry(options: RendererOptions, root: string): Promise<DriverEntry> {
  const frames = options.frames === null ? null : resolve(options.frames);
  if (frames !== null) await Deno.mkdir(frames, { recursive: true });
  const assets = join(root, "assets");
  return {
    name: "renderer",
    file: join(DRIVERS_DIR, "renderer", "renderer.ts"),
    builtin: true,
    approve: {
      ...NO_APPROVALS,
      gpu: true,
      read: [assets],
      write: frames === null ? [] : [frames],
    },
    settings: { ...options, frames, assets },
  };
}

/** The audio driver's entry: reading the world's assets, and writing its WAV's folder. */
export async function audioEntry(
  options: AudioOptions,
  root: string,
  hz: number,
): Promise<DriverEntry> {
  const out = options.out === null ? null : resolve(options.out);
  if (out !== null) await Deno.mkdir(dirname(out), { recursive: true });
  const assets = join(root, "assets");
  return {
    name: "audio",
    file: join(DRIVERS_DIR, "audio", "audio.ts"),
    builtin: true,
    approve: { ...NO_APPROVALS, read: [assets], write: out === null ? [] : [dirname(out)] },
    settings: { out, assets, hz },
  };
}

/**
 * The OpenXR driver's entry: the loader through FFI, what the loader reads,
 * and the runtime it is pointed at (its manifest's folder, and the library
 * the manifest names) or, when the machine runs Monado, its socket.
 */
export async function openxrEntry(options: OpenXROptions): Promise<DriverEntry> {
  const env: Record<string, string> = {};
  const mount: string[] = [];
  if (options.runtime !== null) {
    const manifest = resolve(options.runtime);
    env.XR_RUNTIME_JSON = manifest;
    mount.push(dirname(manifest));
    const library = await runtimeLibrary(manifest);
    if (library !== null && !library.startsWith(`${dirname(manifest)}/`)) mount.push(library);
  }
  // Monado's service listens on a socket in the user's runtime folder: that socket, and no more.
  const runtimeDir = Deno.env.get("XDG_RUNTIME_DIR");
  const monado = runtimeDir ? join(runtimeDir, "monado_comp_ipc") : null;
  if (runtimeDir && monado && await Deno.stat(monado).then(() => true, () => false)) {
    env.XDG_RUNTIME_DIR = runtimeDir;
    mount.push(monado);
  }
  return {
    name: "openxr",
    file: join(DRIVERS_DIR, "openxr", "openxr.ts"),
    builtin: true,
    approve: {
      ...NO_APPROVALS,
      ffi: [OPENXR_LOADER],
      read: [...OPENXR_LOADER_FILES],
      env,
      mount,
    },
    settings: {},
  };
}

/** The library a runtime manifest names, absolute; null when it cannot be read. */
async function runtimeLibrary(manifest: string): Promise<string | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(manifest);
  } catch (error) {
    throw new Error(`Cannot use the OpenXR runtime "${manifest}": ${(error as Error).message}`);
  }
  let library: unknown;
  try {
    library = JSON.parse(text)?.runtime?.library_path;
  } catch {
    throw new Error(`Cannot use the OpenXR runtime "${manifest}": it is not JSON`);
  }
  if (typeof library !== "string" || library === "") {
    throw new Error(
      `Cannot use the OpenXR runtime "${manifest}": it names no runtime.library_path`,
    );
  }
  // A bare name is found by the dynamic loader in the system's folders, which the jail holds.
  if (!library.includes("/")) return null;
  return resolve(dirname(manifest), library);
}

/**
 * The world options that enable the native driver whose module is `file`
 * with its flags' defaults (for `deno task explain`), or null when it is none.
 */
export function nativeDriverOptions(
  file: string,
): { renderer: RendererOptions } | { audio: AudioOptions } | { openxr: OpenXROptions } | null {
  const is = (...parts: string[]) => resolve(file) === join(DRIVERS_DIR, ...parts);
  if (is("renderer", "renderer.ts")) {
    return { renderer: { ...DEFAULT_RENDERER_OPTIONS } };
  }
  if (is("audio", "audio.ts")) return { audio: { out: null } };
  if (is("openxr", "openxr.ts")) return { openxr: { runtime: null } };
  return null;
}

/** What of three.js the built-in drivers import (the renderer, and the page's models it shares). */
const THREE_SPECIFIERS = ["three", "three/webgpu", "three/addons/loaders/GLTFLoader.js"];

/** The npm libraries the built-in drivers may import by name: their packages' files are trusted. */
export async function nativeDriverLibraries(): Promise<RuntimeLibraries> {
  const aliases: Record<string, string> = {};
  for (const name of THREE_SPECIFIERS) aliases[name] = await packageFile(name);
  const marker = "/node_modules/three/";
  const file = aliases.three!;
  return { aliases, folders: [file.slice(0, file.lastIndexOf(marker) + marker.length)] };
}

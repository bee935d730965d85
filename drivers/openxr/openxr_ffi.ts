/**
 * The OpenXR loader through Deno's FFI: `Deno.dlopen` of the loader library
 * (Debian's `libopenxr-loader1` by default) and the core 1.0 functions the
 * driver calls, each wrapped so that a failure throws an
 * {@linkcode OpenXRError} naming the function and the `XrResult`. The loader
 * exports every core function itself (it dispatches to the runtime, through
 * any enabled API layers), so nothing goes through `xrGetInstanceProcAddr`.
 *
 * Handles (`XrInstance`, `XrSession`, …) are pointers on LP64 and travel as
 * `u64` bigints; structures are {@linkcode StructBuffer}s laid out per
 * openxr_layouts.ts. A structure that points at another buffer needs that
 * buffer's address, and Deno's pointer API (`Deno.UnsafePointer.of`) needs
 * unscoped `--allow-ffi`, which no driver is given; so the address comes from
 * C: `memcpy(buffer, buffer, 0)` returns its first argument, and the symbol
 * resolves through the loader's own dependency on libc. Every call is synchronous: `xrWaitFrame` blocks until the
 * runtime's next frame, which is the driver's frame clock.
 *
 * @module
 */
import { Layouts, MaxSize, StructureType } from "./openxr_layouts.ts";
import { cString, StructBuffer } from "./struct_buffer.ts";
import { OpenXRError, xrSucceeded } from "./xr_result.ts";

/** Debian's (and most distributions') OpenXR loader. */
export const DEFAULT_LOADER = "/usr/lib/x86_64-linux-gnu/libopenxr_loader.so.1";

const H = "u64" as const; // a handle, an atom (XrPath, XrSystemId) or XrTime's unsigned twin
const P = "buffer" as const; // a pointer to a structure, a string or an out value

/** The loader's symbols the driver uses, with their C signatures. */
const SYMBOLS = {
  // Not OpenXR: returns `dest`, which is how a buffer's address is learned (see above).
  memcpy: { parameters: [P, P, "usize"], result: "u64" },
  xrEnumerateApiLayerProperties: { parameters: ["u32", P, P], result: "i32" },
  xrEnumerateInstanceExtensionProperties: { parameters: [P, "u32", P, P], result: "i32" },
  xrCreateInstance: { parameters: [P, P], result: "i32" },
  xrDestroyInstance: { parameters: [H], result: "i32" },
  xrGetInstanceProperties: { parameters: [H, P], result: "i32" },
  xrGetSystem: { parameters: [H, P, P], result: "i32" },
  xrStringToPath: { parameters: [H, P, P], result: "i32" },
  xrCreateSession: { parameters: [H, P, P], result: "i32" },
  xrDestroySession: { parameters: [H], result: "i32" },
  xrBeginSession: { parameters: [H, P], result: "i32" },
  xrEndSession: { parameters: [H], result: "i32" },
  xrRequestExitSession: { parameters: [H], result: "i32" },
  xrPollEvent: { parameters: [H, P], result: "i32" },
  xrCreateReferenceSpace: { parameters: [H, P, P], result: "i32" },
  xrCreateActionSpace: { parameters: [H, P, P], result: "i32" },
  xrDestroySpace: { parameters: [H], result: "i32" },
  xrCreateActionSet: { parameters: [H, P, P], result: "i32" },
  xrDestroyActionSet: { parameters: [H], result: "i32" },
  xrCreateAction: { parameters: [H, P, P], result: "i32" },
  xrDestroyAction: { parameters: [H], result: "i32" },
  xrSuggestInteractionProfileBindings: { parameters: [H, P], result: "i32" },
  xrAttachSessionActionSets: { parameters: [H, P], result: "i32" },
  xrSyncActions: { parameters: [H, P], result: "i32" },
  xrWaitFrame: { parameters: [H, P, P], result: "i32" },
  xrBeginFrame: { parameters: [H, P], result: "i32" },
  xrEndFrame: { parameters: [H, P], result: "i32" },
  xrLocateSpace: { parameters: [H, H, "i64", P], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loader's functions, as Deno binds them. */
export type OpenXRSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** One API layer the loader found (`XrApiLayerProperties`). */
export interface ApiLayer {
  name: string;
  description: string;
  specVersion: bigint;
  layerVersion: number;
}

/** One instance extension (`XrExtensionProperties`). */
export interface InstanceExtension {
  name: string;
  version: number;
}

/** The OpenXR loader, opened through FFI. Close it to unload the library. */
export class OpenXRLoader implements Disposable {
  /** The library's path. */
  readonly path: string;
  readonly #library: Deno.DynamicLibrary<typeof SYMBOLS>;

  private constructor(path: string, library: Deno.DynamicLibrary<typeof SYMBOLS>) {
    this.path = path;
    this.#library = library;
  }

  /** Opens the loader at `path` (absolute); throws naming the path when it cannot. */
  static open(path: string = DEFAULT_LOADER): OpenXRLoader {
    if (!path.startsWith("/")) {
      throw new TypeError(`Cannot open the OpenXR loader "${path}": expected an absolute path`);
    }
    try {
      return new OpenXRLoader(path, Deno.dlopen(path, SYMBOLS));
    } catch (error) {
      throw new Error(
        `Cannot open the OpenXR loader "${path}": ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** The bound functions, for calls this class does not wrap. */
  get symbols(): OpenXRSymbols {
    return this.#library.symbols;
  }

  /** The address of `bytes` (an off-heap buffer: struct_buffer.ts `pinnedBytes`). */
  addressOf(bytes: Uint8Array<ArrayBuffer>): bigint {
    return BigInt(this.#library.symbols.memcpy(bytes, bytes, 0n));
  }

  /** Throws an {@linkcode OpenXRError} unless `result` is a success code; returns it. */
  check(call: string, result: number): number {
    if (!xrSucceeded(result)) throw new OpenXRError(call, result);
    return result;
  }

  /** The API layers the loader can enable (from its manifests, e.g. /usr/share/openxr/1/api_layers). */
  apiLayers(): ApiLayer[] {
    const layout = Layouts.XrApiLayerProperties;
    const items = this.#enumerate("xrEnumerateApiLayerProperties", (capacity, count) => {
      const list = new StructBuffer(layout, StructureType.API_LAYER_PROPERTIES, capacity);
      const result = this.symbols.xrEnumerateApiLayerProperties(capacity, count, list.bytes);
      return { result, list };
    });
    return items.map(({ list, index }) => ({
      name: list.readString("layerName", MaxSize.API_LAYER_NAME, index),
      description: list.readString("description", MaxSize.API_LAYER_DESCRIPTION, index),
      specVersion: list.readU64("specVersion", index),
      layerVersion: list.readU32("layerVersion", index),
    }));
  }

  /** The instance extensions the runtime (or, with `layer`, that API layer) offers. */
  instanceExtensions(layer: string | null = null): InstanceExtension[] {
    const layout = Layouts.XrExtensionProperties;
    const name = layer === null ? null : cString(layer);
    const items = this.#enumerate(
      "xrEnumerateInstanceExtensionProperties",
      (capacity, count) => {
        const list = new StructBuffer(layout, StructureType.EXTENSION_PROPERTIES, capacity);
        const result = this.symbols.xrEnumerateInstanceExtensionProperties(
          name,
          capacity,
          count,
          list.bytes,
        );
        return { result, list };
      },
    );
    return items.map(({ list, index }) => ({
      name: list.readString("extensionName", MaxSize.EXTENSION_NAME, index),
      version: list.readU32("extensionVersion", index),
    }));
  }

  /** OpenXR's two-call idiom: ask for the count, then fill a list of that many. */
  #enumerate(
    call: string,
    fill: (capacity: number, count: Uint8Array<ArrayBuffer>) => {
      result: number;
      list: StructBuffer;
    },
  ): { list: StructBuffer; index: number }[] {
    const count = new Uint8Array(4);
    const view = new DataView(count.buffer);
    this.check(call, fill(0, count).result);
    const capacity = view.getUint32(0, true);
    if (capacity === 0) return [];
    const { result, list } = fill(capacity, count);
    this.check(call, result);
    const filled = Math.min(capacity, view.getUint32(0, true));
    return Array.from({ length: filled }, (_, index) => ({ list, index }));
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Unloads the library; its handles must have been destroyed first. */
  close(): void {
    this.#library.close();
  }
}

/** An out parameter of one handle or atom: 8 zeroed bytes, read back as a bigint. */
export class OutHandle {
  readonly bytes: Uint8Array<ArrayBuffer> = new Uint8Array(8);

  get value(): bigint {
    return new DataView(this.bytes.buffer).getBigUint64(0, true);
  }
}

/**
 * Hole 7 of issue 6, and its siblings: what Deno's global scope hands a script
 * with no permission flag. WebGPU (`navigator.gpu`) gives any child a real
 * adapter — the GPU's memory and time outside every budget, a driver stack as
 * attack surface — so the in-child host hides it from every child not approved
 * for `gpu` (DESIGN §4; none is today). Every other global name is classified
 * here, so one that a later Deno adds fails the suite until someone decides
 * what it may do (as `deno_namespace_test.ts` does for `Deno.*`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { IN_CI, scriptReport } from "../_world.ts";
import {
  assertConfined,
  assertDenied,
  assertKeptTicking,
  attackFolder,
  probes,
  runAttacks,
} from "./_attack.ts";

/** Asks a plain `deno run --no-prompt` child (no flag, no host) for an adapter. */
async function plainAdapter(dir: string): Promise<{ inNavigator: boolean; adapter: string }> {
  const file = join(dir, "plain_webgpu.js");
  await Deno.writeTextFile(
    file,
    `const adapter = await navigator.gpu?.requestAdapter();
     const info = adapter?.info;
     console.log(JSON.stringify({
       inNavigator: "gpu" in navigator,
       adapter: adapter instanceof GPUAdapter ? \`\${info.vendor} \${info.architecture} \${info.description}\` : String(adapter),
     }));`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--no-config", file],
    env: { NO_COLOR: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const NO_GPU = {
  typeofGpu: /^OK: undefined$/,
  inNavigator: /^OK: false$/,
  requestAdapter: /^TypeError: Cannot read properties of undefined \(reading 'requestAdapter'\)$/,
  getter: /^OK: undefined$/,
  gpuGlobals: /^OK: \[\]$/,
  gpuClass: /^TypeError: Cannot read properties of undefined \(reading 'prototype'\)$/,
  bufferUsage: /^TypeError: Cannot read properties of undefined \(reading 'MAP_READ'\)$/,
  // A canvas still has a WebGPU context, but configuring it needs a device, which needs an adapter.
  canvasContext: /^TypeError: .*(device|GPUDevice)/,
};

// Jailed (required in CI) and flags only: the host hides it either way.
for (const jail of ["auto", "off"] as const) {
  Deno.test(`no script gets a WebGPU adapter (jail ${jail}), though a plain deno child does`, async () => {
    await using folder = await attackFolder(["webgpu_adapter"]);
    // The hole is real: with no flag at all, a plain child has navigator.gpu (and here an adapter).
    const plain = await plainAdapter(folder.root);
    assert.equal(plain.inNavigator, true, "a plain child has navigator.gpu");
    assert.doesNotMatch(plain.adapter, /^(undefined|null)$/, "a plain child gets an adapter");

    const ticks = 5;
    const run = await runAttacks(folder, ticks, {
      deadlineMs: 3000,
      jail: jail === "auto" && IN_CI ? "on" : jail,
    });
    assertDenied(run, "webgpu_adapter", NO_GPU);
    const s = scriptReport(run, "webgpu_adapter");
    if (jail === "off") assert.equal(s.isolation, "flags-only");
    else assertConfined(run, ["webgpu_adapter"]);
    assertKeptTicking(run, ticks);
  });
}

/**
 * Every own name of a script's globalThis, decided by a person:
 * - "language": ECMAScript and Intl, Temporal, WebAssembly (compiles only what it is given);
 * - "net": reaches out only with a net grant (`NotCapable` otherwise: network_test.ts);
 * - "inert": in-process web APIs (events, streams, encoding, crypto, timers, geometry,
 *   images, `BroadcastChannel` to itself, `close()` ends itself), constructors whose
 *   instance the host removed (`Cache`, `CacheStorage`: illegal constructors), and
 *   `prompt`/`confirm`/`alert`, which return at once because stdin is not a terminal;
 * - missing from the list: hidden by the host (and asserted absent below).
 */
const LANGUAGE = `AggregateError Array ArrayBuffer AsyncDisposableStack Atomics BigInt BigInt64Array
  BigUint64Array Boolean DataView Date DisposableStack Error EvalError FinalizationRegistry
  Float16Array Float32Array Float64Array Function Infinity Int16Array Int32Array Int8Array Intl
  Iterator JSON Map Math NaN Number Object Promise Proxy RangeError ReferenceError Reflect RegExp
  Set SharedArrayBuffer String SuppressedError Symbol SyntaxError Temporal TypeError URIError
  Uint16Array Uint32Array Uint8Array Uint8ClampedArray WeakMap WeakRef WeakSet WebAssembly
  decodeURI decodeURIComponent encodeURI encodeURIComponent escape eval globalThis isFinite isNaN
  parseFloat parseInt undefined unescape`;
const NET = `EventSource WebSocket fetch`;
const INERT = `AbortController AbortSignal Blob BroadcastChannel ByteLengthQueuingStrategy Cache
  CacheStorage CloseEvent CompressionStream CountQueuingStrategy Crypto CryptoKey CustomEvent
  DOMException DOMMatrix DOMMatrixReadOnly DOMPoint DOMPointReadOnly DOMQuad DOMRect
  DOMRectReadOnly DecompressionStream Deno ErrorEvent Event EventTarget File FileReader FormData
  Headers ImageBitmap ImageBitmapRenderingContext ImageData Location Lock LockManager
  MessageChannel MessageEvent MessagePort Navigator NavigatorUAData OffscreenCanvas Performance
  PerformanceEntry PerformanceMark PerformanceMeasure PerformanceObserver
  PerformanceObserverEntryList ProgressEvent PromiseRejectionEvent QuotaExceededError
  ReadableByteStreamController ReadableStream ReadableStreamBYOBReader ReadableStreamBYOBRequest
  ReadableStreamDefaultController ReadableStreamDefaultReader Request Response SubtleCrypto
  TextDecoder TextDecoderStream TextEncoder TextEncoderStream TransformStream
  TransformStreamDefaultController URL URLPattern URLSearchParams Window WritableStream
  WritableStreamDefaultController WritableStreamDefaultWriter alert atob btoa clearInterval
  clearTimeout close closed confirm console createImageBitmap crypto location name navigator
  onbeforeunload onerror onload onunhandledrejection onunload performance prompt queueMicrotask
  reportError self setInterval setTimeout structuredClone`;
/** Removed by the host: Node's globals, Workers, web storage, the Cache API, WebGPU. */
const HIDDEN = `Worker process Buffer global setImmediate clearImmediate localStorage sessionStorage
  Storage caches GPU GPUAdapter GPUAdapterInfo GPUBuffer GPUBufferUsage GPUCanvasContext GPUDevice
  GPUShaderStage GPUTextureUsage`;
/**
 * Navigator.prototype: `hardwareConcurrency` (the machine's CPU count) and the user
 * agent strings (the Deno version and platform, as `Deno.build`) answer without a
 * permission; `locks` is in-process. `gpu` is hidden.
 */
const NAVIGATOR = `constructor hardwareConcurrency language languages locks platform userAgent
  userAgentData`;

const words = (text: string) => text.split(/\s+/).filter(Boolean);

Deno.test("every name on a script's global scope is classified, and the host's hidden ones are gone", async () => {
  await using folder = await attackFolder(["global_scope"]);
  const ticks = 5;
  const run = await runAttacks(folder, ticks, { deadlineMs: 3000 });
  const results = probes(run, "global_scope");
  const globals = JSON.parse(results.globals!.slice("OK: ".length)) as string[];
  const known = new Set([...words(LANGUAGE), ...words(NET), ...words(INERT)]);
  assert.deepEqual(globals.filter((n) => !known.has(n)), [], "new globals: classify them here");
  const hidden = words(HIDDEN).filter((n) => globals.includes(n));
  assert.deepEqual(hidden, [], "the host hides these");
  assert.ok(!globals.some((n) => /^GPU/.test(n)), "no GPU* class is left");
  assert.deepEqual(
    JSON.parse(results.navigator!.slice("OK: ".length)),
    words(NAVIGATOR).sort(),
    "Navigator.prototype: classify a new name, and gpu is gone",
  );
  assertDenied(run, "global_scope", {
    globalSymbols: /^OK: 2$/, // Deno's webidl brand and the global's EventTarget data
    prompt: /^OK: null$/,
    confirm: /^OK: false$/,
    alert: /^OK: undefined$/,
    storage: /^TypeError: G\.Storage is not a constructor$/,
    cacheStorage: /^TypeError: Illegal constructor$/,
    broadcast: /^OK: posted to itself only$/,
    hardwareConcurrency: /^OK: \d+$/,
  });
  assertConfined(run, ["global_scope"]);
  assertKeptTicking(run, ticks);
});

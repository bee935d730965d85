// The OpenXR driver (issue 11): binds the system's OpenXR loader through FFI (--allow-ffi names
// only the loader), opens a headless tracking session on whatever runtime the loader finds (Monado
// on a machine with a headset; XR_RUNTIME_JSON, from the owner's "env" approval, to pick one), and
// each runtime frame writes the head's and hands' poses to the Player entity it spawns. With no
// runtime it says so once and stays down; the world runs on.
import { defineDriver, Player, PlayerTracked, Transform } from "@syncra/std";
import { OpenXRLoader } from "./openxr_ffi.ts";
import { type FramePoses, OpenXRTracker } from "./openxr_session.ts";
import { OpenXRError } from "./xr_result.ts";
import { OPENXR_LOADER, OPENXR_LOADER_FILES } from "./loader_paths.ts";

const LOADER = OPENXR_LOADER;
const LOADER_FILES = [...OPENXR_LOADER_FILES];

/** How long to wait between event polls while the session is not running, in ms. */
const IDLE_POLL_MS = 10;

/** Results that mean "there is nothing to track with on this machine". */
const NOT_HERE = new Set([
  "XR_ERROR_RUNTIME_UNAVAILABLE",
  "XR_ERROR_FORM_FACTOR_UNAVAILABLE",
  "XR_ERROR_FORM_FACTOR_UNSUPPORTED",
  "XR_ERROR_GRAPHICS_DEVICE_INVALID",
]);

/** Settings from syncra.json, checked. */
function settings(config: Readonly<Record<string, unknown>>) {
  const { loader = LOADER, referenceSpace = "local", playerId = 0, apiLayers = [] } = config;
  if (typeof loader !== "string" || !loader.startsWith("/")) {
    throw new TypeError(`The openxr driver's "loader" must be an absolute path, got ${loader}`);
  }
  if (referenceSpace !== "local" && referenceSpace !== "stage") {
    throw new TypeError(
      `The openxr driver's "referenceSpace" must be "local" or "stage", got ${referenceSpace}`,
    );
  }
  if (!Number.isInteger(playerId) || (playerId as number) < 0) {
    throw new TypeError(`The openxr driver's "playerId" must be an integer >= 0`);
  }
  if (!Array.isArray(apiLayers) || !apiLayers.every((l) => typeof l === "string")) {
    throw new TypeError(`The openxr driver's "apiLayers" must be a list of layer names`);
  }
  return {
    loader,
    referenceSpace: referenceSpace as "local" | "stage",
    playerId: playerId as number,
    apiLayers: apiLayers as string[],
  };
}

/** What a runtime that is absent or cannot track (no HMD, no headless) is reported as. */
function unavailableReason(error: OpenXRError): string {
  if (error.code === "XR_ERROR_RUNTIME_UNAVAILABLE") {
    return `no OpenXR runtime: ${error.message}; install one (Monado) and make it the active ` +
      `runtime, or point XR_RUNTIME_JSON at one with an "env" approval`;
  }
  if (error.code === "XR_ERROR_GRAPHICS_DEVICE_INVALID") {
    return `the OpenXR runtime needs a graphics binding (it does not offer XR_MND_headless): ` +
      error.message;
  }
  return `no head-mounted display: ${error.message}`;
}

export default defineDriver({
  name: "openxr",
  writes: [Player, Transform],
  spawns: true,
  capabilities: { ffi: [LOADER], read: LOADER_FILES },
  start(ctx) {
    const options = settings(ctx.config);
    const xr = OpenXRLoader.open(options.loader);
    const layers = xr.apiLayers().map((l) => l.name);
    ctx.log(`loader ${options.loader}; API layers: ${layers.join(", ") || "(none)"}`);
    let tracker: OpenXRTracker;
    try {
      tracker = OpenXRTracker.create(xr, {
        referenceSpace: options.referenceSpace,
        apiLayers: options.apiLayers,
      });
    } catch (error) {
      if (error instanceof OpenXRError && NOT_HERE.has(error.code)) {
        xr.close();
        return ctx.unavailable(unavailableReason(error));
      }
      throw error;
    }
    ctx.log(
      `runtime ${tracker.runtime}${tracker.headless ? " (headless)" : ""}; ` +
        `poses relative to ${tracker.referenceSpace.toUpperCase()}`,
    );
    const player = ctx.spawn({
      Player: { id: options.playerId },
      Transform: {},
    });
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      tracker.destroy();
      xr.close();
    };
    // The guest exits on the runtime's shutdown; every handle goes before the process does.
    globalThis.addEventListener("unload", stop);

    let frames = 0;
    let tracked = 0;
    const write = (poses: FramePoses) => {
      const value: Record<string, unknown> = { id: options.playerId };
      let bits = 0;
      if (poses.head) {
        bits |= PlayerTracked.Head;
        value.headPosition = poses.head.position;
        value.headRotation = poses.head.rotation;
      }
      if (poses.left) {
        bits |= PlayerTracked.Left;
        value.leftPosition = poses.left.position;
        value.leftRotation = poses.left.rotation;
      }
      if (poses.right) {
        bits |= PlayerTracked.Right;
        value.rightPosition = poses.right.position;
        value.rightRotation = poses.right.rotation;
      }
      value.tracked = bits;
      // A pose that is not tracked keeps its last value: only the live ones are written.
      if (bits !== tracked || bits !== 0) ctx.set(player, Player, value);
      tracked = bits;
    };
    const loop = () => {
      if (stopped) return;
      try {
        if (tracker.pollEvents() === "exit") {
          ctx.log(`the runtime ended the session after ${frames} frames`);
          stop();
          return ctx.unavailable("the OpenXR runtime ended the session");
        }
        if (!tracker.running) return void setTimeout(loop, IDLE_POLL_MS);
        write(tracker.frame());
        frames++;
        // One turn of the event loop per frame: the feed, shutdown and the writes go through.
        setTimeout(loop, 0);
      } catch (error) {
        stop();
        throw error;
      }
    };
    loop();
  },
});

/**
 * One OpenXR session for tracking: the instance (with XR_MND_headless when
 * the runtime offers it), the head-mounted system, a session without a
 * graphics binding, a LOCAL (or STAGE) reference space, the VIEW space for
 * the head and an action set with a grip pose per hand. Each
 * {@linkcode OpenXRTracker.frame} waits for the runtime's next frame, begins
 * and ends it (with no layers: there is nothing to present without a
 * graphics binding), syncs the actions and locates the three spaces at the
 * frame's predicted display time. {@linkcode OpenXRTracker.destroy} takes it
 * all down in reverse order.
 *
 * @module
 */
import { OpenXRLoader, OutHandle } from "./openxr_ffi.ts";
import {
  ACTION_TYPE_POSE_INPUT,
  BLEND_MODE_OPAQUE,
  FORM_FACTOR_HEAD_MOUNTED_DISPLAY,
  Layouts,
  makeVersion,
  MaxSize,
  ReferenceSpace,
  SessionState,
  SpaceLocation,
  StructureType,
  VIEW_CONFIGURATION_PRIMARY_STEREO,
} from "./openxr_layouts.ts";
import { cString, StructBuffer, u64Array } from "./struct_buffer.ts";

/** The extension that lets a session run without a graphics binding. */
export const HEADLESS_EXTENSION = "XR_MND_headless";

const XR_EVENT_UNAVAILABLE = 4;
const IDENTITY: readonly number[] = [0, 0, 0, 1];
const ORIGIN: readonly number[] = [0, 0, 0];
const HANDS = ["left", "right"] as const;

/** A located pose; null where the runtime could not locate it this frame. */
export interface TrackedPose {
  position: [number, number, number];
  rotation: [number, number, number, number];
}

/** The poses of one frame, relative to the reference space. */
export interface FramePoses {
  /** The frame's predicted display time (XrTime, nanoseconds). */
  time: bigint;
  head: TrackedPose | null;
  left: TrackedPose | null;
  right: TrackedPose | null;
}

/** Options of {@linkcode OpenXRTracker.create}. */
export interface TrackerOptions {
  /** @default "syncra" */
  applicationName?: string;
  /** The tracking origin. @default "local" */
  referenceSpace?: "local" | "stage";
  /** API layers to enable (they must be installed). @default [] */
  apiLayers?: readonly string[];
}

/** An OpenXR session that tracks the head and both hands. */
export class OpenXRTracker {
  readonly #xr: OpenXRLoader;
  /** The runtime's name and version, from xrGetInstanceProperties. */
  readonly runtime: string;
  /** Whether the session is headless (XR_MND_headless). */
  readonly headless: boolean;
  /** The reference space poses are relative to. */
  readonly referenceSpace: "local" | "stage";
  #instance = 0n;
  #session = 0n;
  #spaces: { base: bigint; view: bigint; left: bigint; right: bigint } = {
    base: 0n,
    view: 0n,
    left: 0n,
    right: 0n,
  };
  #actionSet = 0n;
  #action = 0n;
  #state: number = SessionState.UNKNOWN;
  #running = false;
  // Reused every frame: a frame allocates nothing but the poses it returns.
  #event = new StructBuffer(Layouts.XrEventDataBuffer);
  #waitInfo = new StructBuffer(Layouts.XrFrameWaitInfo, StructureType.FRAME_WAIT_INFO);
  #frameState = new StructBuffer(Layouts.XrFrameState, StructureType.FRAME_STATE);
  #beginInfo = new StructBuffer(Layouts.XrFrameBeginInfo, StructureType.FRAME_BEGIN_INFO);
  #endInfo = new StructBuffer(Layouts.XrFrameEndInfo, StructureType.FRAME_END_INFO);
  #location = new StructBuffer(Layouts.XrSpaceLocation, StructureType.SPACE_LOCATION);
  #activeSet = new StructBuffer(Layouts.XrActiveActionSet);
  #syncInfo = new StructBuffer(Layouts.XrActionsSyncInfo, StructureType.ACTIONS_SYNC_INFO);

  private constructor(
    xr: OpenXRLoader,
    instance: bigint,
    runtime: string,
    headless: boolean,
    referenceSpace: "local" | "stage",
  ) {
    this.#xr = xr;
    this.#instance = instance;
    this.runtime = runtime;
    this.headless = headless;
    this.referenceSpace = referenceSpace;
  }

  /**
   * Creates the instance, system, session, spaces and actions. Throws an
   * OpenXRError naming the call that failed (with no runtime:
   * `xrCreateInstance returned XR_ERROR_RUNTIME_UNAVAILABLE`), having
   * destroyed whatever it had created.
   */
  static create(xr: OpenXRLoader, options: TrackerOptions = {}): OpenXRTracker {
    const offered = xr.instanceExtensions().map((e) => e.name);
    const headless = offered.includes(HEADLESS_EXTENSION);
    const instance = createInstance(xr, options, headless ? [HEADLESS_EXTENSION] : []);
    let tracker: OpenXRTracker | null = null;
    try {
      const properties = new StructBuffer(
        Layouts.XrInstanceProperties,
        StructureType.INSTANCE_PROPERTIES,
      );
      xr.check(
        "xrGetInstanceProperties",
        xr.symbols.xrGetInstanceProperties(instance, properties.bytes),
      );
      const version = properties.readU64("runtimeVersion");
      const runtime = `${properties.readString("runtimeName", MaxSize.RUNTIME_NAME)} ${
        version >> 48n
      }.${(version >> 32n) & 0xffffn}.${version & 0xffffffffn}`;
      tracker = new OpenXRTracker(
        xr,
        instance,
        runtime,
        headless,
        options.referenceSpace ?? "local",
      );
      tracker.#open();
      return tracker;
    } catch (error) {
      if (tracker) tracker.destroy();
      else xr.symbols.xrDestroyInstance(instance);
      throw error;
    }
  }

  /** The session's last state (XrSessionState). */
  get state(): number {
    return this.#state;
  }

  /** Whether the session is running (between xrBeginSession and xrEndSession). */
  get running(): boolean {
    return this.#running;
  }

  #open(): void {
    const xr = this.#xr;
    const s = xr.symbols;
    const getInfo = new StructBuffer(Layouts.XrSystemGetInfo, StructureType.SYSTEM_GET_INFO);
    getInfo.i32("formFactor", FORM_FACTOR_HEAD_MOUNTED_DISPLAY);
    const system = new OutHandle();
    xr.check("xrGetSystem", s.xrGetSystem(this.#instance, getInfo.bytes, system.bytes));

    // No graphics binding in `next`: headless with XR_MND_headless, refused by a runtime without it.
    const sessionInfo = new StructBuffer(
      Layouts.XrSessionCreateInfo,
      StructureType.SESSION_CREATE_INFO,
    );
    sessionInfo.u64("systemId", system.value);
    const session = new OutHandle();
    xr.check(
      "xrCreateSession",
      s.xrCreateSession(this.#instance, sessionInfo.bytes, session.bytes),
    );
    this.#session = session.value;

    this.#spaces.base = this.#referenceSpace(
      this.referenceSpace === "stage" ? ReferenceSpace.STAGE : ReferenceSpace.LOCAL,
    );
    this.#spaces.view = this.#referenceSpace(ReferenceSpace.VIEW);

    const setInfo = new StructBuffer(
      Layouts.XrActionSetCreateInfo,
      StructureType.ACTION_SET_CREATE_INFO,
    );
    setInfo.string("actionSetName", "syncra_tracking", MaxSize.ACTION_SET_NAME);
    setInfo.string("localizedActionSetName", "Syncra tracking", MaxSize.LOCALIZED_ACTION_SET_NAME);
    const actionSet = new OutHandle();
    xr.check(
      "xrCreateActionSet",
      s.xrCreateActionSet(this.#instance, setInfo.bytes, actionSet.bytes),
    );
    this.#actionSet = actionSet.value;

    const hands = HANDS.map((hand) => this.#path(`/user/hand/${hand}`));
    const subactions = u64Array(hands);
    const actionInfo = new StructBuffer(
      Layouts.XrActionCreateInfo,
      StructureType.ACTION_CREATE_INFO,
    );
    actionInfo.string("actionName", "grip_pose", MaxSize.ACTION_NAME);
    actionInfo.i32("actionType", ACTION_TYPE_POSE_INPUT);
    actionInfo.u32("countSubactionPaths", hands.length);
    actionInfo.pointer("subactionPaths", xr.addressOf(subactions));
    actionInfo.string("localizedActionName", "Grip pose", MaxSize.LOCALIZED_ACTION_NAME);
    const action = new OutHandle();
    xr.check("xrCreateAction", s.xrCreateAction(this.#actionSet, actionInfo.bytes, action.bytes));
    this.#action = action.value;

    // The Khronos simple controller: every runtime binds it (to whatever controllers it has).
    const bindings = new StructBuffer(Layouts.XrActionSuggestedBinding, undefined, HANDS.length);
    HANDS.forEach((hand, i) => {
      bindings.u64("action", this.#action, i);
      bindings.u64("binding", this.#path(`/user/hand/${hand}/input/grip/pose`), i);
    });
    const suggested = new StructBuffer(
      Layouts.XrInteractionProfileSuggestedBinding,
      StructureType.INTERACTION_PROFILE_SUGGESTED_BINDING,
    );
    suggested.u64("interactionProfile", this.#path("/interaction_profiles/khr/simple_controller"));
    suggested.u32("countSuggestedBindings", HANDS.length);
    suggested.pointer("suggestedBindings", xr.addressOf(bindings.bytes));
    xr.check(
      "xrSuggestInteractionProfileBindings",
      s.xrSuggestInteractionProfileBindings(this.#instance, suggested.bytes),
    );

    const sets = u64Array([this.#actionSet]);
    const attach = new StructBuffer(
      Layouts.XrSessionActionSetsAttachInfo,
      StructureType.SESSION_ACTION_SETS_ATTACH_INFO,
    );
    attach.u32("countActionSets", 1);
    attach.pointer("actionSets", xr.addressOf(sets));
    xr.check("xrAttachSessionActionSets", s.xrAttachSessionActionSets(this.#session, attach.bytes));

    HANDS.forEach((hand, i) => {
      const info = new StructBuffer(
        Layouts.XrActionSpaceCreateInfo,
        StructureType.ACTION_SPACE_CREATE_INFO,
      );
      info.u64("action", this.#action);
      info.u64("subactionPath", hands[i]!);
      info.pose("poseInActionSpace", IDENTITY, ORIGIN);
      const space = new OutHandle();
      xr.check(
        "xrCreateActionSpace",
        s.xrCreateActionSpace(this.#session, info.bytes, space.bytes),
      );
      this.#spaces[hand] = space.value;
    });

    this.#activeSet.u64("actionSet", this.#actionSet);
    this.#syncInfo.u32("countActiveActionSets", 1);
    this.#syncInfo.pointer("activeActionSets", xr.addressOf(this.#activeSet.bytes));
    this.#endInfo.i32("environmentBlendMode", BLEND_MODE_OPAQUE);
  }

  #referenceSpace(type: number): bigint {
    const info = new StructBuffer(
      Layouts.XrReferenceSpaceCreateInfo,
      StructureType.REFERENCE_SPACE_CREATE_INFO,
    );
    info.i32("referenceSpaceType", type);
    info.pose("poseInReferenceSpace", IDENTITY, ORIGIN);
    const space = new OutHandle();
    this.#xr.check(
      "xrCreateReferenceSpace",
      this.#xr.symbols.xrCreateReferenceSpace(this.#session, info.bytes, space.bytes),
    );
    return space.value;
  }

  #path(text: string): bigint {
    const path = new OutHandle();
    this.#xr.check(
      "xrStringToPath",
      this.#xr.symbols.xrStringToPath(this.#instance, cString(text), path.bytes),
    );
    return path.value;
  }

  /**
   * Drains the runtime's events: begins the session when it is READY, ends
   * it when STOPPING. Returns "exit" once the runtime wants the session gone
   * (EXITING, LOSS_PENDING, or the instance about to be lost).
   */
  pollEvents(): "exit" | null {
    const xr = this.#xr;
    while (true) {
      this.#event.bytes.fill(0, 0, 32);
      this.#event.i32("type", StructureType.EVENT_DATA_BUFFER);
      const result = xr.check(
        "xrPollEvent",
        xr.symbols.xrPollEvent(this.#instance, this.#event.bytes),
      );
      if (result === XR_EVENT_UNAVAILABLE) return null;
      const type = this.#event.readI32("type");
      if (type === 17) return "exit"; // XR_TYPE_EVENT_DATA_INSTANCE_LOSS_PENDING
      if (type !== StructureType.EVENT_DATA_SESSION_STATE_CHANGED) continue;
      const view = this.#event.view;
      this.#state = view.getInt32(Layouts.XrEventDataSessionStateChanged.fields.state, true);
      if (this.#state === SessionState.READY && !this.#running) {
        const begin = new StructBuffer(
          Layouts.XrSessionBeginInfo,
          StructureType.SESSION_BEGIN_INFO,
        );
        begin.i32("primaryViewConfigurationType", VIEW_CONFIGURATION_PRIMARY_STEREO);
        xr.check("xrBeginSession", xr.symbols.xrBeginSession(this.#session, begin.bytes));
        this.#running = true;
      } else if (this.#state === SessionState.STOPPING && this.#running) {
        xr.check("xrEndSession", xr.symbols.xrEndSession(this.#session));
        this.#running = false;
      } else if (
        this.#state === SessionState.EXITING || this.#state === SessionState.LOSS_PENDING
      ) {
        return "exit";
      }
    }
  }

  /**
   * One frame of a running session: blocks in xrWaitFrame until the
   * runtime's next frame, then returns the head's and hands' poses at its
   * predicted display time.
   */
  frame(): FramePoses {
    const xr = this.#xr;
    const s = xr.symbols;
    xr.check(
      "xrWaitFrame",
      s.xrWaitFrame(this.#session, this.#waitInfo.bytes, this.#frameState.bytes),
    );
    const time = this.#frameState.readI64("predictedDisplayTime");
    xr.check("xrBeginFrame", s.xrBeginFrame(this.#session, this.#beginInfo.bytes));
    // XR_SESSION_NOT_FOCUSED is a success: the hands are then simply not located.
    xr.check("xrSyncActions", s.xrSyncActions(this.#session, this.#syncInfo.bytes));
    const poses: FramePoses = {
      time,
      head: this.#locate(this.#spaces.view, time),
      left: this.#locate(this.#spaces.left, time),
      right: this.#locate(this.#spaces.right, time),
    };
    this.#endInfo.u64("displayTime", time);
    xr.check("xrEndFrame", s.xrEndFrame(this.#session, this.#endInfo.bytes));
    return poses;
  }

  #locate(space: bigint, time: bigint): TrackedPose | null {
    const location = this.#location;
    location.u64("locationFlags", 0n);
    this.#xr.check(
      "xrLocateSpace",
      this.#xr.symbols.xrLocateSpace(space, this.#spaces.base, time, location.bytes),
    );
    const flags = Number(location.readU64("locationFlags"));
    const valid = SpaceLocation.ORIENTATION_VALID | SpaceLocation.POSITION_VALID;
    if ((flags & valid) !== valid) return null;
    const [x = 0, y = 0, z = 0] = location.readFloats("pose.position", 3);
    const [qx = 0, qy = 0, qz = 0, qw = 1] = location.readFloats("pose.orientation", 4);
    return { position: [x, y, z], rotation: [qx, qy, qz, qw] };
  }

  /** Ends a running session and destroys every handle, children first; safe to call twice. */
  destroy(): void {
    const s = this.#xr.symbols;
    if (this.#running) s.xrEndSession(this.#session);
    this.#running = false;
    for (const hand of ["left", "right", "view", "base"] as const) {
      if (this.#spaces[hand] !== 0n) s.xrDestroySpace(this.#spaces[hand]);
      this.#spaces[hand] = 0n;
    }
    if (this.#action !== 0n) s.xrDestroyAction(this.#action);
    if (this.#actionSet !== 0n) s.xrDestroyActionSet(this.#actionSet);
    if (this.#session !== 0n) s.xrDestroySession(this.#session);
    if (this.#instance !== 0n) s.xrDestroyInstance(this.#instance);
    this.#action =
      this.#actionSet =
      this.#session =
      this.#instance =
        0n;
  }
}

function createInstance(
  xr: OpenXRLoader,
  options: TrackerOptions,
  extensions: readonly string[],
): bigint {
  const info = new StructBuffer(Layouts.XrInstanceCreateInfo, StructureType.INSTANCE_CREATE_INFO);
  const app = Layouts.XrInstanceCreateInfo.fields.applicationInfo;
  const name = new TextEncoder().encode(options.applicationName ?? "syncra");
  if (name.length >= MaxSize.APPLICATION_NAME) {
    throw new RangeError(`Cannot use application name "${options.applicationName}": too long`);
  }
  info.bytes.set(name, app + Layouts.XrApplicationInfo.fields.applicationName);
  info.bytes.set(
    new TextEncoder().encode("syncra"),
    app + Layouts.XrApplicationInfo.fields.engineName,
  );
  info.u64("applicationInfo.apiVersion", makeVersion(1, 0, 0));
  const layerNames = (options.apiLayers ?? []).map(cString);
  const extensionNames = extensions.map(cString);
  // The arrays of `const char*`: the strings' addresses, the arrays' addresses in the structure.
  const layers = u64Array(layerNames.map((n) => xr.addressOf(n)));
  const exts = u64Array(extensionNames.map((n) => xr.addressOf(n)));
  info.u32("enabledApiLayerCount", layerNames.length);
  info.pointer("enabledApiLayerNames", layerNames.length ? xr.addressOf(layers) : 0n);
  info.u32("enabledExtensionCount", extensionNames.length);
  info.pointer("enabledExtensionNames", extensionNames.length ? xr.addressOf(exts) : 0n);
  const instance = new OutHandle();
  xr.check("xrCreateInstance", xr.symbols.xrCreateInstance(info.bytes, instance.bytes));
  return instance.value;
}

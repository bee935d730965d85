/**
 * The OpenXR 1.0 structures the driver passes through FFI, laid out by hand
 * for x86_64 and aarch64 Linux (LP64: pointers, handles, atoms and `size_t`
 * are 8 bytes, aligned to 8; enums and `XrBool32` are 4). Offsets are those
 * of `<openxr/openxr.h>` (Khronos, 1.0.20 as Debian ships it); the test
 * `tests/openxr_test.ts` compiles a C file that prints every `offsetof` and
 * `sizeof` named here and compares them, so a wrong number fails there, not
 * in a headset.
 *
 * Every structure that starts with `type` and `next` is "chained": the
 * driver writes `type` (from {@linkcode StructureType}) and a null `next`.
 *
 * @module
 */

/** A structure's size and its fields' byte offsets (nested fields as `outer.inner`). */
export interface StructLayout {
  readonly size: number;
  readonly fields: Readonly<Record<string, number>>;
}

/** `XrStructureType` values of the structures below (openxr.h). */
export const StructureType = {
  API_LAYER_PROPERTIES: 1,
  EXTENSION_PROPERTIES: 2,
  INSTANCE_CREATE_INFO: 3,
  SYSTEM_GET_INFO: 4,
  SESSION_CREATE_INFO: 8,
  SESSION_BEGIN_INFO: 10,
  FRAME_END_INFO: 12,
  EVENT_DATA_BUFFER: 16,
  EVENT_DATA_SESSION_STATE_CHANGED: 18,
  ACTION_SET_CREATE_INFO: 28,
  ACTION_CREATE_INFO: 29,
  INSTANCE_PROPERTIES: 32,
  FRAME_WAIT_INFO: 33,
  REFERENCE_SPACE_CREATE_INFO: 37,
  ACTION_SPACE_CREATE_INFO: 38,
  SPACE_LOCATION: 42,
  FRAME_STATE: 44,
  FRAME_BEGIN_INFO: 46,
  INTERACTION_PROFILE_SUGGESTED_BINDING: 51,
  SESSION_ACTION_SETS_ATTACH_INFO: 60,
  ACTIONS_SYNC_INFO: 61,
} as const;

/** Fixed string sizes (XR_MAX_*_SIZE), NUL included. */
export const MaxSize = {
  API_LAYER_NAME: 256,
  API_LAYER_DESCRIPTION: 256,
  EXTENSION_NAME: 128,
  APPLICATION_NAME: 128,
  ENGINE_NAME: 128,
  RUNTIME_NAME: 128,
  ACTION_SET_NAME: 64,
  LOCALIZED_ACTION_SET_NAME: 128,
  ACTION_NAME: 64,
  LOCALIZED_ACTION_NAME: 128,
} as const;

/** The layouts, by the C structure's name. */
export const Layouts = {
  XrApiLayerProperties: {
    size: 544,
    fields: {
      type: 0,
      next: 8,
      layerName: 16,
      specVersion: 272,
      layerVersion: 280,
      description: 284,
    },
  },
  XrExtensionProperties: {
    size: 152,
    fields: { type: 0, next: 8, extensionName: 16, extensionVersion: 144 },
  },
  XrApplicationInfo: {
    size: 272,
    fields: {
      applicationName: 0,
      applicationVersion: 128,
      engineName: 132,
      engineVersion: 260,
      apiVersion: 264,
    },
  },
  XrInstanceCreateInfo: {
    size: 328,
    fields: {
      type: 0,
      next: 8,
      createFlags: 16,
      applicationInfo: 24,
      "applicationInfo.apiVersion": 288,
      enabledApiLayerCount: 296,
      enabledApiLayerNames: 304,
      enabledExtensionCount: 312,
      enabledExtensionNames: 320,
    },
  },
  XrInstanceProperties: {
    size: 152,
    fields: { type: 0, next: 8, runtimeVersion: 16, runtimeName: 24 },
  },
  XrSystemGetInfo: { size: 24, fields: { type: 0, next: 8, formFactor: 16 } },
  XrSessionCreateInfo: {
    size: 32,
    fields: { type: 0, next: 8, createFlags: 16, systemId: 24 },
  },
  XrPosef: { size: 28, fields: { orientation: 0, position: 16 } },
  XrReferenceSpaceCreateInfo: {
    size: 48,
    fields: { type: 0, next: 8, referenceSpaceType: 16, poseInReferenceSpace: 20 },
  },
  XrActionSetCreateInfo: {
    size: 216,
    fields: { type: 0, next: 8, actionSetName: 16, localizedActionSetName: 80, priority: 208 },
  },
  XrActionCreateInfo: {
    size: 224,
    fields: {
      type: 0,
      next: 8,
      actionName: 16,
      actionType: 80,
      countSubactionPaths: 84,
      subactionPaths: 88,
      localizedActionName: 96,
    },
  },
  XrActionSuggestedBinding: { size: 16, fields: { action: 0, binding: 8 } },
  XrInteractionProfileSuggestedBinding: {
    size: 40,
    fields: {
      type: 0,
      next: 8,
      interactionProfile: 16,
      countSuggestedBindings: 24,
      suggestedBindings: 32,
    },
  },
  XrSessionActionSetsAttachInfo: {
    size: 32,
    fields: { type: 0, next: 8, countActionSets: 16, actionSets: 24 },
  },
  XrActionSpaceCreateInfo: {
    size: 64,
    fields: { type: 0, next: 8, action: 16, subactionPath: 24, poseInActionSpace: 32 },
  },
  XrSessionBeginInfo: { size: 24, fields: { type: 0, next: 8, primaryViewConfigurationType: 16 } },
  XrFrameWaitInfo: { size: 16, fields: { type: 0, next: 8 } },
  XrFrameState: {
    size: 40,
    fields: {
      type: 0,
      next: 8,
      predictedDisplayTime: 16,
      predictedDisplayPeriod: 24,
      shouldRender: 32,
    },
  },
  XrFrameBeginInfo: { size: 16, fields: { type: 0, next: 8 } },
  XrFrameEndInfo: {
    size: 40,
    fields: {
      type: 0,
      next: 8,
      displayTime: 16,
      environmentBlendMode: 24,
      layerCount: 28,
      layers: 32,
    },
  },
  XrActiveActionSet: { size: 16, fields: { actionSet: 0, subactionPath: 8 } },
  XrActionsSyncInfo: {
    size: 32,
    fields: { type: 0, next: 8, countActiveActionSets: 16, activeActionSets: 24 },
  },
  XrSpaceLocation: {
    size: 56,
    fields: {
      type: 0,
      next: 8,
      locationFlags: 16,
      pose: 24,
      "pose.orientation": 24,
      "pose.position": 40,
    },
  },
  XrEventDataBuffer: { size: 4016, fields: { type: 0, next: 8, varying: 16 } },
  XrEventDataSessionStateChanged: {
    size: 40,
    fields: { type: 0, next: 8, session: 16, state: 24, time: 32 },
  },
} as const satisfies Record<string, StructLayout>;

/** `XrFormFactor`. */
export const FORM_FACTOR_HEAD_MOUNTED_DISPLAY = 1;
/** `XrViewConfigurationType`. */
export const VIEW_CONFIGURATION_PRIMARY_STEREO = 2;
/** `XrEnvironmentBlendMode`. */
export const BLEND_MODE_OPAQUE = 1;
/** `XrActionType`. */
export const ACTION_TYPE_POSE_INPUT = 4;

/** `XrReferenceSpaceType`. */
export const ReferenceSpace = { VIEW: 1, LOCAL: 2, STAGE: 3 } as const;

/** `XrSessionState`. */
export const SessionState = {
  UNKNOWN: 0,
  IDLE: 1,
  READY: 2,
  SYNCHRONIZED: 3,
  VISIBLE: 4,
  FOCUSED: 5,
  STOPPING: 6,
  LOSS_PENDING: 7,
  EXITING: 8,
} as const;

/** `XrSpaceLocationFlags` bits. */
export const SpaceLocation = {
  ORIENTATION_VALID: 0x1,
  POSITION_VALID: 0x2,
  ORIENTATION_TRACKED: 0x4,
  POSITION_TRACKED: 0x8,
} as const;

/** `XR_MAKE_VERSION(major, minor, patch)`. */
export function makeVersion(major: number, minor: number, patch: number): bigint {
  return (BigInt(major) << 48n) | (BigInt(minor) << 32n) | BigInt(patch);
}

/**
 * `XrResult` codes by name (the core 1.0 codes of openxr.h), and the error
 * an OpenXR call that failed is reported as: the function and the result by
 * name, as `xrCreateInstance returned XR_ERROR_RUNTIME_UNAVAILABLE (-51)`.
 *
 * @module
 */

const NAMES: ReadonlyMap<number, string> = new Map([
  [0, "XR_SUCCESS"],
  [1, "XR_TIMEOUT_EXPIRED"],
  [3, "XR_SESSION_LOSS_PENDING"],
  [4, "XR_EVENT_UNAVAILABLE"],
  [7, "XR_SPACE_BOUNDS_UNAVAILABLE"],
  [8, "XR_SESSION_NOT_FOCUSED"],
  [9, "XR_FRAME_DISCARDED"],
  [-1, "XR_ERROR_VALIDATION_FAILURE"],
  [-2, "XR_ERROR_RUNTIME_FAILURE"],
  [-3, "XR_ERROR_OUT_OF_MEMORY"],
  [-4, "XR_ERROR_API_VERSION_UNSUPPORTED"],
  [-6, "XR_ERROR_INITIALIZATION_FAILED"],
  [-7, "XR_ERROR_FUNCTION_UNSUPPORTED"],
  [-8, "XR_ERROR_FEATURE_UNSUPPORTED"],
  [-10, "XR_ERROR_LIMIT_REACHED"],
  [-11, "XR_ERROR_SIZE_INSUFFICIENT"],
  [-12, "XR_ERROR_HANDLE_INVALID"],
  [-13, "XR_ERROR_INSTANCE_LOST"],
  [-14, "XR_ERROR_SESSION_RUNNING"],
  [-16, "XR_ERROR_SESSION_NOT_RUNNING"],
  [-17, "XR_ERROR_SESSION_LOST"],
  [-18, "XR_ERROR_SYSTEM_INVALID"],
  [-19, "XR_ERROR_PATH_INVALID"],
  [-20, "XR_ERROR_PATH_COUNT_EXCEEDED"],
  [-21, "XR_ERROR_PATH_FORMAT_INVALID"],
  [-22, "XR_ERROR_PATH_UNSUPPORTED"],
  [-23, "XR_ERROR_LAYER_INVALID"],
  [-24, "XR_ERROR_LAYER_LIMIT_EXCEEDED"],
  [-25, "XR_ERROR_SWAPCHAIN_RECT_INVALID"],
  [-26, "XR_ERROR_SWAPCHAIN_FORMAT_UNSUPPORTED"],
  [-27, "XR_ERROR_ACTION_TYPE_MISMATCH"],
  [-28, "XR_ERROR_SESSION_NOT_READY"],
  [-29, "XR_ERROR_SESSION_NOT_STOPPING"],
  [-30, "XR_ERROR_TIME_INVALID"],
  [-31, "XR_ERROR_REFERENCE_SPACE_UNSUPPORTED"],
  [-32, "XR_ERROR_FILE_ACCESS_ERROR"],
  [-33, "XR_ERROR_FILE_CONTENTS_INVALID"],
  [-34, "XR_ERROR_FORM_FACTOR_UNSUPPORTED"],
  [-35, "XR_ERROR_FORM_FACTOR_UNAVAILABLE"],
  [-36, "XR_ERROR_API_LAYER_NOT_PRESENT"],
  [-37, "XR_ERROR_CALL_ORDER_INVALID"],
  [-38, "XR_ERROR_GRAPHICS_DEVICE_INVALID"],
  [-39, "XR_ERROR_POSE_INVALID"],
  [-40, "XR_ERROR_INDEX_OUT_OF_RANGE"],
  [-41, "XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED"],
  [-42, "XR_ERROR_ENVIRONMENT_BLEND_MODE_UNSUPPORTED"],
  [-44, "XR_ERROR_NAME_DUPLICATED"],
  [-45, "XR_ERROR_NAME_INVALID"],
  [-46, "XR_ERROR_ACTIONSET_NOT_ATTACHED"],
  [-47, "XR_ERROR_ACTIONSETS_ALREADY_ATTACHED"],
  [-48, "XR_ERROR_LOCALIZED_NAME_DUPLICATED"],
  [-49, "XR_ERROR_LOCALIZED_NAME_INVALID"],
  [-50, "XR_ERROR_GRAPHICS_REQUIREMENTS_CALL_MISSING"],
  [-51, "XR_ERROR_RUNTIME_UNAVAILABLE"],
]);

/** The name of an `XrResult`, or `XR_RESULT_<code>` for one this table does not know. */
export function xrResultName(code: number): string {
  return NAMES.get(code) ?? `XR_RESULT_${code}`;
}

/** Whether an `XrResult` is a success code (XR_SUCCEEDED: zero or positive). */
export function xrSucceeded(code: number): boolean {
  return code >= 0;
}

/** An OpenXR function returned a failure code. */
export class OpenXRError extends Error {
  override readonly name = "OpenXRError";
  /** The function that failed, e.g. `xrCreateInstance`. */
  readonly call: string;
  /** Its `XrResult`, e.g. -51. */
  readonly result: number;
  /** The result's name, e.g. `XR_ERROR_RUNTIME_UNAVAILABLE`: the stable code callers test. */
  readonly code: string;

  constructor(call: string, result: number) {
    super(`${call} returned ${xrResultName(result)} (${result})`);
    this.call = call;
    this.result = result;
    this.code = xrResultName(result);
  }
}

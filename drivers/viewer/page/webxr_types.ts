// The few WebXR Device API types the page uses (TypeScript's DOM library has none).

export interface XRRigidTransform {
  readonly position: DOMPointReadOnly;
  readonly orientation: DOMPointReadOnly;
}
export interface XRPose {
  readonly transform: XRRigidTransform;
}
export type XRSpace = EventTarget;
export type XRReferenceSpace = XRSpace;
export interface XRInputSource {
  readonly handedness: "none" | "left" | "right";
  readonly gripSpace?: XRSpace;
  readonly gamepad?: Gamepad;
}
export interface XRFrame {
  getViewerPose(space: XRReferenceSpace): XRPose | undefined;
  getPose(space: XRSpace, base: XRReferenceSpace): XRPose | undefined;
}
export interface XRSession extends EventTarget {
  readonly inputSources: Iterable<XRInputSource>;
  end(): Promise<void>;
}
export interface XRSystem {
  isSessionSupported(mode: "immersive-vr"): Promise<boolean>;
  requestSession(
    mode: "immersive-vr",
    init?: { optionalFeatures?: string[] },
  ): Promise<XRSession>;
}
/** `navigator.xr`, where the browser has WebXR. */
export const xrSystem = (): XRSystem | undefined => (navigator as Navigator & { xr?: XRSystem }).xr;

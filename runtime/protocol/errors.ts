/**
 * Error classes for conditions callers handle. Each has a stable `code`.
 *
 * @module
 */

/** A child broke the frame protocol: malformed, oversized or unexpected bytes. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
  readonly code = "SYNCRA_PROTOCOL";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A script's manifest is invalid or asks for something it may not have. */
export class ManifestError extends Error {
  override name = "ManifestError";
  readonly code = "SYNCRA_MANIFEST";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A script did something outside its grants. */
export class GrantViolationError extends Error {
  override name = "GrantViolationError";
  readonly code = "SYNCRA_GRANT_VIOLATION";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

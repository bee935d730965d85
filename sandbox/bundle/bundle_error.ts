/**
 * The error of a script that cannot be bundled.
 *
 * @module
 */

/** A script could not be bundled: a syntax error or a refused import. */
export class BundleError extends Error {
  override name = "BundleError";
  readonly code = "SYNCRA_BUNDLE";
  /** The file and line the error points at, like `scripts/door.ts:3:7`. */
  readonly location: string | null;
  constructor(message: string, location: string | null, options?: ErrorOptions) {
    super(message, options);
    this.location = location;
  }
}

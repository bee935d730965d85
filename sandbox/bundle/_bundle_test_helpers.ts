/**
 * Shared by the bundler's tests: awaiting a build that must be refused.
 *
 * @module
 */
import assert from "node:assert/strict";
import { BundleError } from "./bundle_error.ts";

/** The BundleError a build was refused with; fails if it succeeded or threw anything else. */
export async function refusal(promise: Promise<unknown>): Promise<BundleError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BundleError, `expected a BundleError, got ${error}`);
    return error;
  }
  assert.fail("expected the bundle to be refused");
}

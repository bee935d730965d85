/**
 * A world's hold on the bundler. esbuild's npm API is one service per process,
 * so several worlds in one process (tests, tools, the bench) share it: each
 * opens a lease, the settings of the latest open apply from the next build,
 * and the service stops only when the last lease closes. No world can stop
 * another's bundler by finishing first.
 *
 * @module
 */
import { stopBundler } from "./bundle.ts";
import {
  type BundlerServiceOptions,
  type BundlerStatus,
  bundlerStatus,
  configureBundler,
} from "./bundler_service.ts";

let open = 0;
let stopping: Promise<void> = Promise.resolve();

/** A world's use of the shared bundler; close it (or `await using`) when the world ends. */
export interface BundlerLease extends AsyncDisposable {
  /** How the esbuild service runs now. */
  status(): Promise<BundlerStatus>;
  /** Releases the lease; the last one stops the service. Idempotent. */
  close(): Promise<void>;
}

/** Opens a lease on the bundler with these settings. */
export async function openBundler(options: BundlerServiceOptions): Promise<BundlerLease> {
  // A service being stopped by the previous last lease must be gone before a new one starts.
  await stopping;
  configureBundler(options);
  open++;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    if (--open === 0) {
      stopping = stopBundler();
      await stopping;
    }
  };
  return { status: bundlerStatus, close, [Symbol.asyncDispose]: close };
}

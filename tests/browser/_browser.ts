/**
 * A real browser for the viewer's tests: Debian's chromium driven by
 * playwright-core, headless. Where chromium is missing a test skips, saying
 * why — except in CI (SYNCRA_CI=1), where it fails.
 *
 * @module
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { IN_CI, type LiveWorld, startLiveWorld, type TestFolder } from "../_world.ts";
import { chooseViewerPort, type WorldOptions } from "../../runtime/app/mod.ts";

const CHROMIUM = "/usr/bin/chromium";

/** Why no browser can run here, or null when one can. */
export function browserMissing(): string | null {
  try {
    Deno.statSync(CHROMIUM);
    return null;
  } catch {
    const why = `${CHROMIUM} is missing (Debian package "chromium")`;
    if (IN_CI) throw new Error(`CI needs a browser: ${why}`);
    return why;
  }
}

/** A headless chromium; `webgpu` turns on the SwiftShader WebGPU adapter. */
export async function launchBrowser(webgpu = false): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", ...(webgpu ? ["--enable-unsafe-webgpu"] : [])],
  });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}

/** Console errors and page errors of `page`, as they happen. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

/** A free loopback port (closed again: the viewer takes it). */
export function freePort(): number {
  return chooseViewerPort(0);
}

/** A world over `folder` with the viewer on a free port, once the viewer serves. */
export async function startViewerWorld(
  folder: TestFolder,
  options: Partial<WorldOptions> = {},
): Promise<{ live: LiveWorld; port: number }> {
  const port = freePort();
  const live = startLiveWorld(folder, { viewer: true, port, watch: false, hz: 30, ...options });
  await live.started;
  await live.waitFor((e) => e.type === "log" && e.script === "viewer" && /serving/.test(e.text));
  return { live, port };
}

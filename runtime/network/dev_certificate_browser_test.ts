/**
 * Headless Chromium and the development certificate: it loads a page from
 * the world's TLS server when told to trust the server's key
 * (`--ignore-certificate-errors-spki-list`, the SPKI fingerprint; Chromium
 * honours it only for the certificate's own key, not its CA's) and refuses
 * the page without it; and it loads the page when `dev-ca.pem` itself is
 * trusted the way a person on Linux trusts it, in the NSS store under
 * `$HOME/.pki/nssdb` (with `certutil`, Debian "libnss3-tools": skipped
 * where that is missing, as it is on a machine with only Deno).
 *
 * Where /usr/bin/chromium is missing the tests are skipped, except in CI
 * (SYNCRA_CI=1), where that fails.
 *
 * @module
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { ensureDevCertificate, spkiFingerprint } from "./mod.ts";
import { serveTls } from "./_test_server.ts";

const CHROMIUM = "/usr/bin/chromium";

function chromiumMissing(): boolean {
  try {
    Deno.statSync(CHROMIUM);
    return false;
  } catch {
    if (Deno.env.get("SYNCRA_CI") === "1") throw new Error(`CI needs a browser: ${CHROMIUM}`);
    return true;
  }
}

/** The page title Chromium (started with `flags`) shows for `url`, or its navigation error. */
async function visit(url: string, flags: string[], home?: string): Promise<string> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", ...flags],
    ...(home === undefined ? {} : { env: { ...Deno.env.toObject(), HOME: home } }),
  });
  try {
    const page = await browser.newPage();
    return await page.goto(url).then(() => page.title(), (error: Error) => error.message);
  } finally {
    await browser.close();
  }
}

Deno.test({
  name: "headless Chromium loads the world's https page only when told to trust its key",
  ignore: chromiumMissing(),
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "syncra-tls-browser-" });
    try {
      const tls = await ensureDevCertificate(root, []);
      await using server = serveTls(tls);
      const trustKey = `--ignore-certificate-errors-spki-list=${await spkiFingerprint(
        tls.certPem,
      )}`;
      assert.equal(await visit(server.url, [trustKey]), "hello");
      assert.match(await visit(server.url, []), /net::ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

function certutilMissing(): boolean {
  try {
    new Deno.Command("certutil", { args: ["-H"], stdout: "null", stderr: "null" }).outputSync();
    return false;
  } catch {
    if (Deno.env.get("SYNCRA_CI") === "1") {
      throw new Error(`CI needs certutil (Debian package "libnss3-tools")`);
    }
    return true;
  }
}

async function certutil(...args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command("certutil", {
    args,
    stdin: "null",
    stdout: "null",
  })
    .output();
  if (code !== 0) {
    throw new Error(`certutil ${args[0]} failed: ${new TextDecoder().decode(stderr)}`);
  }
}

Deno.test({
  name: "headless Chromium loads the world's https page once dev-ca.pem is in its NSS store",
  ignore: chromiumMissing() || certutilMissing(),
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "syncra-tls-browser-" });
    try {
      const tls = await ensureDevCertificate(root, []);
      await using server = serveTls(tls);
      const home = `${root}/home`;
      const store = `sql:${home}/.pki/nssdb`;
      await Deno.mkdir(`${home}/.pki/nssdb`, { recursive: true });
      assert.match(await visit(server.url, [], home), /net::ERR_CERT_AUTHORITY_INVALID/);
      // An empty password file: with no terminal, certutil would wait for one forever.
      const passwordFile = `${root}/nss-password`;
      await Deno.writeTextFile(passwordFile, "\n");
      await certutil("-N", "-d", store, "-f", passwordFile);
      await certutil(
        "-A",
        "-d",
        store,
        "-t",
        "C,,",
        "-n",
        "Syncra development CA",
        "-i",
        tls.caPath,
      );
      assert.equal(await visit(server.url, [], home), "hello");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

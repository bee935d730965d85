import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureDevCertificate, loadTlsFiles, TlsFileError } from "./mod.ts";
import { pemBlocks, toPem } from "./_pem_blocks.ts";
import { serveTls } from "./_test_server.ts";

/** Two worlds' development certificates: each a valid pair, and each other's mismatch. */
async function twoPairs() {
  const root = await Deno.makeTempDir({ prefix: "syncra-tls-files-" });
  const a = await ensureDevCertificate(join(root, "a"), []);
  const b = await ensureDevCertificate(join(root, "b"), []);
  return { root, a, b, [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }) };
}

function refusal(code: string, path: string, message: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof TlsFileError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.path, path);
    assert.match(error.message, message);
    return true;
  };
}

Deno.test("loadTlsFiles takes a matching certificate and key", async () => {
  await using pairs = await twoPairs();
  const files = await loadTlsFiles(pairs.a.certPath, pairs.a.keyPath);
  assert.equal(files.certPem, pairs.a.certPem);
  assert.equal(files.keyPem, pairs.a.keyPem);
  assert.ok(files.notAfter > new Date());
});

Deno.test("loadTlsFiles refuses a key that is not the certificate's, naming both files", async () => {
  await using pairs = await twoPairs();
  await assert.rejects(
    loadTlsFiles(pairs.a.certPath, pairs.b.keyPath),
    refusal(
      "key_mismatch",
      pairs.b.keyPath,
      new RegExp(
        `${pairs.b.keyPath} with the certificate ${pairs.a.certPath}: the key does not match`,
      ),
    ),
  );
});

Deno.test("loadTlsFiles refuses a missing file, naming it", async () => {
  await using pairs = await twoPairs();
  const missing = join(pairs.root, "nowhere.pem");
  await assert.rejects(
    loadTlsFiles(missing, pairs.a.keyPath),
    refusal("missing", missing, /nowhere\.pem: it is missing/),
  );
  await assert.rejects(
    loadTlsFiles(pairs.a.certPath, missing),
    refusal("missing", missing, /it is missing/),
  );
});

Deno.test("loadTlsFiles refuses files that are not PEM, naming them", async () => {
  await using pairs = await twoPairs();
  const text = join(pairs.root, "notes.txt");
  await Deno.writeTextFile(text, "hello\n");
  await assert.rejects(
    loadTlsFiles(text, pairs.a.keyPath),
    refusal("not_pem", text, /notes\.txt: it holds no PEM "CERTIFICATE" block/),
  );
  await assert.rejects(
    loadTlsFiles(pairs.a.certPath, text),
    refusal("not_pem", text, /notes\.txt: it holds no PEM private key/),
  );
  // A certificate given as the key is refused as such, not as a mismatch.
  await assert.rejects(
    loadTlsFiles(pairs.a.certPath, pairs.a.certPath),
    refusal("not_pem", pairs.a.certPath, /no PEM private key/),
  );
});

Deno.test("loadTlsFiles refuses an expired certificate", async () => {
  await using pairs = await twoPairs();
  const afterExpiry = new Date(pairs.a.notAfter.getTime() + 1000);
  await assert.rejects(
    loadTlsFiles(pairs.a.certPath, pairs.a.keyPath, afterExpiry),
    refusal("expired", pairs.a.certPath, /: it expired on \d{4}-/),
  );
});

Deno.test("loadTlsFiles takes an EC key in SEC 1 form, which Deno's TLS serves", async () => {
  await using pairs = await twoPairs();
  // PKCS #8 of a P-256 key from WebCrypto: 27 bytes of header, then an OCTET STRING holding SEC 1.
  const pkcs8 = pemBlocks(pairs.a.keyPem)[0]!.der;
  assert.equal(pkcs8[27], 0x04);
  const sec1 = pkcs8.subarray(29, 29 + pkcs8[28]!);
  const keyPath = join(pairs.root, "sec1-key.pem");
  await Deno.writeTextFile(keyPath, toPem("EC PRIVATE KEY", sec1));
  const files = await loadTlsFiles(pairs.a.certPath, keyPath);
  await using server = serveTls(files);
  const conn = await Deno.connectTls({
    hostname: "127.0.0.1",
    port: server.port,
    caCerts: [pairs.a.caPem],
  });
  await conn.handshake();
  conn.close();
});

import assert from "node:assert/strict";
import { join } from "node:path";
import { X509Certificate } from "@peculiar/x509";
import { ensureDevCertificate, hostsOf, spkiFingerprint, tlsFolder } from "./mod.ts";
import { serveTls } from "./_test_server.ts";

/** A temporary world folder, removed again. */
async function tempWorld(): Promise<{ root: string } & AsyncDisposable> {
  const root = await Deno.makeTempDir({ prefix: "syncra-tls-" });
  return { root, [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }) };
}

const FILES = ["dev-ca.pem", "dev-ca-key.pem", "server.pem", "server-key.pem"];

async function readFiles(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of FILES) out[name] = await Deno.readTextFile(join(tlsFolder(root), name));
  return out;
}

Deno.test("a world's development certificate is made once under .syncra/tls and reused", async () => {
  await using world = await tempWorld();
  const first = await ensureDevCertificate(world.root, ["127.0.0.1"]);
  assert.equal(first.created, true);
  assert.equal(first.caCreated, true);
  assert.equal(first.caPath, join(world.root, ".syncra", "tls", "dev-ca.pem"));
  const files = await readFiles(world.root);
  assert.equal(files["dev-ca.pem"], first.caPem);
  assert.equal(files["server.pem"], first.certPem);
  assert.equal(files["server-key.pem"], first.keyPem);
  for (const key of ["dev-ca-key.pem", "server-key.pem"]) {
    assert.equal((await Deno.stat(join(tlsFolder(world.root), key))).mode! & 0o777, 0o600, key);
  }

  const ca = new X509Certificate(first.caPem);
  const folderName = world.root.split("/").pop()!;
  assert.match(ca.subject, new RegExp(`CN=Syncra development CA for ${folderName}`));
  const server = new X509Certificate(first.certPem);
  assert.equal(await server.verify({ publicKey: ca.publicKey, signatureOnly: true }), true);
  assert.deepEqual(hostsOf(server), { ips: ["127.0.0.1", "::1"], names: ["localhost"] });

  const second = await ensureDevCertificate(world.root, ["127.0.0.1", "localhost"]);
  assert.equal(second.created, false);
  assert.deepEqual(await readFiles(world.root), files);
  assert.equal(second.certPem, first.certPem);
  assert.equal(second.caPem, first.caPem);
});

Deno.test("a new host reissues the server certificate from the same CA and key", async () => {
  await using world = await tempWorld();
  const first = await ensureDevCertificate(world.root, []);
  const second = await ensureDevCertificate(world.root, ["world.example", "[fd00::1]", "10.0.0.7"]);
  assert.equal(second.created, true);
  assert.equal(second.caCreated, false);
  assert.equal(second.caPem, first.caPem);
  assert.notEqual(second.certPem, first.certPem);
  assert.equal(second.keyPem, first.keyPem);
  assert.equal(await spkiFingerprint(second.certPem), await spkiFingerprint(first.certPem));
  assert.deepEqual(hostsOf(new X509Certificate(second.certPem)), {
    ips: ["127.0.0.1", "::1", "fd00::1", "10.0.0.7"],
    names: ["localhost", "world.example"],
  });
  // The hosts asked for before are not dropped by asking for fewer.
  assert.equal((await ensureDevCertificate(world.root, ["10.0.0.7"])).created, false);
});

Deno.test("a server certificate near its expiry is renewed and the CA kept", async () => {
  await using world = await tempWorld();
  const first = await ensureDevCertificate(world.root, []);
  const later = new Date(first.notAfter.getTime() - 10 * 86_400_000);
  const renewed = await ensureDevCertificate(world.root, [], later);
  assert.equal(renewed.created, true);
  assert.equal(renewed.caPem, first.caPem);
  assert.ok(renewed.notAfter > first.notAfter);
});

Deno.test("a damaged CA file is replaced by a new CA and server certificate", async () => {
  await using world = await tempWorld();
  const first = await ensureDevCertificate(world.root, []);
  await Deno.writeTextFile(first.caPath, "not a certificate");
  const second = await ensureDevCertificate(world.root, []);
  assert.equal(second.caCreated, true);
  assert.notEqual(second.caPem, first.caPem);
  const server = new X509Certificate(second.certPem);
  const ca = new X509Certificate(second.caPem);
  assert.equal(await server.verify({ publicKey: ca.publicKey, signatureOnly: true }), true);
});

Deno.test("a TLS handshake succeeds for a client trusting only dev-ca.pem and fails without it", async () => {
  await using world = await tempWorld();
  const tls = await ensureDevCertificate(world.root, []);
  await using server = serveTls(tls);

  const conn = await Deno.connectTls({
    hostname: "127.0.0.1",
    port: server.port,
    caCerts: [tls.caPem],
  });
  await conn.handshake();
  conn.close();

  const client = Deno.createHttpClient({ caCerts: [tls.caPem] });
  try {
    const response = await fetch(server.url, { client });
    assert.equal(await response.text(), "<title>hello</title>hello");
  } finally {
    client.close();
  }

  await assert.rejects(async () => {
    const untrusting = await Deno.connectTls({ hostname: "127.0.0.1", port: server.port });
    try {
      await untrusting.handshake();
    } finally {
      untrusting.close();
    }
  }, /invalid peer certificate: UnknownIssuer/);
});

/** The first message the server echoes on a WebSocket opened with `options`, or its error. */
function echoOverWebSocket(url: string, options: WebSocketOptions): Promise<string> {
  const socket = new WebSocket(url, options);
  return new Promise<string>((resolve, reject) => {
    socket.onopen = () => socket.send("hi");
    socket.onmessage = (event) => {
      socket.onclose = () => resolve(String(event.data));
      socket.close();
    };
    socket.onerror = (event) => {
      socket.onclose = () => reject(new Error((event as ErrorEvent).message));
    };
  });
}

Deno.test("a WebSocket over the TLS server works from a client trusting the CA", async () => {
  await using world = await tempWorld();
  const tls = await ensureDevCertificate(world.root, []);
  await using server = serveTls(tls);
  const wss = server.url.replace("https:", "wss:");
  // Deno's WebSocket takes an HttpClient (non-standard, `client`), as fetch does.
  const client = Deno.createHttpClient({ caCerts: [tls.caPem] });
  try {
    assert.equal(await echoOverWebSocket(wss, { client }), "echo hi");
  } finally {
    client.close();
  }
  await assert.rejects(echoOverWebSocket(wss, {}), /UnknownIssuer/);
});

Deno.test("a plain TCP connection to the TLS port gets no HTTP response", async () => {
  await using world = await tempWorld();
  await using server = serveTls(await ensureDevCertificate(world.root, []));
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  const received: number[] = [];
  const buffer = new Uint8Array(4096);
  const deadline = setTimeout(() => conn.close(), 5_000);
  try {
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      received.push(...buffer.subarray(0, n));
    }
  } catch (error) {
    // A reset, or the deadline closing it: either way no answer came.
    if (
      !(error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BadResource)
    ) {
      throw error;
    }
  } finally {
    clearTimeout(deadline);
    try {
      conn.close();
    } catch { /* closed already */ }
  }
  assert.doesNotMatch(new TextDecoder().decode(new Uint8Array(received)), /HTTP\//);
  // What comes back, if anything, is a TLS alert record (content type 21), then the close.
  if (received.length > 0) assert.equal(received[0], 21);
});

/**
 * A real HTTPS server for the TLS tests: `Deno.serve` on a free loopback
 * port with a certificate and key, answering "hello" and echoing WebSocket
 * messages.
 *
 * @module
 */

/** The server and the URL it answers at. */
export interface TestServer extends AsyncDisposable {
  port: number;
  /** `https://127.0.0.1:PORT/`. */
  url: string;
}

/** Serves over TLS with `cert` and `key` on 127.0.0.1 and a free port. */
export function serveTls(tls: { certPem: string; keyPem: string }): TestServer {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: tls.certPem, key: tls.keyPem, onListen() {} },
    (request) => {
      if (request.headers.get("upgrade") !== "websocket") {
        return new Response("<title>hello</title>hello", {
          headers: { "content-type": "text/html" },
        });
      }
      const { socket, response } = Deno.upgradeWebSocket(request);
      socket.onmessage = (event) => socket.send(`echo ${event.data}`);
      return response;
    },
  );
  const port = server.addr.port;
  return {
    port,
    url: `https://127.0.0.1:${port}/`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

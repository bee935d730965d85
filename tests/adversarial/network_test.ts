import assert from "node:assert/strict";
import { scriptReport } from "../_world.ts";
import {
  assertConfined,
  assertDenied,
  assertKeptTicking,
  attackFolder,
  notCapable,
  runAttacks,
} from "./_attack.ts";

/** A listener that counts the connections it accepts, closed on dispose. */
function countingListener(hostname: string, port = 0) {
  const listener = Deno.listen({ hostname, port });
  let accepted = 0;
  const loop = (async () => {
    for await (const conn of listener) {
      accepted++;
      conn.close();
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    get accepted() {
      return accepted;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await loop;
    },
  };
}

/** The same port on the IPv6 loopback, where the machine has one. */
function ipv6Twin(port: number) {
  try {
    return countingListener("::1", port);
  } catch {
    return null;
  }
}

const NET_ATTACKS = [
  "net_connect_ip",
  "net_hostname",
  "net_decimal_ip",
  "net_ipv6",
  "net_listen",
  "net_granted_escape",
];

Deno.test("scripts reach no address by IP, host name, decimal IP or IPv6, not even the world's own port, and open no server", async () => {
  // The "world's own port", on both loopbacks, and the one address a script is granted.
  await using world = countingListener("127.0.0.1");
  await using world6 = ipv6Twin(world.port);
  await using granted = countingListener("127.0.0.1");
  await using folder = await attackFolder(NET_ATTACKS, {
    replace: { __PORT__: String(world.port), __GRANTED_PORT__: String(granted.port) },
  });
  const ticks = 6;
  const run = await runAttacks(folder, ticks, {
    deadlineMs: 2000,
    config: {
      capabilities: {
        "net_granted_escape.ts": { net: [`127.0.0.1:${granted.port}`], storage: false },
      },
      source: "test",
    },
  });
  const net = (target: string) => notCapable("net", target);
  const loopback = `127.0.0.1:${world.port}`;

  assertDenied(run, "net_connect_ip", {
    connect: net(loopback),
    fetch: net(loopback),
    webSocket: net(loopback),
    connectTls: net(loopback),
    otherHost: net("10.0.0.1:80"),
  });
  assertDenied(run, "net_hostname", {
    connectLocalhost: net(`localhost:${world.port}`),
    fetchLocalhost: net(`localhost:${world.port}`),
    fetchInternet: net("example.com:443"),
    resolveDns: net("1.1.1.1:53"),
  });
  assertDenied(run, "net_decimal_ip", {
    // fetch normalizes the URL first, so the check sees the real address.
    fetchDecimal: net(loopback),
    fetchHex: net(loopback),
    fetchShort: net(loopback),
    connectDecimal: net(`2130706433:${world.port}`),
  });
  assertDenied(run, "net_ipv6", {
    connectV6: net(`[::1]:${world.port}`),
    fetchV6: net(`[::1]:${world.port}`),
    fetchMapped: net(loopback),
  });
  assertDenied(run, "net_listen", {
    // The host removes the listening APIs (a net grant must not allow listening).
    listen: /^TypeError: Deno\.listen is not a function/,
    serve: /^TypeError: Deno\.serve is not a function/,
    listenUnix: /^TypeError: Deno\.listen is not a function/,
    connectUnix: notCapable("read", "/var/run/docker.sock"),
  });
  assertDenied(run, "net_granted_escape", {
    granted: /^OK: /,
    worldPort: net(loopback),
    localhost: net(`localhost:${granted.port}`),
    decimal: net(loopback),
    v6: net(`[::1]:${granted.port}`),
  });
  assert.ok(
    scriptReport(run, "net_granted_escape").command.includes(
      `--allow-net=127.0.0.1:${granted.port}`,
    ),
  );
  assertConfined(run, NET_ATTACKS);
  assertKeptTicking(run, ticks);
  assert.equal(world.accepted, 0, "the world's port accepted no connection");
  assert.equal(world6?.accepted ?? 0, 0, "the world's IPv6 port accepted no connection");
  assert.equal(granted.accepted, 1, "the granted port saw exactly the granted connection");
});

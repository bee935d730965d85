/**
 * The transport floor for bench/nats_bench.ts: a second process that
 * answers every body on `engine.bench.echo.out` with `bytes` bytes on
 * `engine.bench.echo.back`, through the same nats-server, as the coordinator's
 * user. Prints "ready" once subscribed.
 *
 * @module
 */
import { connectAs, PartAssembler, publishBody, readCredentials } from "../runtime/nats/mod.ts";

const [url, creds, bytes] = Deno.args;
const nc = await connectAs(url!, await readCredentials(creds!));
const answer = new Uint8Array(Number(bytes));
// In parts above the max payload, as shards and results travel.
const parts = new PartAssembler();
nc.subscribe("engine.bench.echo.out", {
  callback: (_, m) => {
    if (parts.take(m) !== null) publishBody(nc, "engine.bench.echo.back", answer, {});
  },
});
await nc.flush();
console.log("ready");
await nc.closed();

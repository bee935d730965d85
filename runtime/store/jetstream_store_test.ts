/**
 * The store contract on the JetStream store (runtime/nats), against a real
 * nats-server (the world's own, as --nats auto starts it) per case.
 */
import { fileURLToPath } from "node:url";
import { runStoreContract, type StoreFixture } from "./store_contract.ts";
import { findExecutable } from "../../sandbox/command/mod.ts";
import {
  connectAs,
  coordinatorPermissions,
  credentialsPath,
  ensureIdentity,
  JetStreamWorldStore,
  startNatsServer,
  WORLD_BUCKET,
} from "../nats/mod.ts";
import { Objm } from "@nats-io/obj";

const SAVER = fileURLToPath(new URL("../nats/fixtures/jetstream_saver.ts", import.meta.url));
const IN_CI = Deno.env.get("SYNCRA_CI") === "1";

if (findExecutable("nats-server") === null && IN_CI) {
  throw new Error(`CI needs nats-server (Debian package "nats-server")`);
}

if (findExecutable("nats-server") !== null) {
  runStoreContract({
    name: "JetStream store",
    async makeStore(): Promise<StoreFixture> {
      const root = await Deno.makeTempDir({ prefix: "syncra_js_store_" });
      const identity = await ensureIdentity(root, "coordinator");
      const server = await startNatsServer(root, [
        { identity, permissions: coordinatorPermissions() },
      ]);
      const connections = [await connectAs(server.url, identity)];
      const open = () => {
        const nc = connections[0]!;
        return new JetStreamWorldStore(nc, server.url);
      };
      return {
        store: open(),
        reopen: open,
        async damage(how) {
          const bucket = await new Objm(connections[0]!).open(WORLD_BUCKET);
          const bytes = (await bucket.getBlob("world.state"))!;
          await open().putRaw(
            how === "truncate"
              ? bytes.subarray(0, bytes.length >> 1)
              : crypto.getRandomValues(new Uint8Array(Math.min(bytes.length, 65536))),
          );
        },
        saverArgs: (entities) => [
          "run",
          "-A",
          SAVER,
          server.url,
          credentialsPath(root, "coordinator"),
          String(entities),
        ],
        async [Symbol.asyncDispose]() {
          for (const nc of connections) await nc.close();
          await server.stop();
          await Deno.remove(root, { recursive: true });
        },
      };
    },
  });
}

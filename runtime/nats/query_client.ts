/**
 * `deno task query "Transform,Spin" --nats URL`: asks a running world which
 * entities have all the named components, as the query tool's own NATS user
 * (credentials `.syncra/nats/query.creds` unless `--creds FILE`), and formats
 * the answer for a terminal.
 *
 * @module
 */
import { connectOrSay } from "./world_bus.ts";
import { decodeMessagePack } from "../protocol/mod.ts";
import { encodeBody } from "./message_parts.ts";
import { readCredentials } from "./identities.ts";
import { SUBJECTS } from "./subjects.ts";
import type { QueryAnswer } from "./world_bus.ts";

/** Asks the world on `url` on `subject`; throws a clear error when none answers. */
async function ask<T>(url: string, credsPath: string, subject: string, body: unknown): Promise<T> {
  const identity = await readCredentials(credsPath);
  const nc = await connectOrSay(url, identity);
  try {
    const reply = await nc.request(subject, encodeBody(body), {
      timeout: 30_000,
    }).catch((error) => {
      throw new Error(
        `No world answered on ${url} (${(error as Error).message}): is it running with --nats?`,
      );
    });
    return decodeMessagePack(reply.data) as T;
  } finally {
    await nc.close();
  }
}

/** Asks the world on `url` for the entities that have `components`. */
export function queryWorld(
  url: string,
  credsPath: string,
  components: string[],
  limit = 1000,
): Promise<QueryAnswer> {
  return ask(url, credsPath, SUBJECTS.queryRequest, { components, limit });
}

/** What a snapshot asked for on demand says: where it went, or why not. */
export interface SnapshotAnswer {
  tick: number;
  entities: number;
  store: string;
  error?: string;
}

/** Asks the world on `url` to save a snapshot now; resolves once it is in JetStream. */
export function snapshotWorld(url: string, credsPath: string): Promise<SnapshotAnswer> {
  return ask(url, credsPath, SUBJECTS.snapshotRequest, {});
}

/** One line per entity: its id, then each component's values. */
export function formatAnswer(answer: QueryAnswer): string {
  if (answer.error) return `query refused: ${answer.error}`;
  const lines = answer.entities.map((e) =>
    `${e.id}\t${
      Object.entries(e.components).map(([name, value]) => `${name} ${JSON.stringify(value)}`)
        .join("  ")
    }`
  );
  const shown = answer.entities.length < answer.total ? ` (first ${answer.entities.length})` : "";
  return [...lines, `${answer.total} entities match at tick ${answer.tick}${shown}`].join("\n");
}

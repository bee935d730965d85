/**
 * `deno task query "Transform,Spin" --nats URL`: asks a running world which
 * entities have all the named components, as the query tool's own NATS user
 * (credentials `.syncra/nats/query.creds` unless `--creds FILE`), and formats
 * the answer for a terminal.
 *
 * @module
 */
import { connectAs } from "./world_bus.ts";
import { readCredentials } from "./identities.ts";
import { SUBJECTS } from "./subjects.ts";
import type { QueryAnswer } from "./world_bus.ts";

/** Asks the world on `url`; throws a clear error when none answers. */
export async function queryWorld(
  url: string,
  credsPath: string,
  components: string[],
  limit = 1000,
): Promise<QueryAnswer> {
  const identity = await readCredentials(credsPath);
  const nc = await connectAs(url, identity).catch((error) => {
    throw new Error(`Cannot connect to NATS at ${url}: ${(error as Error).message}`);
  });
  try {
    const reply = await nc.request(
      SUBJECTS.queryRequest,
      new TextEncoder().encode(JSON.stringify({ components, limit })),
      { timeout: 5000 },
    ).catch((error) => {
      throw new Error(
        `No world answered on ${url} (${(error as Error).message}): is it running with --nats?`,
      );
    });
    return JSON.parse(new TextDecoder().decode(reply.data)) as QueryAnswer;
  } finally {
    await nc.close();
  }
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

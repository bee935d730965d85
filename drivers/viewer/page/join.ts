// Where the page's socket goes: the viewer's `/ws` on the page's own origin, or, with
// `?join=wss://HOST:PORT/&token=TOKEN` in its address, a world's network driver (DESIGN §11),
// which hears the same protocol with a join message first. `&voice=1` asks it for voice chat too
// (voice.ts): the join says `voice: true`, and the page speaks and hears.

/** The page's connection, worked out from its address. */
export interface Connection {
  /** The WebSocket's URL. */
  url: string;
  /** The world's address from `?join=`, or null for the page's own viewer. */
  joined: string | null;
  /** What the page sends first on every (re)connect, or null (the viewer needs nothing). */
  hello: string | null;
  /** Whether the page joins with voice chat (`&voice=1`, only with `?join=`). */
  voice: boolean;
}

/**
 * Close codes after which reconnecting cannot help: the network driver closes
 * with 4001 when it refuses or revokes the token, and with 4002 when the same
 * name joined again elsewhere (coming back would throw that one out in turn).
 */
export const FINAL_CLOSES: ReadonlyMap<number, string> = new Map([
  [4001, "refused"],
  [4002, "left"],
]);

/** The page's connection for `location`; throws TypeError for a `?join=` it cannot use. */
export function connectionOf(
  location: { protocol: string; host: string; search: string },
): Connection {
  const query = new URLSearchParams(location.search);
  const target = query.get("join");
  if (target === null) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return { url: `${scheme}://${location.host}/ws`, joined: null, hello: null, voice: false };
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new TypeError(`Cannot join "${target}": it is not a URL (wss://HOST:PORT/)`);
  }
  if (url.protocol !== "wss:" && url.protocol !== "ws:") {
    throw new TypeError(
      `Cannot join "${target}": a world is joined over wss://, not ${url.protocol}`,
    );
  }
  const token = query.get("token");
  if (!token) throw new TypeError(`Cannot join "${target}": add the world's token (&token=…)`);
  const voice = query.get("voice") === "1";
  const hello = JSON.stringify(voice ? { t: "join", token, voice } : { t: "join", token });
  return { url: url.href, joined: url.href, hello, voice };
}

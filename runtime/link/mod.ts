/**
 * Links: the transport between the runtime and a child (send, receive,
 * closed), with stdio and socket implementations and one contract suite.
 *
 * @module
 */
export type {
  ChannelChoice,
  ChildExit,
  ChildLink,
  ChildProcessHandle,
  Link,
  LinkHandlers,
  SpawnChild,
  SpawnedChild,
  SpawnHandlers,
} from "./link.ts";
export { spawnStdioLink } from "./stdio_link.ts";

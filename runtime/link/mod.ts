/**
 * Links: the transport between the runtime and a child (send, receive,
 * closed), apart from control of its process (DESIGN §6). Two spawners
 * give the same frames: over stdio pipes and over a unix socket on the
 * child's fds 0/1 started through FFI; `chooseChannel` picks one for this
 * machine. Both are a `FrameLink` over a `ByteTransport`, so another
 * transport needs only its bytes. Each runs `runLinkContract`
 * (link_contract.ts) against a real child.
 *
 * @module
 */
export type {
  ChannelChoice,
  ChildExit,
  ChildProcessHandle,
  Link,
  LinkHandlers,
  SpawnChild,
  SpawnedChild,
  SpawnHandlers,
} from "./link.ts";
export type { ByteTransport } from "./byte_transport.ts";
export type { SpawnOptions } from "./spawn_options.ts";
export { FrameSplitter } from "./frame_splitter.ts";
export { FrameLink } from "./frame_link.ts";
export { spawnStdioChild } from "./stdio_link.ts";
export type { StdioLinkOptions } from "./stdio_link.ts";
export { spawnSocketChild } from "./socket_link.ts";
export { chooseChannel, probeSocketLauncher } from "./choose_channel.ts";
export type { ChooseChannelOptions } from "./choose_channel.ts";

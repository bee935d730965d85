/**
 * What travels between the runtime and a child: message types, the
 * MessagePack codec with limits, framing, the tick layout and the version.
 * The guest bundles this folder into every child.
 *
 * @module
 */
export { GrantViolationError, ManifestError, ProtocolError } from "./errors.ts";
export { DEFAULT_FRAME_LIMITS, FrameReader } from "./frame_reader.ts";
export type { FrameLimits } from "./frame_reader.ts";
export { PROTOCOL_VERSION } from "./messages.ts";
export type {
  AckMessage,
  ChangedColumns,
  ChangesMessage,
  ChildMessage,
  DriverCapabilityLists,
  DriverWriteMessage,
  PortMessage,
  PortSendMessage,
  ResultMessage,
  RuntimeMessage,
  ShippedQuery,
  StartMessage,
  TickMessage,
  WireColumns,
  WireCommand,
  WireDriverManifest,
  WireError,
  WireManifest,
  WireQuery,
  WireRows,
  WireSchema,
  WireText,
  WireValue,
} from "./messages.ts";
export { decodeMessagePack } from "./msgpack_decode.ts";
export { copyDecoded } from "./copy_decoded.ts";
export { isWireMap } from "./wire_map.ts";
export {
  concatBytes,
  encodeFrame,
  MessagePackWriter,
  streamMessagePack,
} from "./msgpack_encode.ts";
export { readTickFrame, writeRuntimeFrame } from "./tick_frame.ts";
export { escapeControls, escapedLines, quoteUntrusted, truncate } from "./untrusted_text.ts";
export { receivedWireError } from "./wire_error.ts";

/**
 * The messages exchanged between the runtime and a child over its stdio
 * (DESIGN §6). Each is one length-prefixed MessagePack frame. Columns travel
 * as `bin`: the raw bytes of the field's typed array, little-endian.
 *
 * @module
 */
import type { FieldType, FieldValue } from "../../std/mod.ts";

/** A component schema as it travels: every field resolved (a text field's default is `[string]`). */
export type WireSchema = Record<
  string,
  { type: FieldType; default: number[] | [string]; max?: number }
>;

/** One query as a manifest declares it (components by name). */
export interface WireQuery {
  reads: string[];
  writes: string[];
  with: string[];
  without: string[];
  optional: string[];
  changed: string[];
}

/** A resource's or event's value as it travels: fields by name. */
export type WireValue = Record<string, FieldValue>;

/** What a child says about itself before its first tick. */
export interface WireManifest {
  name: string | null;
  /** The default query's reads (top-level `reads`). */
  reads: string[];
  /** The default query's writes (top-level `writes`). */
  writes: string[];
  /** The other queries, by name, in declaration order. */
  queries: Record<string, WireQuery>;
  /** Resources read and written, by name. */
  resources: { reads: string[]; writes: string[] };
  /** Events emitted and received, by name. */
  events: { emits: string[]; receives: string[] };
  /** Schemas of every resource and event named above. */
  resourceSchemas: Record<string, WireSchema>;
  eventSchemas: Record<string, WireSchema>;
  spawns: boolean;
  hasInit: boolean;
  hasRun: boolean;
  /** Schemas of every component any query names. */
  components: Record<string, WireSchema>;
  /**
   * The module that defined each component, relative to the scripts folder
   * (null for the built-ins). A claim the runtime checks against the files
   * it bundled: a script cannot pass its component off as another module's.
   */
  modules: Record<string, string | null>;
  /** The components it names that were defined with `replicate: true` (absent: none). */
  replicated?: string[];
  net: string[];
  storage: boolean;
  /**
   * The driver capabilities its manifest declared (`ffi`, `gpu`, …), which
   * no script may have: the runtime refuses it, naming them.
   */
  driverOnly?: string[];
}

/** Columns by component, then field: raw little-endian bytes. */
export type WireColumns = Record<string, Record<string, Uint8Array>>;

/** Text columns by component, then field: one string per row. */
export type WireText = Record<string, Record<string, string[]>>;

/** Changed columns by component, then field: bytes, or strings for a text field. */
export type ChangedColumns = Record<string, Record<string, Uint8Array | string[]>>;

/** What a driver asks for beyond the ECS (and what an owner approves, in the same shape). */
export interface DriverCapabilityLists {
  /** `host:port` addresses to listen on. */
  serve: string[];
  /** `host:port` pairs to connect to. */
  net: string[];
  /** Paths to read, and to read and write. */
  read: string[];
  write: string[];
  /** Absolute paths of native libraries it may load. */
  ffi: string[];
  /** Whether it may use WebGPU. */
  gpu: boolean;
}

/** What a driver says about itself in its `hello` (DESIGN §9). */
export interface WireDriverManifest {
  name: string | null;
  /** Components whose every entity's values it receives. */
  reads: string[];
  /** Components it may set on its own entities. */
  writes: string[];
  /** Whether it also reads every replicated component of the world (the network driver). */
  readsReplicated?: boolean;
  spawns: boolean;
  /** Schemas and defining modules of every component named above. */
  components: Record<string, WireSchema>;
  modules: Record<string, string | null>;
  /** The components it names that were defined with `replicate: true` (absent: none). */
  replicated?: string[];
  capabilities: DriverCapabilityLists;
  /** Dataflow ports: name → type. */
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

/** Child → runtime: the manifest, sent once the script module has evaluated. */
export interface HelloMessage {
  t: "hello";
  v: number;
  /** What the child is: a system (the default) or a driver, whose manifest is a WireDriverManifest. */
  role?: "system" | "driver";
  manifest: WireManifest | WireDriverManifest;
}

/** Runtime → driver: start, with its settings and the first ids it may hand out. */
export interface StartMessage {
  t: "start";
  config: Record<string, unknown>;
  reserve: Uint8Array;
}

/** One component's rows in a change feed: ids, and every field (bytes, or strings for text). */
export interface WireRows {
  entities: Uint8Array;
  columns: Record<string, Uint8Array | string[]>;
}

/** Runtime → driver: what changed since the last feed (or everything, for a snapshot). */
export interface ChangesMessage {
  t: "changes";
  tick: number;
  snapshot: boolean;
  despawned: Uint8Array;
  removed: [number, string][];
  rows: Record<string, WireRows>;
  /**
   * For a driver that reads the replicated components: their schemas, by
   * name, whenever that set changed (and with a snapshot).
   */
  schemas?: Record<string, WireSchema>;
  /** More ids it may hand out from `spawn`. */
  reserve?: Uint8Array;
  /** The world's state for an inspector (the built-in viewer only, about once a second). */
  status?: Record<string, unknown>;
}

/** Driver → runtime: structural commands and sets, applied at the next tick boundary. */
export interface DriverWriteMessage {
  t: "write";
  commands: WireCommand[];
}

/** Driver → runtime: bytes on one of its output ports. */
export interface PortSendMessage {
  t: "send";
  port: string;
  bytes: Uint8Array;
}

/** Runtime → driver: bytes that arrived on one of its input ports, and who sent them. */
export interface PortMessage {
  t: "port";
  port: string;
  from: string;
  bytes: Uint8Array;
}

/** Driver → runtime: it cannot run on this machine; it stays down. */
export interface UnavailableMessage {
  t: "unavailable";
  reason: string;
}

/** Driver → runtime: it has handled the feed of `tick` and is ready for the next. */
export interface AckMessage {
  t: "ack";
  tick: number;
}

/** Child → runtime: the script failed before it could say hello. */
export interface FailMessage {
  t: "fail";
  error: WireError;
}

/** Runtime → child: run `init` (tick 0, no rows). `reserve` holds u32 ids for spawns. */
export interface InitMessage {
  t: "init";
  reserve: Uint8Array;
  /** Seed of `ctx.random()` for this system's init (from the world's seed). */
  seed?: number;
  /** The resources it reads or writes, by name. */
  resources?: Record<string, WireValue>;
}

/** The rows of one query in a tick: ids, granted columns and optional components' masks. */
export interface ShippedQuery {
  count: number;
  entities: Uint8Array;
  columns: WireColumns;
  /** Per optional component, one byte per row: 1 where the entity has it. */
  has?: Record<string, Uint8Array>;
  /** The text fields of the shipped components (not in `columns`). */
  text?: WireText;
}

/** Runtime → child: run one tick over the shipped rows. */
export interface TickMessage {
  t: "tick";
  tick: number;
  dt: number;
  /** Each query's rows, by query name (`default` for top-level reads and writes). */
  queries: Record<string, ShippedQuery>;
  /** The resources it reads or writes, by name. */
  resources?: Record<string, WireValue>;
  /** The events it receives, by name: last tick's, in emitter file order, then emission order. */
  events?: Record<string, WireValue[]>;
  /** u32 ids the system may hand out from `spawn` this tick (spawning systems only). */
  reserve?: Uint8Array;
  /** Seed of `ctx.random()` for this system and tick (from the world's seed). */
  seed?: number;
}

/** Runtime → child: exit now. */
export interface ShutdownMessage {
  t: "shutdown";
}

/** A structural command a system queued during a tick. */
export type WireCommand =
  | ["spawn", number, Record<string, Record<string, FieldValue>>]
  | ["despawn", number]
  | ["add", number, string, Record<string, FieldValue>]
  | ["remove", number, string];

/** An error thrown by script code, as it travels. */
export interface WireError {
  name: string;
  message: string;
  stack: string | null;
}

/** Child → runtime: the outcome of a tick (or of init, with tick 0). */
export interface ResultMessage {
  t: "result";
  tick: number;
  /** Only changed columns of written components, by the query they were shipped in. */
  changed: Record<string, ChangedColumns>;
  commands: WireCommand[];
  /** Written resources that changed: only their changed fields. */
  resources?: Record<string, WireValue>;
  /** Events emitted, in emission order. */
  events?: [string, WireValue][];
  error: WireError | null;
}

/** Child → runtime: a line logged by the script. */
export interface LogMessage {
  t: "log";
  level: "debug" | "info" | "log" | "warn" | "error";
  text: string;
}

/** Messages a child sends. */
export type ChildMessage =
  | HelloMessage
  | FailMessage
  | ResultMessage
  | LogMessage
  | DriverWriteMessage
  | AckMessage
  | UnavailableMessage
  | PortSendMessage;
/** Messages the runtime sends. */
export type RuntimeMessage =
  | InitMessage
  | TickMessage
  | ShutdownMessage
  | StartMessage
  | ChangesMessage
  | PortMessage;

/** Protocol version carried in `hello`. */
export const PROTOCOL_VERSION = 2;

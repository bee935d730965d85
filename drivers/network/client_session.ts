// One client of the network driver: who it is (its token's name), its Player entity, what it
// holds of the world (the entities in its interest and the integer transforms it decoded), what
// it is owed, and its budgets — bytes per second out, messages per second in. A session outlives
// its socket by the reconnect grace: the same name joining again gets the same Player back.
import { TransformEncoder } from "../viewer/transform_codec.ts";
import type { PlayerPose } from "../viewer/page_input.ts";

/** A session's limits, from the driver's settings. */
export interface SessionLimits {
  /** Bytes per second of world updates (a join's first state is allowed a burst on top). */
  bytesPerSecond: number;
  /** Messages per second a client may send; more are refused and counted. */
  messagesPerSecond: number;
  /** Refused messages after which the client is disconnected. */
  maxRefusals: number;
  /** How fast it may move its own avatar, metres per second. */
  maxSpeed: number;
}

/**
 * So much a second, holding at most `capacity` (a token bucket): messages,
 * voice frames, a channel's messages, or the metres an avatar may move.
 */
export class RateBucket {
  readonly #rate: number;
  readonly #capacity: number;
  #level: number;
  #at = performance.now();

  /** Starts full; `capacity` defaults to a second's worth. */
  constructor(perSecond: number, capacity = perSecond) {
    this.#rate = perSecond;
    this.#capacity = capacity;
    this.#level = capacity;
  }

  /** What it holds now. */
  get level(): number {
    const now = performance.now();
    this.#level = Math.min(this.#capacity, this.#level + (now - this.#at) * this.#rate / 1000);
    this.#at = now;
    return this.#level;
  }

  /** Takes `amount` if it holds that much; false (and nothing taken) if not. */
  take(amount = 1): boolean {
    if (amount > this.level) return false;
    this.#level -= amount;
    return true;
  }
}

/** What one client holds and is owed. */
export class ClientSession {
  readonly name: string;
  readonly player: number;
  /** Its Player's `id` (a number per name, stable across reconnects). */
  readonly playerId: number;
  socket: WebSocket | null = null;
  /** The integer transforms the client holds (transform_codec.ts). */
  readonly transforms = new TransformEncoder();
  /** Entities the client holds. */
  readonly known = new Set<number>();
  /** Transform moves owed: entity → the tick since which it is owed. */
  readonly owed = new Map<number, number>();
  /** Bytes it may be sent now (refilled each tick, capped at a second's worth). */
  budget = 0;
  /** The tick its interest was last worked out, or -1 to do it at the next tick. */
  interestAt = -1;
  /** Its VR pose as last sent, and whether the world has not been told yet. */
  pose: PlayerPose | null = null;
  posed = false;
  /** Where it last put its avatar, for the speed check. */
  lastPlace: number[] | null = null;
  /**
   * The metres its avatar may move now: accrued at `maxSpeed` with a
   * second's worth of slack, so moves that arrive bunched together (a slow
   * network, a busy driver) are not mistaken for speed.
   */
  readonly #stride: RateBucket;
  #refilledAt = performance.now();
  /** Messages refused so far. */
  refused = 0;
  /** Allowances by kind: messages, voice, and each custom channel. */
  readonly #buckets = new Map<string, RateBucket>();
  /** Whether it asked for voice (its join said `voice: true`). */
  hearsVoice = false;
  readonly #limits: SessionLimits;

  constructor(name: string, player: number, playerId: number, limits: SessionLimits) {
    this.name = name;
    this.player = player;
    this.playerId = playerId;
    this.#limits = limits;
    this.#stride = new RateBucket(limits.maxSpeed, limits.maxSpeed + 0.5);
  }

  /** A new socket for this session: it holds nothing yet and is sent everything again. */
  attach(socket: WebSocket, joinBurst: number): void {
    this.socket = socket;
    this.known.clear();
    this.owed.clear();
    this.transforms.state.clear();
    this.interestAt = -1;
    this.budget = joinBurst;
    this.#refilledAt = performance.now();
  }

  /** Whether one more message may be taken now (false: it is refused as a flood). */
  takeMessage(): boolean {
    return this.takeOn("messages", this.#limits.messagesPerSecond);
  }

  /** Whether one more on `kind` ("messages", "voice", or a channel) may go now, at `perSecond`. */
  takeOn(kind: string, perSecond: number): boolean {
    let bucket = this.#buckets.get(kind);
    if (!bucket) this.#buckets.set(kind, bucket = new RateBucket(perSecond));
    return bucket.take();
  }

  /** The client no longer holds `id` (gone, or out of its interest); false if it did not. */
  forget(id: number): boolean {
    if (!this.known.delete(id)) return false;
    this.owed.delete(id);
    this.transforms.forget(id);
    return true;
  }

  /** Counts a refusal; true when the client has now been refused too often and must go. */
  refuse(): boolean {
    this.refused++;
    return this.refused >= this.#limits.maxRefusals;
  }

  /**
   * The bandwidth earned since the last refill, never more than a second's
   * (a join's burst aside): by time, so a driver fed less often than the
   * world ticks still gives each client its bytes per second.
   */
  refill(): void {
    const now = performance.now();
    const earned = this.#limits.bytesPerSecond * Math.min(1, (now - this.#refilledAt) / 1000);
    this.#refilledAt = now;
    this.budget = Math.max(
      this.budget,
      Math.min(this.budget + earned, this.#limits.bytesPerSecond),
    );
  }

  /** Takes a move of `metres` from its avatar's allowance; null if allowed, else what was. */
  takeStride(metres: number): number | null {
    const allowed = this.#stride.level;
    return this.#stride.take(metres) ? null : allowed;
  }

  /** The first state went out: what is left of the join's burst is not a budget to keep. */
  endBurst(hz: number): void {
    this.budget = Math.min(this.budget, this.#limits.bytesPerSecond / hz);
  }

  /** Sends a message if the socket is open; returns the bytes sent. */
  send(data: string | Uint8Array): number {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return 0;
    // A client that cannot keep up is dropped rather than buffered without bound (it may rejoin).
    if (socket.bufferedAmount > 16 * 1024 * 1024) {
      socket.close(1013, "too slow: more than 16 MiB waiting");
      return 0;
    }
    socket.send(data);
    return typeof data === "string" ? data.length : data.byteLength;
  }

  /** Whether its socket is backed up (moves then wait: they are owed, not lost). */
  get congested(): boolean {
    return (this.socket?.bufferedAmount ?? 0) > 1024 * 1024;
  }
}

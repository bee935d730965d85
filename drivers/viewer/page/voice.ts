/// <reference lib="dom" />
// Voice chat in a joined world (`?join=…&token=…&voice=1`, DESIGN §11). The microphone, encoded to
// Opus by WebCodecs (an AudioEncoder, mono, 20 ms packets), goes to the network driver as binary
// voice frames [u8 3][u32 sequence, LE][Opus packet]; the driver relays each, untouched, to the
// clients in range that asked for voice as [u8 3][u32 speaker's entity, LE][u32 sequence, LE][Opus
// packet]. Each speaker heard gets an AudioDecoder (48 kHz mono) and a PannerNode made as the
// world's sounds' are (spatial_audio.ts: HRTF, the "inverse" model) placed at its avatar, heard
// from the page's camera (the listener the page's sound places). A short jitter buffer plays each
// speaker's packets at their sequence's time, a little behind; one that comes after its time has
// passed is dropped. Voices play into the page's live AudioContext (sound_control.ts), so "sound
// off" silences them too.
//
// Encoding and decoding run in a worker: the main thread may be busy drawing for 100 ms at a time,
// and WebCodecs there goes one packet per turn of its event loop. The microphone reaches the
// worker as a MediaStreamTrackProcessor's stream where the browser has one (Chromium), else from
// an AudioWorklet; the main thread only sends what the worker encoded and schedules what it
// decoded.
import * as THREE from "three";
import { placePanner, spatialPanner } from "./spatial_audio.ts";

/** The first byte of a voice frame (drivers/network/client_frames.ts; transform frames are 2). */
export const VOICE_FRAME = 3;

/** The most Opus bytes in one packet (RFC 6716). */
const MAX_OPUS_BYTES = 1275;

/** What the page encodes: Opus, mono, 20 ms packets, at 32 kbit/s (the rate is the track's). */
const ENCODE = {
  codec: "opus",
  numberOfChannels: 1,
  bitrate: 32_000,
  opus: { frameDuration: 20_000, application: "voip" },
} as const;

/** What the page decodes every speaker's packets to. */
const DECODE: AudioDecoderConfig = { codec: "opus", sampleRate: 48_000, numberOfChannels: 1 };

/** Seconds between sequence numbers (the page sends 20 ms packets; so should any client). */
const FRAME_S = 0.02;
/**
 * How far behind its first packet a speaker plays (what absorbs the network's jitter, and the
 * page's own stalls): it starts at the least, grows a step each time the stream runs dry, up to
 * the most, and shrinks back a step for every ten seconds that it did not.
 */
const JITTER_S = { least: 0.06, step: 0.04, most: 0.3 };
/** Scheduled this much past its depth (a burst after a stall, clocks apart), a speaker catches up. */
const SLACK_S = 0.25;
/** A packet this many sequence numbers behind the speaker's newest is far too late: not decoded. */
const FAR_BEHIND = 25;
/** This far behind the newest, a sequence is a speaker that started again (reloaded its page). */
const RESTARTED = 250;
/** Microphone blocks (10 ms each, in Chromium) held while the worker is busy, before any is lost. */
const MIC_QUEUE = 50;
/** Blocks waiting to encode past which the microphone's audio is dropped (the encoder lags). */
const MAX_ENCODE_QUEUE = 16;
/** Socket bytes waiting past which packets are dropped rather than sent late. */
const MAX_BUFFERED = 64 * 1024;
/** The level is the RMS of what voices played over this many samples of the output (50 ms apart). */
const LEVEL_WINDOWS = 20;

/** Chromium's MediaStreamTrackProcessor (not in TypeScript's DOM types). */
declare const MediaStreamTrackProcessor:
  | (new (init: { track: MediaStreamTrack; maxBufferSize?: number }) => {
    readable: ReadableStream<AudioData>;
  })
  | undefined;

/** The AudioWorklet that hands the microphone over in 10 ms blocks, mixed to mono, to a port. */
const MIC_WORKLET = `registerProcessor("syncra-mic", class extends AudioWorkletProcessor {
  constructor() {
    super();
    this.size = Math.round(sampleRate / 100);
    this.block = new Float32Array(this.size);
    this.filled = 0;
    this.out = null;
    this.port.onmessage = (event) => (this.out = event.data);
  }
  process(inputs) {
    const input = inputs[0];
    if (!this.out || !input || input.length === 0) return true;
    for (let i = 0; i < input[0].length; i++) {
      let v = 0;
      for (const channel of input) v += channel[i];
      this.block[this.filled++] = v / input.length;
      if (this.filled === this.size) {
        this.out.postMessage(this.block, [this.block.buffer]);
        this.block = new Float32Array(this.size);
        this.filled = 0;
      }
    }
    return true;
  }
});`;

/** One speaker heard: its jitter buffer's clock, and its place. */
interface Speaker {
  /** Sequence `seq` plays at context time `at`; the rest follow 20 ms apart. */
  anchor: { seq: number; at: number } | null;
  /** Its jitter buffer's depth in seconds, and when (context time) it last ran dry. */
  depth: number;
  dryAt: number;
  /** The newest sequence received, and the newest scheduled to play. */
  newest: number;
  newestPlayed: number;
  panner: PannerNode | null;
  /** Its packets scheduled and not yet over, with when each starts. */
  playing: Map<AudioBufferSourceNode, number>;
}

/** What `syncra.voice` says. */
export interface VoiceStats {
  /** The microphone: "starting", "on", or why the page cannot send ("no microphone: …"). */
  mic: string;
  /** Hearing others: "on", or why the page cannot decode them. */
  hear: string;
  /** Voice frames sent, received, decoded, and dropped for coming too late. */
  sent: number;
  received: number;
  decoded: number;
  late: number;
  /** Times a speaker's stream ran dry while it played (a gap heard; its buffer deepens). */
  gaps: number;
  /** Frames received per speaker (entity id). */
  speakers: Record<number, number>;
  /** The RMS of what voices played over the last second (0 while sound is off), and its peak. */
  level: number;
  peak: number;
}

/** Sends a voice frame; false when it could not go now (not connected). */
export type SendVoice = (frame: Uint8Array) => boolean;

/** The page's voice chat: its microphone out, every speaker in range in. */
export class PageVoice {
  readonly #send: SendVoice;
  readonly #context: AudioContext;
  readonly #worker: Worker;
  readonly #speakers = new Map<number, Speaker>();
  readonly #counts = new Map<number, number>();
  /** Where voices mix before the speakers: measured for the level. */
  readonly #bus: GainNode;
  readonly #analyser: AnalyserNode;
  readonly #samples: Float32Array<ArrayBuffer>;
  readonly #windows: { meanSquare: number; peak: number }[] = [];
  readonly #at = new THREE.Vector3();
  readonly #timer: ReturnType<typeof setInterval>;
  #mic = "starting";
  #hear = "on";
  #sent = 0;
  #received = 0;
  #decoded = 0;
  #late = 0;
  #gaps = 0;
  #stream: MediaStream | null = null;
  #capture: AudioContext | null = null;
  #closed = false;

  /** Plays into `context` (the page's live one) and sends with `send`; starts the microphone. */
  constructor(context: AudioContext, send: SendVoice) {
    this.#context = context;
    this.#send = send;
    this.#bus = new GainNode(context);
    this.#analyser = new AnalyserNode(context, { fftSize: 4096 });
    this.#bus.connect(this.#analyser).connect(context.destination);
    this.#samples = new Float32Array(this.#analyser.fftSize);
    this.#timer = setInterval(() => this.#measure(), 50);
    const url = URL.createObjectURL(new Blob([VOICE_WORKER], { type: "text/javascript" }));
    this.#worker = new Worker(url);
    URL.revokeObjectURL(url);
    this.#worker.onmessage = (event: MessageEvent<FromWorker>) => this.#fromWorker(event.data);
    this.#worker.onerror = (event) => {
      this.#mic = this.#hear = `the voice worker failed: ${event.message}`;
    };
    if (typeof AudioDecoder === "undefined") {
      this.#hear = "this browser has no WebCodecs AudioDecoder";
    } else {
      AudioDecoder.isConfigSupported(DECODE).then(
        (s) => void (s.supported || (this.#hear = "this browser cannot decode Opus")),
        (error: unknown) => void (this.#hear = `cannot decode Opus: ${String(error)}`),
      );
    }
    void this.#startMic().catch((error: unknown) => {
      this.#mic = `no microphone: ${errorText(error)}`;
      console.warn(`syncra: voice: ${this.#mic}`);
    });
  }

  /** What `syncra.voice` shows. */
  get stats(): VoiceStats {
    const n = Math.max(1, this.#windows.length);
    let meanSquare = 0, peak = 0;
    for (const w of this.#windows) meanSquare += w.meanSquare / n, peak = Math.max(peak, w.peak);
    return {
      mic: this.#mic,
      hear: this.#hear,
      sent: this.#sent,
      received: this.#received,
      decoded: this.#decoded,
      late: this.#late,
      gaps: this.#gaps,
      speakers: Object.fromEntries(this.#counts),
      level: Math.sqrt(meanSquare),
      peak,
    };
  }

  /** A few words for the page's status line. */
  get summary(): string {
    const mic = this.#mic === "on" ? "mic on" : this.#mic;
    const hear = this.#hear === "on" ? `${this.#speakers.size} heard` : this.#hear;
    return `voice: ${mic}, ${hear}`;
  }

  /** A voice frame from the world: [3][u32 speaker][u32 sequence][Opus]. */
  receive(frame: Uint8Array): void {
    if (frame.length < 10 || frame[0] !== VOICE_FRAME || this.#closed) return;
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const id = view.getUint32(1, true), seq = view.getUint32(5, true);
    this.#received++;
    this.#counts.set(id, (this.#counts.get(id) ?? 0) + 1);
    if (this.#hear !== "on") return;
    let speaker = this.#speakers.get(id);
    if (!speaker) {
      speaker = {
        anchor: null,
        depth: JITTER_S.least,
        dryAt: 0,
        newest: -1,
        newestPlayed: -1,
        panner: null,
        playing: new Map(),
      };
      this.#speakers.set(id, speaker);
    }
    if (seq + RESTARTED < speaker.newest) {
      // Its page started again from 0: a new stream.
      speaker.anchor = null;
      speaker.depth = JITTER_S.least;
      speaker.newest = speaker.newestPlayed = -1;
    }
    if (seq + FAR_BEHIND < speaker.newest) return void this.#late++;
    speaker.newest = Math.max(speaker.newest, seq);
    const opus = frame.slice(9).buffer;
    this.#worker.postMessage({ decode: { id, seq, opus } } satisfies ToWorker, [opus]);
  }

  /** Each frame: every speaker's panner at its avatar (`place`), else at the `listener`. */
  update(listener: THREE.Object3D, place: (id: number, out: THREE.Vector3) => boolean): void {
    if (this.#context.state !== "running") return;
    for (const [id, speaker] of this.#speakers) {
      if (!speaker.panner) continue;
      // A voice whose avatar the page does not hold (yet) is heard where the page is.
      if (!place(id, this.#at)) listener.getWorldPosition(this.#at);
      placePanner(speaker.panner, this.#at);
    }
  }

  /** Forgets speaker `id` (its entity is gone): its decoder and nodes go; its count stays. */
  forget(id: number): void {
    const speaker = this.#speakers.get(id);
    if (!speaker) return;
    this.#speakers.delete(id);
    this.#worker.postMessage({ forget: id } satisfies ToWorker);
    for (const source of speaker.playing.keys()) stop(source);
    speaker.panner?.disconnect();
  }

  /** Stops the microphone and every voice. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const id of [...this.#speakers.keys()]) this.forget(id);
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#worker.terminate();
    void this.#capture?.close();
    this.#bus.disconnect();
  }

  #fromWorker(m: FromWorker): void {
    if ("frame" in m) {
      if (this.#send(new Uint8Array(m.frame))) this.#sent++;
    } else if ("decoded" in m) {
      this.#decoded++;
      const speaker = this.#speakers.get(m.decoded.id);
      if (speaker) this.#play(speaker, m.decoded.seq, m.decoded.pcm, m.decoded.sampleRate);
    } else if ("stopped" in m) {
      this.#mic = `no microphone: ${m.stopped}`;
    } else console.warn(`syncra: voice: ${m.warning}`);
  }

  // ---- Hearing ----

  /** Schedules a decoded packet at its sequence's time (or drops it, its time past). */
  #play(speaker: Speaker, seq: number, pcm: Float32Array<ArrayBuffer>, sampleRate: number): void {
    const context = this.#context;
    if (context.state !== "running" || pcm.length === 0) {
      // Nothing plays while sound is off; when it is on again, the next packet starts afresh.
      speaker.anchor = null;
      return;
    }
    const now = context.currentTime;
    if (now - speaker.dryAt > 10) {
      speaker.depth = Math.max(JITTER_S.least, speaker.depth - JITTER_S.step);
      speaker.dryAt = now;
    }
    let at = speaker.anchor ? speaker.anchor.at + (seq - speaker.anchor.seq) * FRAME_S : -1;
    if (at < now + 0.005) {
      // An older packet than one already playing, whose time has passed: too late.
      if (seq < speaker.newestPlayed) return void this.#late++;
      // The stream fell behind (a gap, a slower network, a stall here): a deeper buffer from now.
      if (speaker.anchor) {
        this.#gaps++;
        speaker.depth = Math.min(JITTER_S.most, speaker.depth + JITTER_S.step);
        speaker.dryAt = now;
      }
      speaker.anchor = { seq, at: at = now + speaker.depth };
    } else if (at > now + speaker.depth + SLACK_S) {
      // Too much waiting to play: what has not started yet goes, and it plays from this one.
      for (const [source, start] of speaker.playing) {
        if (start <= now) continue;
        speaker.playing.delete(source);
        stop(source);
        source.disconnect();
      }
      speaker.anchor = { seq, at: at = now + speaker.depth };
    }
    speaker.newestPlayed = Math.max(speaker.newestPlayed, seq);
    if (!speaker.panner) {
      speaker.panner = spatialPanner(context);
      speaker.panner.connect(this.#bus);
    }
    const buffer = new AudioBuffer({ length: pcm.length, numberOfChannels: 1, sampleRate });
    buffer.copyToChannel(pcm, 0);
    const source = new AudioBufferSourceNode(context, { buffer });
    source.connect(speaker.panner);
    source.onended = () => {
      speaker.playing.delete(source);
      source.disconnect();
    };
    speaker.playing.set(source, at);
    source.start(at);
  }

  /** The output's level now: one window of the analyser, kept for a second. */
  #measure(): void {
    let meanSquare = 0, peak = 0;
    if (this.#context.state === "running") {
      this.#analyser.getFloatTimeDomainData(this.#samples);
      for (const v of this.#samples) meanSquare += v * v, peak = Math.max(peak, Math.abs(v));
      meanSquare /= this.#samples.length;
    }
    this.#windows.push({ meanSquare, peak });
    if (this.#windows.length > LEVEL_WINDOWS) this.#windows.shift();
  }

  // ---- Speaking ----

  async #startMic(): Promise<void> {
    if (typeof AudioEncoder === "undefined") {
      this.#mic = "this browser has no WebCodecs AudioEncoder";
      return;
    }
    const support = await AudioEncoder.isConfigSupported({ ...ENCODE, sampleRate: 48_000 });
    if (!support.supported) {
      this.#mic = "this browser cannot encode Opus";
      return;
    }
    if (!navigator.mediaDevices?.getUserMedia) {
      throw new Error("this page cannot ask for one (it needs https:// or localhost)");
    }
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: {
        channelCount: { ideal: 1 },
        echoCancellation: true,
        noiseSuppression: true,
        autoGainControl: true,
      },
    });
    if (this.#closed) return void stream.getTracks().forEach((t) => t.stop());
    this.#stream = stream;
    const track = stream.getAudioTracks()[0];
    if (!track) throw new Error("the stream has no audio track");
    track.addEventListener("ended", () => (this.#mic = "no microphone: it was disconnected"));
    const setup: EncoderSetup = {
      config: ENCODE,
      maxQueue: MAX_ENCODE_QUEUE,
      kind: VOICE_FRAME,
      maxBytes: MAX_OPUS_BYTES,
    };
    if (typeof MediaStreamTrackProcessor === "function") {
      // Chromium: the track's AudioData, read in the worker (the stream moves there whole); it
      // holds half a second, so a stall loses no audio.
      const { readable } = new MediaStreamTrackProcessor({ track, maxBufferSize: MIC_QUEUE });
      try {
        this.#worker.postMessage({ encode: { setup, readable } } satisfies ToWorker, [readable]);
        this.#mic = "on";
        return;
      } catch {
        // A stream that cannot move to a worker: the AudioWorklet below reads the track instead.
      }
    }
    // Elsewhere (Firefox, Safari): an AudioWorklet on a context of its own hands the samples to the
    // worker directly, over a channel of their own.
    const capture = this.#capture = new AudioContext();
    const module = URL.createObjectURL(new Blob([MIC_WORKLET], { type: "text/javascript" }));
    await capture.audioWorklet.addModule(module);
    URL.revokeObjectURL(module);
    const node = new AudioWorkletNode(capture, "syncra-mic");
    const channel = new MessageChannel();
    node.port.postMessage(channel.port1, [channel.port1]);
    this.#worker.postMessage(
      { encode: { setup, port: channel.port2, sampleRate: capture.sampleRate } } satisfies ToWorker,
      [channel.port2],
    );
    const mute = new GainNode(capture, { gain: 0 });
    capture.createMediaStreamSource(stream).connect(node).connect(mute).connect(
      capture.destination,
    );
    this.#mic = "on";
    // Made outside a gesture, the browser may hold it until the page's first click or key (unless
    // there was one already).
    if (capture.state === "suspended") void capture.resume();
    if (capture.state === "suspended") {
      const start = () => void capture.resume();
      addEventListener("pointerdown", start, { capture: true, once: true });
      addEventListener("keydown", start, { capture: true, once: true });
    }
  }
}

/** Whether a socket can take a voice frame now (open, and not backed up). */
export function voiceCanGo(socket: WebSocket | null): socket is WebSocket {
  return socket?.readyState === WebSocket.OPEN && socket.bufferedAmount < MAX_BUFFERED;
}

// ---- The worker ----

/** What the worker needs to encode: the encoder's settings less the rate, and the frame's. */
interface EncoderSetup {
  config: Omit<AudioEncoderConfig, "sampleRate">;
  /** Blocks waiting to encode past which the microphone's audio is dropped. */
  maxQueue: number;
  /** The voice frame's first byte, and its largest Opus packet. */
  kind: number;
  maxBytes: number;
}

/** What the page sends the worker. */
type ToWorker =
  /** The microphone, once: a MediaStreamTrackProcessor's stream, or the AudioWorklet's port. */
  | {
    encode:
      | { setup: EncoderSetup; readable: ReadableStream<AudioData> }
      | { setup: EncoderSetup; port: MessagePort; sampleRate: number };
  }
  /** A speaker's Opus packet to decode. */
  | { decode: { id: number; seq: number; opus: ArrayBuffer } }
  /** A speaker gone: its decoder goes. */
  | { forget: number };

/** What the worker answers. */
type FromWorker =
  /** A voice frame to send. */
  | { frame: ArrayBuffer }
  /** A packet decoded: mono samples. */
  | { decoded: { id: number; seq: number; pcm: Float32Array<ArrayBuffer>; sampleRate: number } }
  | { warning: string }
  /** Why the microphone stopped. */
  | { stopped: string };

/**
 * The voice worker: encodes the microphone to voice frames, each packet taking the next sequence
 * (sent or not: the sequence is the speaker's time), and decodes every speaker's packets with a
 * decoder of its own, in order (a decoder's outputs come in the order of its inputs, their
 * timestamps its own count, so the sequences wait in a queue beside it). It starts from its
 * source text (`VOICE_WORKER`), so it uses nothing from outside itself.
 */
function voiceWorker(): void {
  const scope = self as unknown as {
    onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
    postMessage(message: FromWorker, transfer?: Transferable[]): void;
  };
  const decoders = new Map<number, { decoder: AudioDecoder; seqs: number[] }>();
  const decoderFor = (id: number) => {
    const made = {
      seqs: [] as number[],
      decoder: new AudioDecoder({
        output: (data) => {
          const seq = made.seqs.shift();
          try {
            if (seq === undefined || decoders.get(id) !== made) return;
            const pcm = new Float32Array(data.numberOfFrames);
            // Mono (as configured): its one plane.
            data.copyTo(pcm, { planeIndex: 0, format: "f32-planar" });
            scope.postMessage({ decoded: { id, seq, pcm, sampleRate: data.sampleRate } }, [
              pcm.buffer,
            ]);
          } finally {
            data.close();
          }
        },
        error: (error) => {
          // A packet it could not decode: the next one starts a new decoder.
          scope.postMessage({ warning: `speaker ${id}: ${String(error)}` });
          if (decoders.get(id) === made) decoders.delete(id);
        },
      }),
    };
    made.decoder.configure({ codec: "opus", sampleRate: 48_000, numberOfChannels: 1 });
    decoders.set(id, made);
    return made;
  };

  let encoder: AudioEncoder | null = null;
  let sequence = 0;
  const encoderFor = (setup: EncoderSetup, sampleRate: number) => {
    const made = new AudioEncoder({
      output: (chunk) => {
        const seq = sequence++;
        if (chunk.byteLength > setup.maxBytes) return;
        const frame = new Uint8Array(5 + chunk.byteLength);
        frame[0] = setup.kind;
        new DataView(frame.buffer).setUint32(1, seq >>> 0, true);
        chunk.copyTo(frame.subarray(5));
        scope.postMessage({ frame: frame.buffer }, [frame.buffer]);
      },
      error: (error) => {
        // The next block starts a new encoder.
        scope.postMessage({ warning: `the Opus encoder failed: ${String(error)}` });
        if (encoder === made) encoder = null;
      },
    });
    made.configure({ ...setup.config, sampleRate } as AudioEncoderConfig);
    return encoder = made;
  };
  /** Encodes one block of the microphone (mixed to mono), and lets it go. */
  const encode = (setup: EncoderSetup, data: AudioData) => {
    try {
      if (encoder?.state === "closed") encoder = null;
      const e = encoder ?? encoderFor(setup, data.sampleRate);
      // An encoder that falls behind drops audio rather than sending it later and later.
      if (e.encodeQueueSize > setup.maxQueue) return;
      if (data.numberOfChannels === 1) return e.encode(data);
      const n = data.numberOfFrames, channels = data.numberOfChannels;
      const mixed = new Float32Array(n), plane = new Float32Array(n);
      for (let c = 0; c < channels; c++) {
        data.copyTo(plane, { planeIndex: c, format: "f32-planar" });
        for (let i = 0; i < n; i++) mixed[i]! += plane[i]! / channels;
      }
      const mono = new AudioData({
        format: "f32-planar",
        sampleRate: data.sampleRate,
        numberOfFrames: n,
        numberOfChannels: 1,
        timestamp: data.timestamp,
        data: mixed,
      });
      e.encode(mono);
      mono.close();
    } finally {
      data.close();
    }
  };

  scope.onmessage = ({ data: m }) => {
    if ("decode" in m) {
      const { id, seq, opus } = m.decode;
      const d = decoders.get(id) ?? decoderFor(id);
      d.seqs.push(seq);
      d.decoder.decode(new EncodedAudioChunk({ type: "key", timestamp: seq * 20_000, data: opus }));
    } else if ("forget" in m) {
      const d = decoders.get(m.forget);
      decoders.delete(m.forget);
      if (d?.decoder.state === "configured") d.decoder.close();
    } else if ("readable" in m.encode) {
      const { setup, readable } = m.encode;
      const reader = readable.getReader();
      void (async () => {
        try {
          for (let block = await reader.read(); !block.done; block = await reader.read()) {
            encode(setup, block.value);
          }
          scope.postMessage({ stopped: "the microphone's track ended" });
        } catch (error) {
          scope.postMessage({ stopped: String(error) });
        }
      })();
    } else {
      const { setup, port, sampleRate } = m.encode;
      let timestamp = 0;
      port.onmessage = (block: MessageEvent<Float32Array<ArrayBuffer>>) => {
        const samples = block.data;
        encode(
          setup,
          new AudioData({
            format: "f32-planar",
            sampleRate,
            numberOfFrames: samples.length,
            numberOfChannels: 1,
            timestamp,
            data: samples,
          }),
        );
        timestamp += (samples.length / sampleRate) * 1e6;
      };
    }
  };
}

/** The voice worker's source. */
const VOICE_WORKER = `(${voiceWorker})()`;

function stop(source: AudioBufferSourceNode): void {
  try {
    source.stop();
  } catch {
    // Not started, or its context is closing.
  }
}

/** An error as "NotAllowedError: Permission denied", or its text. */
function errorText(error: unknown): string {
  return error instanceof DOMException || error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
}

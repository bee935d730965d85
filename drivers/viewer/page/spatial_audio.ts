/// <reference lib="dom" />
// The world's AudioSources as WebAudio graphs, heard from the page's camera: per source a tone
// (OscillatorNode) or a clip from /assets/ (AudioBufferSourceNode, decoded once per context), its
// volume (GainNode), and a PannerNode with HRTF panning and the "inverse" distance model
// (refDistance 1, rolloff 1: what the audio driver computes for its mix). The same class drives
// the page's live AudioContext and an OfflineAudioContext (what tests render). It follows the
// driver's rules: `playing: false` is silence, true again starts from the beginning, a new asset or
// tone restarts it, `loop` repeats a clip and a clip that is not looped plays once. Its panner and
// listener helpers place voice chat's speakers too (voice.ts).
import * as THREE from "three";

/** An AudioSource's values as the viewer sends them. */
export interface AudioSourceValues {
  asset: string;
  tone: number;
  volume: number;
  loop: boolean;
  playing: boolean;
}

/** What a source plays now: its nodes, and what they were made for. */
interface Voice {
  values: AudioSourceValues;
  gain: GainNode;
  panner: PannerNode;
  /** The node that sounds, or null while stopped (or its clip loads). */
  sound: AudioScheduledSourceNode | null;
  /** What `sound` plays ("tone:440", "asset:x.wav"), to restart on a change. */
  playingWhat: string;
}

/** Reads an asset's bytes (the page fetches /assets/). */
export type FetchAsset = (asset: string) => Promise<ArrayBuffer>;

const what = (v: AudioSourceValues) => (v.asset !== "" ? `asset:${v.asset}` : `tone:${v.tone}`);

/** Sets an AudioParam now: a live context glides to it over ~20 ms, so motion does not click. */
function setParam(param: AudioParam, value: number, context: BaseAudioContext, glide: boolean) {
  if (!Number.isFinite(value)) return;
  if (glide) param.setTargetAtTime(value, context.currentTime, 0.02);
  else param.value = value;
}

/** A PannerNode as every sound of the page has: HRTF, the "inverse" model, refDistance 1. */
export function spatialPanner(context: BaseAudioContext): PannerNode {
  return new PannerNode(context, {
    panningModel: "HRTF",
    distanceModel: "inverse",
    refDistance: 1,
    rolloffFactor: 1,
    maxDistance: 10000,
  });
}

/** Places a panner at `position` (world space), gliding there on a live context. */
export function placePanner(panner: PannerNode, position: THREE.Vector3, glide = true): void {
  const c = panner.context;
  setParam(panner.positionX, position.x, c, glide);
  setParam(panner.positionY, position.y, c, glide);
  setParam(panner.positionZ, position.z, c, glide);
}

/** Puts `context`'s listener at `camera`: its world position, looking where it looks, its up. */
export function listenFrom(context: BaseAudioContext, camera: THREE.Object3D, glide = true): void {
  const position = camera.getWorldPosition(new THREE.Vector3());
  const q = camera.getWorldQuaternion(new THREE.Quaternion());
  const forward = new THREE.Vector3(0, 0, -1).applyQuaternion(q);
  const up = new THREE.Vector3(0, 1, 0).applyQuaternion(q);
  const l = context.listener;
  if (l.positionX) {
    const c = context, g = glide;
    setParam(l.positionX, position.x, c, g), setParam(l.positionY, position.y, c, g);
    setParam(l.positionZ, position.z, c, g);
    setParam(l.forwardX, forward.x, c, g), setParam(l.forwardY, forward.y, c, g);
    setParam(l.forwardZ, forward.z, c, g);
    setParam(l.upX, up.x, c, g), setParam(l.upY, up.y, c, g), setParam(l.upZ, up.z, c, g);
  } else {
    // Browsers without the listener's AudioParams (older Firefox).
    l.setPosition(position.x, position.y, position.z);
    l.setOrientation(forward.x, forward.y, forward.z, up.x, up.y, up.z);
  }
}

/** Every AudioSource of the world as WebAudio nodes on one context. */
export class SpatialAudio {
  readonly context: BaseAudioContext;
  readonly #fetch: FetchAsset;
  readonly #voices = new Map<number, Voice>();
  readonly #clips = new Map<string, Promise<AudioBuffer>>();
  readonly #pending = new Set<Promise<unknown>>();
  /** Assets that failed to load, with why. */
  readonly failures: Map<string, string> = new Map();
  /** Whether AudioParams glide (a live context) or jump (an offline render, set before it runs). */
  glide = true;

  constructor(context: BaseAudioContext, fetchAsset: FetchAsset) {
    this.context = context;
    this.#fetch = fetchAsset;
  }

  /** How many sources it holds, and how many sound now. */
  get counts(): { sources: number; sounding: number } {
    let sounding = 0;
    for (const v of this.#voices.values()) if (v.sound) sounding++;
    return { sources: this.#voices.size, sounding };
  }

  /** The sources' values by entity (to copy into another context). */
  get values(): Map<number, AudioSourceValues> {
    return new Map([...this.#voices].map(([id, v]) => [id, v.values]));
  }

  /** Resolves once every clip asked for so far is decoded and playing. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Sets (or with null, removes) the source of entity `id`. */
  set(id: number, values: AudioSourceValues | null): void {
    let voice = this.#voices.get(id);
    if (!values) {
      if (voice) this.#stop(voice), voice.panner.disconnect(), this.#voices.delete(id);
      return;
    }
    if (!voice) {
      const panner = spatialPanner(this.context);
      const gain = new GainNode(this.context);
      gain.connect(panner).connect(this.context.destination);
      voice = { values, gain, panner, sound: null, playingWhat: "" };
      this.#voices.set(id, voice);
    }
    const was = voice.values;
    voice.values = values;
    setParam(voice.gain.gain, Math.max(0, values.volume), this.context, this.glide);
    const restart = !values.playing || !was.playing || what(values) !== voice.playingWhat;
    if (restart) this.#stop(voice);
    if (voice.sound instanceof AudioBufferSourceNode) voice.sound.loop = values.loop;
    if (values.playing && !voice.sound) this.#start(voice);
  }

  /** Places entity `id`'s source (world position). */
  place(id: number, position: THREE.Vector3): void {
    const p = this.#voices.get(id)?.panner;
    if (p) placePanner(p, position, this.glide);
  }

  /** Hears from `camera`: its world position, looking where it looks, its up as up. */
  listen(camera: THREE.Object3D): void {
    listenFrom(this.context, camera, this.glide);
  }

  /** Stops every source and lets the nodes go. */
  close(): void {
    for (const id of [...this.#voices.keys()]) this.set(id, null);
  }

  #stop(voice: Voice): void {
    if (!voice.sound) return;
    try {
      voice.sound.stop();
    } catch {
      // Never started (a context that is closing).
    }
    voice.sound.disconnect();
    voice.sound = null;
    voice.playingWhat = "";
  }

  #start(voice: Voice): void {
    const values = voice.values;
    const playing = what(values);
    voice.playingWhat = playing;
    if (values.asset === "") {
      if (!(values.tone > 0)) return;
      const tone = new OscillatorNode(this.context, { type: "sine", frequency: values.tone });
      tone.connect(voice.gain);
      tone.start();
      voice.sound = tone;
      return;
    }
    const started = this.#clip(values.asset).then((buffer) => {
      // Still wanted, and still that clip, once it has loaded?
      if (voice.playingWhat !== playing || voice.sound || !voice.values.playing) return;
      const clip = new AudioBufferSourceNode(this.context, { buffer, loop: voice.values.loop });
      clip.connect(voice.gain);
      clip.start();
      voice.sound = clip;
    }, (error: unknown) => {
      this.failures.set(values.asset, String(error));
      console.warn(`syncra: the sound "${values.asset}" cannot play (${String(error)})`);
    });
    this.#pending.add(started);
    started.finally(() => this.#pending.delete(started));
  }

  #clip(asset: string): Promise<AudioBuffer> {
    let clip = this.#clips.get(asset);
    if (!clip) {
      clip = this.#fetch(asset).then((bytes) => this.context.decodeAudioData(bytes));
      this.#clips.set(asset, clip);
    }
    return clip;
  }
}

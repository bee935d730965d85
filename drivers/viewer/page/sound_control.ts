/// <reference lib="dom" />
// The page's sound: browsers let a page make sound only after a user gesture (autoplay policy), so
// positional audio starts when the "sound on" button is pressed, and the button then turns it off
// and on again. The button shows once the world has an AudioSource. The page keeps the sources'
// values and positions whether or not sound is on, so `syncra.audio.render(seconds)` can render
// what the page would play, from where its camera is, through an OfflineAudioContext (no gesture
// needed: it makes no sound) — what tests listen to. Voice chat (voice.ts) plays into the same
// live context, made early for it: the page's first click or key then starts it, and the button
// turns voices off and on with the world's sounds.
import * as THREE from "three";
import { type AudioSourceValues, type FetchAsset, SpatialAudio } from "./spatial_audio.ts";

/** Levels of an offline render, per channel. */
export interface RenderedLevels {
  left: number;
  right: number;
  /** Largest absolute sample over both channels. */
  peak: number;
}

/** Where a source is, written into `out`; false when it has no place (it is not heard). */
export type PlaceSource = (id: number, out: THREE.Vector3) => boolean;

/** The sound on/off control, the live context behind it, and offline renders. */
export class PageSound {
  readonly #button: HTMLButtonElement;
  readonly #fetch: FetchAsset;
  readonly #sources = new Map<number, AudioSourceValues>();
  #live: SpatialAudio | null = null;
  /** Whether the button was ever pressed (from then on it alone turns sound on and off). */
  #pressed = false;
  #camera: THREE.Object3D | null = null;
  #place: PlaceSource = () => false;
  readonly #at = new THREE.Vector3();

  constructor(button: HTMLButtonElement, fetchAsset: FetchAsset) {
    this.#button = button;
    this.#fetch = fetchAsset;
    button.onclick = () => void this.toggle();
    this.#show();
  }

  /** "off" until the button is pressed, then the live context's state ("running", "suspended"). */
  get state(): string {
    return this.#live ? this.#live.context.state : "off";
  }

  /** The entities with an AudioSource. */
  get sources(): number {
    return this.#sources.size;
  }

  /** Sets (null: removes) entity `id`'s AudioSource. */
  set(id: number, values: Record<string, unknown> | null | undefined): void {
    if (!values) {
      if (!this.#sources.delete(id)) return;
      this.#live?.set(id, null);
    } else {
      const source: AudioSourceValues = {
        asset: typeof values.asset === "string" ? values.asset : "",
        tone: Number(values.tone) || 0,
        volume: Number.isFinite(Number(values.volume)) ? Number(values.volume) : 1,
        loop: values.loop === true,
        playing: values.playing === true,
      };
      this.#sources.set(id, source);
      this.#live?.set(id, source);
    }
    this.#show();
  }

  /** Each frame: the listener is `camera`, and `place` says where each source is. */
  update(camera: THREE.Object3D, place: PlaceSource): void {
    this.#camera = camera;
    this.#place = place;
    const live = this.#live;
    if (!live || live.context.state !== "running") return;
    live.listen(camera);
    for (const id of this.#sources.keys()) if (place(id, this.#at)) live.place(id, this.#at);
  }

  /**
   * The live AudioContext, made now if it is not yet (voice chat plays into
   * it, heard from the same listener). Made outside a gesture, a browser may
   * hold it suspended: the page's first click or key starts it then, unless
   * the button was pressed first.
   */
  context(): AudioContext {
    if (!this.#live) {
      const live = this.#make();
      const context = live.context as AudioContext;
      const start = () => {
        removeEventListener("pointerdown", start, true);
        removeEventListener("keydown", start, true);
        if (this.#pressed || context.state !== "suspended") return;
        void context.resume().then(() => this.#show());
      };
      if (context.state === "suspended") {
        addEventListener("pointerdown", start, true);
        addEventListener("keydown", start, true);
      }
      this.#show();
    }
    return this.#live!.context as AudioContext;
  }

  /** Sound on (the first time: makes the AudioContext, inside the click's gesture) or off. */
  async toggle(): Promise<string> {
    const made = !this.#live;
    this.#pressed = true;
    const context = (this.#live ?? this.#make()).context as AudioContext;
    // Made inside the click, a context may run at once; that press always means "on".
    if (context.state === "running" && !made) await context.suspend();
    else await context.resume();
    this.#show();
    return context.state;
  }

  #make(): SpatialAudio {
    const live = new SpatialAudio(new AudioContext({ latencyHint: "interactive" }), this.#fetch);
    for (const [id, values] of this.#sources) live.set(id, values);
    (live.context as AudioContext).addEventListener("statechange", () => this.#show());
    return this.#live = live;
  }

  /**
   * Renders `seconds` of what the page plays now — every source at its
   * place, heard from the camera — offline at 48 kHz stereo, and measures it.
   */
  async render(seconds = 0.5): Promise<RenderedLevels> {
    const context = new OfflineAudioContext(2, Math.round(48000 * seconds), 48000);
    const offline = new SpatialAudio(context, this.#fetch);
    offline.glide = false;
    if (this.#camera) offline.listen(this.#camera);
    for (const [id, values] of this.#sources) {
      offline.set(id, values);
      if (this.#place(id, this.#at)) offline.place(id, this.#at);
      // A source with no place is not heard (as in the audio driver's mix).
      else offline.set(id, { ...values, playing: false });
    }
    await offline.settled();
    const buffer = await context.startRendering();
    const rms = (channel: Float32Array) =>
      Math.sqrt(channel.reduce((sum, v) => sum + v * v, 0) / Math.max(1, channel.length));
    const left = buffer.getChannelData(0), right = buffer.getChannelData(1);
    let peak = 0;
    for (const channel of [left, right]) {
      for (const v of channel) peak = Math.max(peak, Math.abs(v));
    }
    return { left: rms(left), right: rms(right), peak };
  }

  #show(): void {
    this.#button.hidden = this.#sources.size === 0 && !this.#live;
    const on = this.#live?.context.state === "running";
    this.#button.textContent = on ? "🔊 sound off" : "🔈 sound on";
    this.#button.title = on
      ? "Stop the world's sound"
      : "Play the world's sound, positioned around you (browsers wait for a click to play sound)";
    this.#button.setAttribute("aria-pressed", String(on));
  }
}

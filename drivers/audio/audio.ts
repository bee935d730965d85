// The audio driver (issue 11): plays every AudioSource — a WAV clip from the world's assets folder
// or a generated tone — as heard by the listener (the active Camera, else a Player's head), with
// inverse distance attenuation and equal-power stereo panning, mixed to 48 kHz stereo, one block
// per tick. Each block goes out on the "audio" port (pcm_block.ts) and, with `out` set, into a WAV
// file kept readable as it grows. Voice frames arriving on the "voice" port are mixed in as they
// come, in both ears. Bad input (a broken clip, a missing asset, a malformed voice frame) is
// logged naming the culprit, and the driver plays on.
import { defineDriver } from "@syncra/std";
import { AUDIO_READS, AudioScene } from "./audio_scene.ts";
import { audioSettings } from "./audio_settings.ts";
import { ClipLibrary } from "./clip_library.ts";
import { Limiter } from "./limiter.ts";
import { chooseListener } from "./listener.ts";
import { Mixer, type MixSource } from "./mixer.ts";
import { decodePcmBlock, encodePcmBlock, PCM_RATE } from "./pcm_block.ts";
import { spatialGains } from "./spatializer.ts";
import { VoiceQueue } from "./voice_queue.ts";
import { WavWriter } from "./wav_writer.ts";

/** At most this many seconds are mixed for one feed; a driver further behind skips the rest. */
const MAX_CATCH_UP_SECONDS = 1;

/** A voice sender's bad frames are logged at most once per this many milliseconds. */
const VOICE_COMPLAINT_MS = 1000;

export default defineDriver({
  name: "audio",
  reads: AUDIO_READS,
  inputs: { voice: "pcm" },
  outputs: { audio: "pcm" },
  // Built in, it gets { read: [assets], write: [dirname(out)] } whatever these say.
  capabilities: { read: ["assets"], write: [".syncra/audio"] },
  start(ctx) {
    const { settings, problems } = audioSettings(ctx.config);
    for (const problem of problems) ctx.log(problem);
    const scene = new AudioScene();
    const clips = new ClipLibrary(settings.assets, PCM_RATE);
    const mixer = new Mixer(PCM_RATE);
    const limiter = new Limiter();
    const voices = new VoiceQueue();
    let wav: WavWriter | null = null;
    if (settings.out) {
      try {
        wav = WavWriter.create(settings.out, PCM_RATE, 2);
      } catch (error) {
        ctx.log(`cannot write "${settings.out}", playing on the port only: ${error}`);
      }
    }

    /** Ticks mixed so far, and the world tick of the last feed (-1 before the first). */
    let ticksMixed = 0;
    let lastTick = -1;

    const complainedAt = new Map<string, number>();
    ctx.onPort("voice", (bytes, from) => {
      try {
        voices.push(from, decodePcmBlock(bytes));
      } catch (error) {
        const now = performance.now();
        if (now - (complainedAt.get(from) ?? -Infinity) < VOICE_COMPLAINT_MS) return;
        complainedAt.set(from, now);
        ctx.log(`refused a voice frame from "${from}": ${(error as Error).message}`);
      }
    });

    /** Loads the assets the sources name; says once why one cannot load, naming its entity. */
    const loadClips = async () => {
      for (const [id, source] of scene.sources) {
        if (source.asset === "" || clips.get(source.asset)) continue;
        const error = await clips.load(source.asset);
        if (error) ctx.log(`entity ${id} plays silence: ${error}`);
      }
    };

    const mixSources = (): MixSource[] => {
      const listener = chooseListener(scene).pose;
      const list: MixSource[] = [];
      for (const [id, source] of scene.sources) {
        const pose = scene.worldPose(id);
        list.push({
          id,
          clip: source.asset === "" ? null : clips.get(source.asset),
          tone: source.asset === "" ? source.tone : 0,
          volume: source.volume,
          loop: source.loop,
          // A source nowhere (no Transform) is not heard.
          playing: source.playing && pose !== null,
          gains: pose ? spatialGains(listener, pose.position) : { left: 0, right: 0 },
        });
      }
      return list;
    };

    ctx.onChanges(async (changes) => {
      scene.apply(changes);
      await loadClips();
      const maxTicks = Math.ceil(settings.hz * MAX_CATCH_UP_SECONDS);
      const behind = lastTick < 0 ? 1 : changes.tick - lastTick;
      if (lastTick < 0) {
        ctx.log(
          `mixing 48 kHz stereo from tick ${changes.tick}` +
            (wav ? ` into ${wav.path}` : "") + ` at ${settings.hz} blocks a second`,
        );
      }
      lastTick = changes.tick;
      if (behind <= 0) return;
      const ticks = Math.min(behind, maxTicks);
      // Frames per tick need not be whole (48000 / 90): the blocks add up to the exact time.
      const from = Math.floor((ticksMixed * PCM_RATE) / settings.hz);
      ticksMixed += ticks;
      const frames = Math.floor((ticksMixed * PCM_RATE) / settings.hz) - from;
      const block = mixer.mix(mixSources(), new Float32Array(frames * 2));
      voices.mixInto(block);
      limiter.process(block);
      if (wav) {
        try {
          wav.write(block);
        } catch (error) {
          ctx.log(`stopped writing "${wav.path}": ${error}`);
          wav.close();
          wav = null;
        }
      }
      ctx.send("audio", encodePcmBlock(block, 2, changes.tick - ticks + 1));
      if (behind > ticks) ctx.log(`${behind - ticks} ticks behind the world: skipped`);
      for (const [from, frames] of voices.takeDropped()) {
        ctx.log(`voice from "${from}" runs ahead of the world: ${frames} frames dropped`);
      }
    });
  },
});

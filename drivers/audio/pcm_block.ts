/**
 * The "pcm" port format: one message is a block of 48 kHz audio after a
 * 20-byte header, all little-endian. The audio driver sends its mix on
 * `audio` (stereo, f32) and takes voice on `voice` (mono or stereo, s16 or
 * f32, 48 kHz only).
 *
 * | offset | bytes | field                                                  |
 * | ------ | ----- | ------------------------------------------------------ |
 * | 0      | 4     | magic, ASCII `SPCM`                                    |
 * | 4      | 4     | u32 world tick of the first frame (0 if none)          |
 * | 8      | 4     | u32 sample rate, 48000                                 |
 * | 12     | 1     | u8 channels, 1 or 2                                    |
 * | 13     | 1     | u8 sample encoding: 1 = s16, 3 = f32 (WAV's tags)      |
 * | 14     | 2     | reserved, 0                                            |
 * | 16     | 4     | u32 frames                                             |
 * | 20     | …     | samples, interleaved (L R L R …), frames × channels    |
 *
 * A message whose length is not exactly `20 + frames × channels × bytes per
 * sample` is refused whole.
 *
 * @module
 */

/** The only rate on the ports. */
export const PCM_RATE = 48000;

/** Bytes before the samples. */
export const PCM_HEADER_BYTES = 20;

/** The most frames one message may carry on the voice port: one second. */
export const PCM_MAX_FRAMES = PCM_RATE;

/** Sample encodings, by their WAV format tag. */
export const PcmEncoding = Object.freeze({ S16: 1, F32: 3 } as const);

const MAGIC = [0x53, 0x50, 0x43, 0x4d]; // "SPCM"

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** A decoded block: samples as floats in -1..1, interleaved. */
export interface PcmBlock {
  tick: number;
  channels: 1 | 2;
  frames: number;
  samples: Float32Array;
}

/** Encodes interleaved float samples as a block of `channels` channels in f32. */
export function encodePcmBlock(
  samples: Float32Array,
  channels: 1 | 2,
  tick: number,
  encoding: 1 | 3 = PcmEncoding.F32,
): Uint8Array {
  const frames = samples.length / channels;
  const width = encoding === PcmEncoding.S16 ? 2 : 4;
  const bytes = new Uint8Array(PCM_HEADER_BYTES + samples.length * width);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(4, tick >>> 0, true);
  view.setUint32(8, PCM_RATE, true);
  view.setUint8(12, channels);
  view.setUint8(13, encoding);
  view.setUint32(16, frames, true);
  if (width === 4 && LITTLE_ENDIAN) {
    // The samples' own bytes are the wire's on a little-endian machine (all Deno targets).
    bytes.set(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength), 20);
    return bytes;
  }
  for (let i = 0; i < samples.length; i++) {
    const at = PCM_HEADER_BYTES + i * width;
    if (width === 4) view.setFloat32(at, samples[i]!, true);
    else view.setInt16(at, Math.round(Math.max(-1, Math.min(1, samples[i]!)) * 32767), true);
  }
  return bytes;
}

/** Decodes a block; throws a `RangeError` saying what is wrong with it. */
export function decodePcmBlock(bytes: Uint8Array): PcmBlock {
  if (bytes.length < PCM_HEADER_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new RangeError(
      `Cannot read a pcm block: it does not start with the 20-byte "SPCM" header: ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rate = view.getUint32(8, true);
  const channels = view.getUint8(12);
  const encoding = view.getUint8(13);
  const frames = view.getUint32(16, true);
  if (rate !== PCM_RATE) {
    throw new RangeError(`Cannot mix a pcm block at ${rate} Hz: the ports carry ${PCM_RATE} Hz`);
  }
  if (channels !== 1 && channels !== 2) {
    throw new RangeError(`Cannot mix a pcm block of ${channels} channels: it must be 1 or 2`);
  }
  if (encoding !== PcmEncoding.S16 && encoding !== PcmEncoding.F32) {
    throw new RangeError(
      `Cannot mix a pcm block of encoding ${encoding}: it must be 1 (s16) or 3 (f32)`,
    );
  }
  if (frames > PCM_MAX_FRAMES) {
    throw new RangeError(`Cannot mix a pcm block of ${frames} frames: at most ${PCM_MAX_FRAMES}`);
  }
  const width = encoding === PcmEncoding.S16 ? 2 : 4;
  const expected = PCM_HEADER_BYTES + frames * channels * width;
  if (bytes.length !== expected) {
    throw new RangeError(
      `Cannot mix a pcm block of the wrong size: its header says ${frames} frames of ` +
        `${channels} channels (${expected} bytes), it has ${bytes.length} bytes`,
    );
  }
  const samples = new Float32Array(frames * channels);
  for (let i = 0; i < samples.length; i++) {
    const at = PCM_HEADER_BYTES + i * width;
    const v = width === 4 ? view.getFloat32(at, true) : view.getInt16(at, true) / 32768;
    // A sender's NaN or infinity would poison the whole mix.
    samples[i] = Number.isFinite(v) ? v : 0;
  }
  return { tick: view.getUint32(4, true), channels, frames, samples };
}

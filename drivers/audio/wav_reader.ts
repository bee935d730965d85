/**
 * Reads a RIFF/WAVE file: PCM (8, 16, 24 or 32-bit integers) or IEEE float
 * (32 or 64-bit), plain or WAVE_FORMAT_EXTENSIBLE, any number of channels.
 * The audio driver spatializes mono sources, so the channels are averaged.
 *
 * @module
 */

/** A decoded clip: mono samples in -1..1 at its own rate. */
export interface WavClip {
  sampleRate: number;
  /** Channels in the file (the samples are their average). */
  channels: number;
  samples: Float32Array;
}

const PCM = 1, FLOAT = 3, EXTENSIBLE = 0xfffe;

const fourCc = (view: DataView, at: number) =>
  String.fromCharCode(
    view.getUint8(at),
    view.getUint8(at + 1),
    view.getUint8(at + 2),
    view.getUint8(at + 3),
  );

/**
 * Decodes a WAV file's bytes. Throws a `SyntaxError` for a broken file and a
 * `RangeError` for an encoding it does not read, each saying what it found.
 */
export function readWav(bytes: Uint8Array): WavClip {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12 || fourCc(view, 0) !== "RIFF" || fourCc(view, 8) !== "WAVE") {
    throw new SyntaxError("Cannot read WAV: it does not start with a RIFF/WAVE header");
  }
  let format: { tag: number; channels: number; rate: number; bits: number; align: number } | null =
    null;
  let data: { at: number; length: number } | null = null;
  // Chunks are word-aligned; a writer killed mid-file may leave the data chunk short.
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = fourCc(view, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === "fmt ") {
      if (size < 16 || body + 16 > bytes.length) {
        throw new SyntaxError(`Cannot read WAV: its "fmt " chunk is ${size} bytes, not 16 or more`);
      }
      let tag = view.getUint16(body, true);
      if (tag === EXTENSIBLE && size >= 40 && body + 26 <= bytes.length) {
        // The sub-format GUID starts with the plain format tag.
        tag = view.getUint16(body + 24, true);
      }
      format = {
        tag,
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        align: view.getUint16(body + 12, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === "data") {
      data = { at: body, length: Math.min(size, bytes.length - body) };
      break;
    }
    at = body + size + (size & 1);
  }
  if (!format) throw new SyntaxError(`Cannot read WAV: it has no "fmt " chunk`);
  if (!data) throw new SyntaxError(`Cannot read WAV: it has no "data" chunk`);
  const { tag, channels, rate, bits } = format;
  const integer = tag === PCM && [8, 16, 24, 32].includes(bits);
  const float = tag === FLOAT && (bits === 32 || bits === 64);
  if (!integer && !float) {
    throw new RangeError(
      `Cannot read WAV of format ${tag} with ${bits}-bit samples: it must be PCM of 8, 16, 24 or ` +
        `32 bits or float of 32 or 64 bits`,
    );
  }
  if (channels < 1 || rate < 1000 || rate > 384000) {
    throw new SyntaxError(`Cannot read WAV of ${channels} channels at ${rate} Hz`);
  }
  const width = bits / 8;
  const align = Math.max(format.align, width * channels);
  const frames = Math.floor(data.length / align);
  const samples = new Float32Array(frames);
  const read = sampleReader(view, integer, bits);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += read(data.at + f * align + c * width);
    const v = sum / channels;
    samples[f] = Number.isFinite(v) ? v : 0;
  }
  return { sampleRate: rate, channels, samples };
}

/** One sample at a byte offset, as a float in -1..1. */
function sampleReader(view: DataView, integer: boolean, bits: number): (at: number) => number {
  if (!integer) {
    return bits === 32 ? (at) => view.getFloat32(at, true) : (at) => view.getFloat64(at, true);
  }
  switch (bits) {
    case 8:
      return (at) => (view.getUint8(at) - 128) / 128;
    case 16:
      return (at) => view.getInt16(at, true) / 32768;
    case 24:
      return (
        at,
      ) => ((view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16)) /
        8388608);
    default:
      return (at) => view.getInt32(at, true) / 2147483648;
  }
}

/**
 * Writes a 16-bit PCM WAV file as it grows: the 44-byte header first, then
 * each block appended and the header's two sizes fixed up after it, so a
 * driver killed at any moment leaves a file that reads as everything
 * written until its last block (at worst, the last block is left out).
 *
 * @module
 */

/** Bytes of the canonical header (RIFF, "fmt " of 16 bytes, "data"). */
export const WAV_HEADER_BYTES = 44;

/** The header of a 16-bit PCM WAV holding `dataBytes` bytes of samples. */
export function wavHeader(sampleRate: number, channels: number, dataBytes: number): Uint8Array {
  const header = new Uint8Array(WAV_HEADER_BYTES);
  const view = new DataView(header.buffer);
  const text = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) header[at + i] = s.charCodeAt(i);
  };
  text(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * 2, true);
  view.setUint16(32, channels * 2, true);
  view.setUint16(34, 16, true);
  text(36, "data");
  view.setUint32(40, dataBytes, true);
  return header;
}

/** A WAV file open for appending blocks of interleaved float samples. */
export class WavWriter implements Disposable {
  readonly path: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly #file: Deno.FsFile;
  #dataBytes = 0;
  #scratch = new Uint8Array(0);

  private constructor(path: string, file: Deno.FsFile, sampleRate: number, channels: number) {
    this.path = path;
    this.#file = file;
    this.sampleRate = sampleRate;
    this.channels = channels;
  }

  /** Creates (or empties) `path` and writes the header of an empty file. */
  static create(path: string, sampleRate: number, channels: number): WavWriter {
    const file = Deno.openSync(path, { write: true, create: true, truncate: true });
    const writer = new WavWriter(path, file, sampleRate, channels);
    writeAll(file, wavHeader(sampleRate, channels, 0));
    return writer;
  }

  /** Bytes of samples written so far. */
  get dataBytes(): number {
    return this.#dataBytes;
  }

  /** Appends interleaved samples (clamped to -1..1, rounded to 16 bits) and fixes the header. */
  write(samples: Float32Array): void {
    if (samples.length % this.channels !== 0) {
      throw new RangeError(
        `Cannot write ${samples.length} samples to WAV "${this.path}": not whole frames of ` +
          `${this.channels} channels`,
      );
    }
    // 4 GiB is a WAV's limit: past it the file keeps what fits.
    if (this.#dataBytes + samples.length * 2 > 0xffffffff - 36) return;
    if (this.#scratch.length < samples.length * 2) {
      this.#scratch = new Uint8Array(samples.length * 2);
    }
    const bytes = this.#scratch.subarray(0, samples.length * 2);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < samples.length; i++) {
      const v = Math.max(-1, Math.min(1, samples[i]!));
      view.setInt16(i * 2, Math.round(v * 32767), true);
    }
    this.#file.seekSync(WAV_HEADER_BYTES + this.#dataBytes, Deno.SeekMode.Start);
    writeAll(this.#file, bytes);
    this.#dataBytes += bytes.length;
    // The samples first, then the sizes that cover them: a file cut between the two reads short.
    const sizes = new DataView(new ArrayBuffer(4));
    sizes.setUint32(0, this.#dataBytes, true);
    this.#file.seekSync(40, Deno.SeekMode.Start);
    writeAll(this.#file, new Uint8Array(sizes.buffer));
    sizes.setUint32(0, 36 + this.#dataBytes, true);
    this.#file.seekSync(4, Deno.SeekMode.Start);
    writeAll(this.#file, new Uint8Array(sizes.buffer));
  }

  /** Closes the file (its header is already right). */
  close(): void {
    try {
      this.#file.close();
    } catch {
      // Already closed.
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += file.writeSync(bytes.subarray(done));
}

/**
 * What every codec adapter hands back: the decoded samples as the codec laid them out. The view may
 * point into WASM memory, so adapters pass it to a sink that copies it out before the next decode.
 */
import { CheXDeskError } from '../../errors';
import { codecMessage } from './lazy-wasm';

export type CodecSamples = Uint8Array | Int8Array | Uint16Array | Int16Array;

export interface CodecOutput {
  width: number;
  height: number;
  components: number;
  /** Precision of the codestream (JPEG P, JPEG-LS P, J2K Ssiz). */
  bitsPerSample: number;
  samples: CodecSamples;
  /** Component planes one after another rather than interleaved samples. */
  planar: boolean;
}

export type CodecSink<T> = (out: CodecOutput) => T;

/** What the @cornerstonejs WASM decoders have in common (structurally; their packages ship no types). */
export interface FrameDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; componentCount: number; bitsPerSample: number };
  getDecodedBuffer(): Uint8Array;
}

/**
 * One frame through a @cornerstonejs decoder: the codestream copied into WASM memory, decoded, and
 * its frame info with a view on the decoded buffer (valid until the decoder's next use). A codec
 * failure becomes CorruptData naming the format and the codec.
 */
export function runFrameDecoder(decoder: FrameDecoder, bytes: Uint8Array, format: string, codec: string): Omit<CodecOutput, 'samples' | 'planar'> & { raw: Uint8Array } {
  decoder.getEncodedBuffer(bytes.length).set(bytes);
  try {
    decoder.decode();
  } catch (err) {
    throw new CheXDeskError('CorruptData', `${format} data is corrupt (${codec}: ${codecMessage(err)})`);
  }
  const info = decoder.getFrameInfo();
  return { width: info.width, height: info.height, components: info.componentCount, bitsPerSample: info.bitsPerSample, raw: decoder.getDecodedBuffer() };
}

/**
 * Samples of a decoded buffer: 8-bit as bytes, deeper as 16-bit words in host (little-endian) order,
 * read unsigned: the DICOM layer masks or sign-extends them to Bits Stored. A misaligned WASM view is
 * copied so it can be read as 16-bit.
 */
export function samplesOf(view: ArrayBufferView, bitsPerSample: number): CodecSamples {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (bitsPerSample <= 8) return bytes;
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  return new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >> 1);
}

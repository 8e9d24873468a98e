/** JPEG Lossless, process 14 (any predictor) and SV1, through jpeg-lossless-decoder-js. */
import { CheXDeskError } from '../../errors';
import type { CodecSink } from './codec-output';

let loaded: Promise<typeof import('jpeg-lossless-decoder-js')> | null = null;

export async function decodeJpegLossless<T>(bytes: Uint8Array, bytesPerSample: 1 | 2, sink: CodecSink<T>): Promise<T> {
  loaded ??= import('jpeg-lossless-decoder-js');
  const { Decoder } = await loaded;
  const decoder = new Decoder();
  let out: Uint8Array | Uint16Array;
  try {
    out = decoder.decode(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, bytesPerSample);
  } catch (err) {
    throw new CheXDeskError('CorruptData', `JPEG Lossless data is corrupt (${err instanceof Error ? err.message : String(err)})`);
  }
  return sink({
    width: decoder.xDim,
    height: decoder.yDim,
    components: decoder.numComp,
    bitsPerSample: decoder.precision ?? bytesPerSample * 8,
    planar: false,
    samples: out,
  });
}

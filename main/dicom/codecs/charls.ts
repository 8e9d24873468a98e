/** JPEG-LS (lossless and near-lossless) through CharLS (@cornerstonejs/codec-charls, decode-only build). */
import { runFrameDecoder, samplesOf, type CodecSink } from './codec-output';
import { lazyCodec, silentEmscripten } from './lazy-wasm';

const charls = lazyCodec(
  async () => (await import('@cornerstonejs/codec-charls/decodewasmjs')).default(silentEmscripten()),
  (m) => new m.JpegLSDecoder(),
);

export function decodeJpegLs<T>(bytes: Uint8Array, sink: CodecSink<T>): Promise<T> {
  return charls.use((decoder) => {
    const f = runFrameDecoder(decoder, bytes, 'JPEG-LS', 'CharLS');
    // CharLS writes interleave mode 0 ("none") streams plane by plane.
    const planar = f.components > 1 && decoder.getInterleaveMode() === 0;
    return sink({ width: f.width, height: f.height, components: f.components, bitsPerSample: f.bitsPerSample, planar, samples: samplesOf(f.raw, f.bitsPerSample) });
  });
}

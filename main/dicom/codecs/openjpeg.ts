/** JPEG 2000 (lossless and lossy) through OpenJPEG (@cornerstonejs/codec-openjpeg, decode-only build). */
import { runFrameDecoder, samplesOf, type CodecSink } from './codec-output';
import { lazyCodec, silentEmscripten } from './lazy-wasm';

const openjpeg = lazyCodec(
  async () => (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default(silentEmscripten()),
  (m) => new m.J2KDecoder(),
);

export function decodeJ2k<T>(bytes: Uint8Array, sink: CodecSink<T>): Promise<T> {
  return openjpeg.use((decoder) => {
    const f = runFrameDecoder(decoder, bytes, 'JPEG 2000', 'OpenJPEG');
    return sink({ width: f.width, height: f.height, components: f.components, bitsPerSample: f.bitsPerSample, planar: false, samples: samplesOf(f.raw, f.bitsPerSample) });
  });
}

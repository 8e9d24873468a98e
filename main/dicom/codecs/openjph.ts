/** HTJ2K (all three transfer syntaxes) through OpenJPH (@cornerstonejs/codec-openjph). */
import { runFrameDecoder, samplesOf, type CodecSink } from './codec-output';
import { lazyCodec, silentEmscripten } from './lazy-wasm';

const openjph = lazyCodec(
  async () => (await import('@cornerstonejs/codec-openjph/wasmjs')).default(silentEmscripten()),
  (m) => new m.HTJ2KDecoder(),
);

export function decodeHtj2k<T>(bytes: Uint8Array, sink: CodecSink<T>): Promise<T> {
  return openjph.use((decoder) => {
    const f = runFrameDecoder(decoder, bytes, 'HTJ2K', 'OpenJPH');
    return sink({ width: f.width, height: f.height, components: f.components, bitsPerSample: f.bitsPerSample, planar: false, samples: samplesOf(f.raw, f.bitsPerSample) });
  });
}

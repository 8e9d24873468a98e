/** HTJ2K (all three transfer syntaxes) through OpenJPH (@cornerstonejs/codec-openjph). */
import { CheXDeskError } from '../../errors';
import { samplesOf, type CodecSink } from './codec-output';
import { codecMessage, lazyCodec, silentEmscripten } from './lazy-wasm';

const openjph = lazyCodec(
  async () => (await import('@cornerstonejs/codec-openjph/wasmjs')).default(silentEmscripten()),
  (m) => new m.HTJ2KDecoder(),
);

export function decodeHtj2k<T>(bytes: Uint8Array, sink: CodecSink<T>): Promise<T> {
  return openjph.use((decoder) => {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    try {
      decoder.decode();
    } catch (err) {
      throw new CheXDeskError('CorruptData', `HTJ2K data is corrupt (OpenJPH: ${codecMessage(err)})`);
    }
    const info = decoder.getFrameInfo();
    const raw = decoder.getDecodedBuffer();
    return sink({
      width: info.width,
      height: info.height,
      components: info.componentCount,
      bitsPerSample: info.bitsPerSample,
      planar: false,
      samples: samplesOf(raw, info.bitsPerSample),
    });
  });
}

/** JPEG 2000 (lossless and lossy) through OpenJPEG (@cornerstonejs/codec-openjpeg, decode-only build). */
import { CheXDeskError } from '../../errors';
import { samplesOf, type CodecSink } from './codec-output';
import { codecMessage, lazyCodec, silentEmscripten } from './lazy-wasm';

const openjpeg = lazyCodec(
  async () => (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default(silentEmscripten()),
  (m) => new m.J2KDecoder(),
);

export function decodeJ2k<T>(bytes: Uint8Array, sink: CodecSink<T>): Promise<T> {
  return openjpeg.use((decoder) => {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    try {
      decoder.decode();
    } catch (err) {
      throw new CheXDeskError('CorruptData', `JPEG 2000 data is corrupt (OpenJPEG: ${codecMessage(err)})`);
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

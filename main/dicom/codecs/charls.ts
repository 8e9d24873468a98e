/** JPEG-LS (lossless and near-lossless) through CharLS (@cornerstonejs/codec-charls, decode-only build). */
import { CheXDeskError } from '../../errors';
import { samplesOf, type CodecSink } from './codec-output';
import { codecMessage, lazyCodec, silentEmscripten } from './lazy-wasm';

const charls = lazyCodec(
  async () => (await import('@cornerstonejs/codec-charls/decodewasmjs')).default(silentEmscripten()),
  (m) => new m.JpegLSDecoder(),
);

export function decodeJpegLs<T>(bytes: Uint8Array, sink: CodecSink<T>): Promise<T> {
  return charls.use((decoder) => {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    try {
      decoder.decode();
    } catch (err) {
      throw new CheXDeskError('CorruptData', `JPEG-LS data is corrupt (CharLS: ${codecMessage(err)})`);
    }
    const info = decoder.getFrameInfo();
    const raw = decoder.getDecodedBuffer();
    return sink({
      width: info.width,
      height: info.height,
      components: info.componentCount,
      bitsPerSample: info.bitsPerSample,
      // CharLS writes interleave mode 0 ("none") streams plane by plane.
      planar: info.componentCount > 1 && decoder.getInterleaveMode() === 0,
      samples: samplesOf(raw, info.bitsPerSample),
    });
  });
}

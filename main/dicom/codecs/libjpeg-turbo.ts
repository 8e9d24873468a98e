/**
 * DCT JPEG (Baseline and Extended) through libjpeg-turbo (@cornerstonejs/codec-libjpeg-turbo-8bit,
 * decode-only build) for 8-bit streams; 12-bit streams go to the hand-written decoder in jpeg12.ts
 * because the package is an 8-bit build.
 */
import { runFrameDecoder, samplesOf, type CodecSink } from './codec-output';
import { decodeJpegSequential } from './jpeg12';
import { lazyCodec, silentEmscripten } from './lazy-wasm';
import { findJpegMarkers } from '../codestream-header';

const libjpeg = lazyCodec(
  async () => (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')).default(silentEmscripten()),
  (m) => new m.JPEGDecoder(),
);

/**
 * libjpeg decides whether 3 components are YCbCr from JFIF/Adobe markers and component ids, and
 * the build gives no way to set it. DICOM decides by Photometric Interpretation (PS3.5 8.2.1), so
 * when the two disagree we add an Adobe APP14 marker that states the DICOM answer (as GDCM sets
 * jpeg_color_space from the photometric): RGB -> transform 0, YBR_* -> transform 1.
 */
export function withColorTransformMarker(stream: Uint8Array, photometric: string): Uint8Array {
  const m = findJpegMarkers(stream);
  if (!m.sof || m.sof.components !== 3 || m.hasJfif || m.hasAdobe) return stream;
  const ids = m.sof.componentIds;
  const looksRgb = ids[0] === 0x52 && ids[1] === 0x47 && ids[2] === 0x42;
  const wantRgb = photometric === 'RGB';
  if (wantRgb === looksRgb) return stream;
  const app14 = new Uint8Array([0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, wantRgb ? 0 : 1]);
  const out = new Uint8Array(stream.length + app14.length);
  out.set(stream.subarray(0, 2), 0);
  out.set(app14, 2);
  out.set(stream.subarray(2), 2 + app14.length);
  return out;
}

export async function decodeJpegDct<T>(bytes: Uint8Array, photometric: string, sink: CodecSink<T>): Promise<T> {
  const m = findJpegMarkers(bytes);
  if (m.sof && m.sof.precision > 8) {
    const out = decodeJpegSequential(bytes);
    return sink({ width: out.width, height: out.height, components: out.components, bitsPerSample: out.precision, planar: false, samples: out.samples });
  }
  const stream = withColorTransformMarker(bytes, photometric);
  return libjpeg.use((decoder) => {
    const f = runFrameDecoder(decoder, stream, 'JPEG', 'libjpeg-turbo');
    return sink({ width: f.width, height: f.height, components: f.components, bitsPerSample: f.bitsPerSample, planar: false, samples: samplesOf(f.raw, 8) });
  });
}

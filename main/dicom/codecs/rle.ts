/**
 * RLE Lossless (PS3.5 Annex G). Written by hand: no npm package decodes DICOM RLE on its own (the
 * viewers keep private copies), and the format is a 64-byte header plus PackBits segments.
 *
 * Output: interleaved samples of bytesPerSample bytes, little-endian, exactly what a native
 * little-endian frame would hold.
 */
import { CheXDeskError } from '../../errors';

function corrupt(reason: string): CheXDeskError {
  return new CheXDeskError('CorruptData', `RLE data is corrupt: ${reason}`);
}

export function decodeRle(data: Uint8Array, rows: number, columns: number, samplesPerPixel: number, bytesPerSample: number): Uint8Array {
  if (data.length < 64) throw corrupt('the RLE header is incomplete');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const segments = view.getUint32(0, true);
  const expected = samplesPerPixel * bytesPerSample;
  if (segments !== expected) throw corrupt(`${segments} segments where ${expected} are needed`);
  const offsets: number[] = [];
  for (let i = 0; i < segments; i++) offsets.push(view.getUint32(4 + 4 * i, true));
  const pixels = rows * columns;
  const out = new Uint8Array(pixels * expected);
  for (let s = 0; s < segments; s++) {
    const start = offsets[s]!;
    const end = s + 1 < segments ? offsets[s + 1]! : data.length;
    if (start < 64 || end > data.length || end < start) throw corrupt(`segment ${s + 1} lies outside the fragment`);
    // Segment order: per sample, most significant byte first; little-endian output puts it last.
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
    const stride = expected;
    let o = sample * bytesPerSample + byteInSample;
    let written = 0;
    let p = start;
    while (p < end && written < pixels) {
      const n = data[p++]!;
      if (n < 128) {
        const count = n + 1;
        if (p + count > end) throw corrupt('a literal run runs past its segment');
        const take = Math.min(count, pixels - written);
        for (let k = 0; k < take; k++, o += stride) out[o] = data[p + k]!;
        written += take;
        p += count;
      } else if (n > 128) {
        const count = 257 - n;
        if (p >= end) throw corrupt('a replicate run has no byte');
        const b = data[p++]!;
        const take = Math.min(count, pixels - written);
        for (let k = 0; k < take; k++, o += stride) out[o] = b;
        written += take;
      }
      // n = 128 is a no-op.
    }
    if (written < pixels) throw corrupt(`segment ${s + 1} holds ${written} of ${pixels} bytes`);
  }
  return out;
}

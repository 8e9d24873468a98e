/**
 * Colour stored values -> interleaved 8-bit RGB for display. YBR_FULL uses the full-range BT.601
 * matrix of PS3.3 C.7.6.3.1.2 with the arithmetic pydicom's convert_color_space uses (float, +0.5,
 * floor, clip), so our RGB equals the manifest's rgb_frame0_sha256; YBR_PARTIAL_422 uses the
 * partial-range (16..235 / 16..240) matrix.
 */
import type { StoredArray } from '../image/types';

/** Samples of more than 8 bits are brought to 8 by dropping their low bits. */
function to8(values: StoredArray, bitsStored: number): ArrayLike<number> {
  if (bitsStored <= 8 && values instanceof Uint8Array) return values;
  const shift = Math.max(bitsStored - 8, 0);
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]! >> shift;
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}

const clip = (x: number): number => (x < 0 ? 0 : x > 255 ? 255 : x);

function ybrFullToRgb(src: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(src.length);
  const gCb = (0.114 * 1.772) / 0.587;
  const gCr = (0.299 * 1.402) / 0.587;
  for (let i = 0; i < src.length; i += 3) {
    const y = src[i]!;
    const cb = src[i + 1]! - 128;
    const cr = src[i + 2]! - 128;
    out[i] = clip(Math.floor(y + 1.402 * cr + 0.5));
    out[i + 1] = clip(Math.floor(y - gCb * cb - gCr * cr + 0.5));
    out[i + 2] = clip(Math.floor(y + 1.772 * cb + 0.5));
  }
  return out;
}

function ybrPartialToRgb(src: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    const y = 1.1644 * (src[i]! - 16);
    const cb = src[i + 1]! - 128;
    const cr = src[i + 2]! - 128;
    out[i] = clip(Math.floor(y + 1.5960 * cr + 0.5));
    out[i + 1] = clip(Math.floor(y - 0.3917 * cb - 0.8129 * cr + 0.5));
    out[i + 2] = clip(Math.floor(y + 2.0172 * cb + 0.5));
  }
  return out;
}

/** valuesColorSpace 'YBR' means the values are still Y, Cb, Cr in the photometric's range. */
export function colorToRgb8(values: StoredArray, bitsStored: number, ybr: 'full' | 'partial' | null): Uint8Array {
  const v8 = to8(values, bitsStored);
  if (ybr === 'full') return ybrFullToRgb(v8);
  if (ybr === 'partial') return ybrPartialToRgb(v8);
  return v8 instanceof Uint8Array ? v8 : Uint8Array.from(v8);
}

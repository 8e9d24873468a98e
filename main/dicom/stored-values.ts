/**
 * Stored values as PS3.3 C.7.6.3.1 defines them: Bits Stored wide, masked (unsigned) or
 * sign-extended (signed) out of their Bits Allocated container, in the natural typed array, samples
 * interleaved. Native frames (little or big endian, planar or not, YBR_FULL_422 chroma pairs) and
 * codec output both go through here, in one pass from the source into the new array.
 */
import type { StoredArray } from '../image/types';
import type { CodecOutput } from './codecs/codec-output';
import { isChromaSubsampled, type ImageAttributes } from './image-attributes';

export function allocStored(attrs: ImageAttributes): StoredArray {
  const n = attrs.rows * attrs.columns * attrs.samplesPerPixel;
  const signed = attrs.pixelRepresentation === 1;
  switch (attrs.bitsAllocated) {
    case 8:
      return signed ? new Int8Array(n) : new Uint8Array(n);
    case 16:
      return signed ? new Int16Array(n) : new Uint16Array(n);
    default:
      return signed ? new Int32Array(n) : new Uint32Array(n);
  }
}

/**
 * Copies src (samples of `components` channels, planar or interleaved) into dst interleaved,
 * normalised to Bits Stored: masked when unsigned, sign-extended from bit bitsStored-1 when signed.
 * Two plain loops rather than a per-sample callback: this runs over every sample of every frame.
 */
function copyNormalised(dst: StoredArray, src: ArrayLike<number>, pixels: number, components: number, planar: boolean, bitsStored: number, signed: boolean): void {
  const n = pixels * components;
  const shift = 32 - bitsStored;
  const mask = bitsStored >= 32 ? 0xffffffff : 2 ** bitsStored - 1;
  const stride = planar && components > 1 ? components : 1;
  const planeLength = stride === 1 ? n : pixels;
  for (let c = 0; c < stride; c++) {
    const base = c * planeLength;
    if (signed) {
      for (let p = 0, o = c; p < planeLength; p++, o += stride) dst[o] = (src[base + p]! << shift) >> shift;
    } else {
      for (let p = 0, o = c; p < planeLength; p++, o += stride) dst[o] = (src[base + p]! & mask) >>> 0;
    }
  }
}

/** The bytes of a native frame as numbers of the container width, in host order. */
function nativeSamples(bytes: Uint8Array, bitsAllocated: number, littleEndian: boolean, vr: string | undefined): ArrayLike<number> {
  if (bitsAllocated === 8) {
    // OW in big endian is byte-swapped in 16-bit words, even for 8-bit samples (PS3.5 7.3).
    if (!littleEndian && vr === 'OW') {
      const out = new Uint8Array(bytes.length);
      for (let i = 0; i + 1 < bytes.length; i += 2) {
        out[i] = bytes[i + 1]!;
        out[i + 1] = bytes[i]!;
      }
      return out;
    }
    return bytes;
  }
  const width = bitsAllocated / 8;
  const n = bytes.length / width;
  if (littleEndian && bytes.byteOffset % width === 0) {
    return width === 2 ? new Uint16Array(bytes.buffer, bytes.byteOffset, n) : new Uint32Array(bytes.buffer, bytes.byteOffset, n);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (width === 2) {
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getUint16(2 * i, littleEndian);
    return out;
  }
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getUint32(4 * i, littleEndian);
  return out;
}

/** Y1 Y2 Cb Cr (one chroma pair per two pixels) -> Y Cb Cr per pixel. */
function expandChromaPairs(src: ArrayLike<number>, pixels: number): number[] | Uint32Array {
  const out = new Uint32Array(pixels * 3);
  for (let p = 0, s = 0; p < pixels; p += 2, s += 4) {
    const cb = src[s + 2]!;
    const cr = src[s + 3]!;
    const o = p * 3;
    out[o] = src[s]!;
    out[o + 1] = cb;
    out[o + 2] = cr;
    out[o + 3] = src[s + 1]!;
    out[o + 4] = cb;
    out[o + 5] = cr;
  }
  return out;
}

export function storedFromNative(bytes: Uint8Array, attrs: ImageAttributes, littleEndian: boolean, vr: string | undefined): StoredArray {
  const pixels = attrs.rows * attrs.columns;
  let src = nativeSamples(bytes, attrs.bitsAllocated, littleEndian, vr);
  let planar = attrs.planarConfiguration === 1;
  if (isChromaSubsampled(attrs.photometric)) {
    src = expandChromaPairs(src, pixels);
    planar = false;
  }
  const dst = allocStored(attrs);
  copyNormalised(dst, src, pixels, attrs.samplesPerPixel, planar, attrs.bitsStored, attrs.pixelRepresentation === 1);
  return dst;
}

export function storedFromCodec(out: CodecOutput, attrs: ImageAttributes): StoredArray {
  const dst = allocStored(attrs);
  copyNormalised(dst, out.samples, attrs.rows * attrs.columns, attrs.samplesPerPixel, out.planar, attrs.bitsStored, attrs.pixelRepresentation === 1);
  return dst;
}

/** Stored values from little-endian sample bytes (RLE output, encapsulated uncompressed frames). */
export function storedFromLittleEndianBytes(bytes: Uint8Array, attrs: ImageAttributes, planar: boolean): StoredArray {
  const src = nativeSamples(bytes, attrs.bitsAllocated, true, undefined);
  const dst = allocStored(attrs);
  copyNormalised(dst, src, attrs.rows * attrs.columns, attrs.samplesPerPixel, planar, attrs.bitsStored, attrs.pixelRepresentation === 1);
  return dst;
}

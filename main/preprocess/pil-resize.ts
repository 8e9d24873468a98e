/**
 * Pillow 9.4's `Image.resize(size, Image.BILINEAR)` for 8-bit images (libImaging/Resample.c), ported
 * operation for operation. Written by hand because no library reproduces it: sharp/libvips, canvas and
 * the ONNX Resize op all resample differently, and the reference CheXNet pipeline (torchvision on PIL
 * images) resizes with exactly this code. The stand-in model moves by up to 0.03 for +-1 level noise
 * after the resize, so being "close" is not enough; this port is bit-identical to Pillow (checked against
 * Pillow itself in test/unit/preprocess-resize.test.ts).
 *
 * What makes Pillow's BILINEAR what it is:
 * - a separable convolution with a triangle filter whose support is scaled by the reduction factor,
 *   so it antialiases when downscaling (it is not 4-tap bilinear sampling);
 * - weights computed in double, normalised, then turned into 22-bit fixed point rounded half away
 *   from zero; each sum starts at 1 << 21, is shifted right by 22 and clamped to 0..255;
 * - the horizontal pass runs first, over only the source rows the vertical pass will read, into a
 *   uint8 intermediate image, then the vertical pass;
 * - a pass whose size does not change is skipped (with the default box; if both are skipped Pillow
 *   returns a copy).
 */

/** 32 - 8 - 2: 8 bits of result, 2 for overflow and the sign, as Resample.c. */
const PRECISION_BITS = 22;

interface Coefficients {
  /** Taps per output sample (the stride of `weights`). */
  ksize: number;
  /** Per output sample: first source index, number of taps. */
  bounds: Int32Array;
  /** Fixed-point weights, ksize per output sample. */
  weights: Int32Array;
}

function bilinearFilter(x: number): number {
  if (x < 0) x = -x;
  if (x < 1) return 1 - x;
  return 0;
}

/** precompute_coeffs + normalize_coeffs_8bpc with box (0, inSize) and the BILINEAR filter (support 1). */
function precomputeCoefficients(inSize: number, outSize: number): Coefficients {
  // The box edges are C floats; in1 - in0 = inSize is exact for every size Pillow accepts.
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = 1.0 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1.0 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = 0 + (xx + 0.5) * scale;
    let ww = 0.0;
    // (int) casts truncate towards zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    for (let x = 0; x < xmax; x++) {
      // Same operation order as C: ((x + xmin) - center + 0.5) * ss, a multiplication by 1/filterscale.
      const w = bilinearFilter((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      if (ww !== 0.0) k[x] = k[x]! / ww;
    }
    for (let x = 0; x < ksize; x++) {
      const v = x < xmax ? k[x]! : 0;
      // normalize_coeffs_8bpc: (int)(+-0.5 + v * (1 << PRECISION_BITS)).
      weights[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

/** clip8: the sum's integer part (arithmetic shift), clamped to 0..255. */
function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * ImagingResampleHorizontal_8bpc for output columns [col0, col0 + cols) over source rows
 * [rowOffset, rowOffset + outRows). `channels` bands interleaved; each band is filtered independently
 * with the same integer arithmetic, as Pillow does (1 and 3 bands have their own loops for speed).
 */
function resampleHorizontal(
  src: Uint8Array,
  inWidth: number,
  channels: number,
  rowOffset: number,
  outRows: number,
  col0: number,
  cols: number,
  c: Coefficients,
): Uint8Array {
  const out = new Uint8Array(cols * outRows * channels);
  const { ksize, bounds, weights } = c;
  const inStride = inWidth * channels;
  const half = 1 << (PRECISION_BITS - 1);
  let o = 0;
  for (let yy = 0; yy < outRows; yy++) {
    const rowStart = (yy + rowOffset) * inStride;
    for (let xx = col0; xx < col0 + cols; xx++) {
      const xmin = bounds[xx * 2]!;
      const taps = bounds[xx * 2 + 1]!;
      const kOffset = xx * ksize;
      let p = rowStart + xmin * channels;
      if (channels === 1) {
        let ss = half;
        for (let x = 0; x < taps; x++) ss += src[p + x]! * weights[kOffset + x]!;
        out[o++] = clip8(ss);
      } else if (channels === 3) {
        let s0 = half;
        let s1 = half;
        let s2 = half;
        for (let x = 0; x < taps; x++, p += 3) {
          const k = weights[kOffset + x]!;
          s0 += src[p]! * k;
          s1 += src[p + 1]! * k;
          s2 += src[p + 2]! * k;
        }
        out[o++] = clip8(s0);
        out[o++] = clip8(s1);
        out[o++] = clip8(s2);
      } else {
        for (let b = 0; b < channels; b++) {
          let ss = half;
          for (let x = 0; x < taps; x++) ss += src[p + x * channels + b]! * weights[kOffset + x]!;
          out[o++] = clip8(ss);
        }
      }
    }
  }
  return out;
}

/**
 * ImagingResampleVertical_8bpc for output rows [row0, row0 + rows): `bounds` index rows of `src`
 * (`stride` bytes each). Accumulates whole rows tap by tap; the sums are the same integers in the same
 * order as Pillow's per-pixel loop, so the results are identical.
 */
function resampleVertical(src: Uint8Array, stride: number, row0: number, rows: number, c: Coefficients): Uint8Array {
  const out = new Uint8Array(stride * rows);
  const { ksize, bounds, weights } = c;
  const half = 1 << (PRECISION_BITS - 1);
  // Sums stay below 2^31: 255 * (1 << 22) plus rounding.
  const acc = new Int32Array(stride);
  for (let yy = row0; yy < row0 + rows; yy++) {
    const ymin = bounds[yy * 2]!;
    const taps = bounds[yy * 2 + 1]!;
    const kOffset = yy * ksize;
    acc.fill(half);
    for (let y = 0; y < taps; y++) {
      const k = weights[kOffset + y]!;
      const base = (ymin + y) * stride;
      for (let i = 0; i < stride; i++) acc[i] = acc[i]! + src[base + i]! * k;
    }
    const outRow = (yy - row0) * stride;
    for (let i = 0; i < stride; i++) out[outRow + i] = clip8(acc[i]!);
  }
  return out;
}

/** A rectangle of the resized image: only these output pixels are computed. */
export interface ResizeWindow {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Resizes an 8-bit image (row-major, `channels` interleaved bands) to outWidth x outHeight exactly as
 * Pillow 9.4's resize with Image.BILINEAR and the default box. Returns a new array (a copy when the
 * size does not change). With `window`, returns only that rectangle of the result (each output pixel
 * depends only on its own coefficients, so the values are the same as in the full result): center
 * mode needs only its crop.
 */
export function pilResizeBilinear(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
  window: ResizeWindow = { left: 0, top: 0, width: outWidth, height: outHeight },
): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`source size ${width}x${height} is invalid`);
  if (!Number.isInteger(outWidth) || !Number.isInteger(outHeight) || outWidth < 1 || outHeight < 1) throw new RangeError(`target size ${outWidth}x${outHeight} is invalid`);
  if (src.length !== width * height * channels) throw new RangeError(`expected ${width * height * channels} samples for ${width}x${height}x${channels}, got ${src.length}`);
  const { left, top, width: ww, height: wh } = window;
  if (!(left >= 0 && top >= 0 && ww >= 1 && wh >= 1 && left + ww <= outWidth && top + wh <= outHeight)) {
    throw new RangeError(`window ${JSON.stringify(window)} is not inside ${outWidth}x${outHeight}`);
  }
  const needHorizontal = outWidth !== width;
  const needVertical = outHeight !== height;
  const vertical = precomputeCoefficients(height, outHeight);
  // The source rows the vertical pass reads (Pillow: ybox_first, ybox_last; here for the window's rows).
  const firstRow = vertical.bounds[top * 2]!;
  const lastRow = vertical.bounds[(top + wh - 1) * 2]! + vertical.bounds[(top + wh - 1) * 2 + 1]!;
  let image: Uint8Array;
  let imageWidth: number;
  if (needHorizontal) {
    const horizontal = precomputeCoefficients(width, outWidth);
    for (let i = top; i < top + wh; i++) vertical.bounds[i * 2] = vertical.bounds[i * 2]! - firstRow;
    image = resampleHorizontal(src, width, channels, firstRow, lastRow - firstRow, left, ww, horizontal);
    imageWidth = ww;
  } else {
    // No horizontal pass: the vertical pass reads the source's window columns in place of the
    // horizontal result (identical to Pillow, which reads the source itself).
    image = cropColumns(src, width, height, channels, left, ww);
    imageWidth = ww;
  }
  if (needVertical) return resampleVertical(image, imageWidth * channels, top, wh, vertical);
  // Identity vertical pass (skipped by Pillow too): the horizontal result's rows are the output rows.
  if (needHorizontal) return image.subarray((top - firstRow) * imageWidth * channels, (top - firstRow + wh) * imageWidth * channels);
  return cropRows(image, imageWidth * channels, top, wh);
}

function cropColumns(src: Uint8Array, width: number, height: number, channels: number, left: number, cols: number): Uint8Array {
  if (left === 0 && cols === width) return src;
  const out = new Uint8Array(cols * height * channels);
  for (let y = 0; y < height; y++) out.set(src.subarray((y * width + left) * channels, (y * width + left + cols) * channels), y * cols * channels);
  return out;
}

function cropRows(src: Uint8Array, stride: number, top: number, rows: number): Uint8Array {
  return src.slice(top * stride, (top + rows) * stride);
}

/**
 * From the resized 8-bit image to the model's Float32 NCHW input: crop, ToTensor, Normalize, in
 * torchvision's float32 arithmetic. Every 8-bit level maps to one float, so the arithmetic is done once
 * per level into a 256-entry table per channel and the crops are table look-ups.
 */
import type { CropBox, Size } from './geometry';

export interface Normalization {
  /** Pixel range before mean/std: [0, 1] is ToTensor. */
  scale: [number, number];
  /** One per model channel, or one for all. */
  mean: number[];
  std: number[];
}

/**
 * Level v (0..255) -> model input for each of `channels` channels, rounded to float32 after every
 * operation as torch does in float32: x = v / 255 (ToTensor's div), then x * (high - low) + low
 * (the identity for [0, 1]), then (x - mean) / std (Normalize's sub_ and div_ with float32 mean/std).
 * Each step is one double operation on float32 values rounded to float32, which equals the float32
 * operation (double has more than 2 * 24 + 2 bits).
 */
export function normalizationTables(norm: Normalization, channels: number): Float32Array[] {
  const [low, high] = norm.scale;
  const range = Math.fround(high - low);
  const tables: Float32Array[] = [];
  for (let c = 0; c < channels; c++) {
    const mean = Math.fround(norm.mean.length === 1 ? norm.mean[0]! : norm.mean[c]!);
    const std = Math.fround(norm.std.length === 1 ? norm.std[0]! : norm.std[c]!);
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) {
      let x = Math.fround(v / 255);
      if (low !== 0 || high !== 1) x = Math.fround(Math.fround(x * range) + Math.fround(low));
      table[v] = Math.fround(Math.fround(x - mean) / std);
    }
    tables.push(table);
  }
  return tables;
}

/** Where a (possibly partial) resized image sits: the pixels of `region` of a `size` image. */
export interface ResizedView {
  pixels: Uint8Array;
  /** The whole resized image's size (mirroring is about its full width). */
  size: Size;
  /** The part of it `pixels` holds, row-major. */
  region: { left: number; top: number; width: number; height: number };
  bands: 1 | 3;
}

/**
 * Writes each crop of the resized image as [channels, size, size] planes, one after the other, into
 * `out` from `offset` (crop k at offset + k * channels * size * size). A 1-band source feeds every
 * channel (PIL's convert('RGB') of a gray image replicates it), through each channel's own table.
 */
export function writeCrops(view: ResizedView, boxes: CropBox[], tables: Float32Array[], out: Float32Array, offset = 0): void {
  const { pixels, size, region, bands } = view;
  const channels = tables.length;
  if (bands !== 1 && bands !== channels) throw new RangeError(`a ${bands}-band image cannot feed a ${channels}-channel model`);
  const W = size.width;
  const RW = region.width;
  for (let k = 0; k < boxes.length; k++) {
    const box = boxes[k]!;
    const S = box.size;
    // The crop's columns in the unmirrored resized image.
    const x0 = box.flipped ? W - box.left - S : box.left;
    if (x0 < region.left || box.top < region.top || x0 + S > region.left + RW || box.top + S > region.top + region.height) {
      throw new RangeError(`crop ${JSON.stringify(box)} lies outside the resized region ${JSON.stringify(region)}`);
    }
    const cropBase = offset + k * channels * S * S;
    for (let c = 0; c < channels; c++) {
      const table = tables[c]!;
      const band = bands === 1 ? 0 : c;
      const planeBase = cropBase + c * S * S;
      for (let y = 0; y < S; y++) {
        const rowBase = (box.top + y - region.top) * RW;
        const outRow = planeBase + y * S;
        if (box.flipped) {
          // Column x of the mirrored image is column W - 1 - x of the resized image.
          let src = (rowBase + W - 1 - box.left - region.left) * bands + band;
          for (let x = 0; x < S; x++, src -= bands) out[outRow + x] = table[pixels[src]!]!;
        } else {
          let src = (rowBase + box.left - region.left) * bands + band;
          for (let x = 0; x < S; x++, src += bands) out[outRow + x] = table[pixels[src]!]!;
        }
      }
    }
  }
}

/** The smallest rectangle of the resized image that holds every crop (mirrored crops unmirrored). */
export function cropsRegion(size: Size, boxes: CropBox[]): ResizedView['region'] {
  let left = Infinity;
  let top = Infinity;
  let right = -Infinity;
  let bottom = -Infinity;
  for (const b of boxes) {
    const x0 = b.flipped ? size.width - b.left - b.size : b.left;
    left = Math.min(left, x0);
    top = Math.min(top, b.top);
    right = Math.max(right, x0 + b.size);
    bottom = Math.max(bottom, b.top + b.size);
  }
  return { left, top, width: right - left, height: bottom - top };
}

/** PIL's convert('L') of RGB (libImaging/Convert.c L24): (R*19595 + G*38470 + B*7471 + 0x8000) >> 16. */
export function rgbToGray(rgb: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  for (let i = 0, j = 0; i < pixels; i++, j += 3) {
    out[i] = (rgb[j]! * 19595 + rgb[j + 1]! * 38470 + rgb[j + 2]! * 7471 + 0x8000) >>> 16;
  }
  return out;
}

/**
 * A half-resolution copy of a large gray frame (2x2 box average of the stored values), remapped
 * instead of the full frame while W/L is being dragged on an image shown at less than half its size:
 * a quarter of the pixels, and on screen the same picture, since the display shrinks it further.
 * The full-resolution rendering is restored as soon as the drag ends.
 */
import type { GrayFrame, StoredArray } from '../../main/image/types';

/** Frames below this many pixels remap fast enough at full size. */
export const HALF_RES_MIN_PIXELS = 2_000_000;

export function halveFrame(frame: GrayFrame): GrayFrame {
  const w = frame.columns >> 1;
  const h = frame.rows >> 1;
  const src = frame.stored;
  const out = new (src.constructor as new (n: number) => StoredArray)(w * h);
  const cols = frame.columns;
  for (let y = 0; y < h; y++) {
    let i = 2 * y * cols;
    let j = y * w;
    for (let x = 0; x < w; x++, i += 2, j++) {
      // The average of values in [min, max] stays in it, so the frame's lookup table still covers it.
      out[j] = Math.round((src[i]! + src[i + 1]! + src[i + cols]! + src[i + cols + 1]!) / 4);
    }
  }
  return { ...frame, rows: h, columns: w, stored: out };
}

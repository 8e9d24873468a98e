/**
 * Window/level in the renderer: the stored values arrive once, and every window change only rebuilds a
 * stored-value -> RGBA table (through render8's display8, the same PS3.3 pipeline the core uses for the
 * model input) and maps the pixels through it. One Uint32 per pixel written into an ImageData's buffer
 * keeps a 2500x2048 16-bit frame near 6 ms per remap in Chromium without a GPU.
 */
import type { FrameHeader, FrameResult } from '../../main/api';
import type { GrayFrame, ModalityLut, StoredArray, Voi } from '../../main/image/types';
import { display8, modalityValue, voiValue } from '../../main/image/render8';

/** Tables beyond this many entries are not built; such frames are mapped pixel by pixel. */
const MAX_TABLE = 1 << 20;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A gray pixel as one RGBA word in the platform's byte order (ImageData is R,G,B,A in memory). */
export function grayWord(g: number): number {
  return LITTLE_ENDIAN ? (0xff000000 | (g << 16) | (g << 8) | g) >>> 0 : ((g << 24) | (g << 16) | (g << 8) | 0xff) >>> 0;
}

export function rgbWord(r: number, g: number, b: number): number {
  return rgbaWord(r, g, b, 255);
}

export function rgbaWord(r: number, g: number, b: number, a: number): number {
  return LITTLE_ENDIAN ? ((a << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | a) >>> 0;
}

function modalityFrom(h: Extract<FrameHeader, { kind: 'gray' }>['modality']): ModalityLut {
  return h.kind === 'table' ? { kind: 'table', firstMapped: h.firstMapped, table: Float64Array.from(h.table), explanation: h.explanation } : h;
}

export function voiFrom(v: Extract<FrameHeader, { kind: 'gray' }>['voi']): Voi {
  return v.kind === 'table' ? { kind: 'table', firstMapped: v.firstMapped, bits: v.bits, table: Uint16Array.from(v.table), source: 'tags', explanation: v.explanation } : v;
}

/** The GrayFrame of render8 rebuilt from what getFrame sent. */
export function grayFrameOf(result: FrameResult): GrayFrame {
  const h = result.header;
  if (h.kind !== 'gray') throw new Error('not a gray frame');
  return {
    kind: 'gray',
    rows: h.rows,
    columns: h.columns,
    stored: result.pixels,
    bitsStored: h.bitsStored,
    signed: h.signed,
    modality: modalityFrom(h.modality),
    voi: voiFrom(h.voi),
    invert: h.invert,
    paddingValue: h.paddingValue,
    min: h.min,
    max: h.max,
  };
}

export interface RgbaTable {
  offset: number;
  table: Uint32Array;
}

/** Stored value -> RGBA word over every stored value the frame can hold, or null when that range is too wide. */
export function grayTable(frame: GrayFrame, voi: Voi, invert: boolean): RgbaTable | null {
  const lo = Math.min(frame.min, frame.paddingValue ?? frame.min);
  const hi = Math.max(frame.max, frame.paddingValue ?? frame.max);
  if (!(hi - lo < MAX_TABLE)) return null;
  const table = new Uint32Array(hi - lo + 1);
  for (let v = lo; v <= hi; v++) table[v - lo] = grayWord(display8(frame, v, voi, invert));
  return { offset: lo, table };
}

/** Maps every stored value to its RGBA word. `out` is a Uint32Array view on an ImageData's pixels. */
export function mapGray(frame: GrayFrame, voi: Voi, invert: boolean, out: Uint32Array): void {
  const src: StoredArray = frame.stored;
  const n = Math.min(out.length, src.length);
  const lut = grayTable(frame, voi, invert);
  if (lut) {
    const { offset, table } = lut;
    // The hot loop: kept free of branches and calls so V8 compiles it to a tight gather.
    if (offset === 0) for (let i = 0; i < n; i++) out[i] = table[src[i]!]!;
    else for (let i = 0; i < n; i++) out[i] = table[src[i]! - offset]!;
    return;
  }
  for (let i = 0; i < n; i++) out[i] = grayWord(display8(frame, src[i]!, voi, invert));
}

/** RGB frames: the same window applied to each channel's 0..255 value (default: identity). */
export function mapRgb(rgb: Uint8Array, voi: Voi | null, invert: boolean, out: Uint32Array): void {
  const ch = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    const y = voi ? Math.round(voiValue(voi, v) * 255) : v;
    ch[v] = invert ? 255 - y : y;
  }
  const n = Math.min(out.length, rgb.length / 3);
  for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = rgbWord(ch[rgb[j]!]!, ch[rgb[j + 1]!]!, ch[rgb[j + 2]!]!);
}

/** The modality range of a frame (min..max of stored mapped through the modality LUT). */
export function modalityRange(frame: GrayFrame): { lo: number; hi: number } {
  const a = modalityValue(frame.modality, frame.min);
  const b = modalityValue(frame.modality, frame.max);
  if (frame.modality.kind === 'table') {
    let lo = Infinity;
    let hi = -Infinity;
    for (let v = frame.min; v <= frame.max && v - frame.min < MAX_TABLE; v++) {
      const m = modalityValue(frame.modality, v);
      if (m < lo) lo = m;
      if (m > hi) hi = m;
    }
    return { lo, hi };
  }
  return { lo: Math.min(a, b), hi: Math.max(a, b) };
}

/**
 * A window equivalent to a VOI LUT table, so a W/L drag that starts from a table starts where the
 * picture is: the modality values where the table leaves its lowest and reaches its highest output.
 */
export function windowFromTable(voi: Extract<Voi, { kind: 'table' }>): { center: number; width: number } {
  const t = voi.table;
  let first = 0;
  let last = t.length - 1;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of t) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  while (first < t.length - 1 && t[first] === lo) first++;
  while (last > 0 && t[last] === hi) last--;
  if (last < first) [first, last] = [0, t.length - 1];
  const a = voi.firstMapped + first;
  const b = voi.firstMapped + last;
  return { center: (a + b) / 2, width: Math.max(b - a, 1) };
}

/** Percentiles of the modality values, for an automatic window that ignores collimator and label outliers. */
export function percentileWindow(frame: GrayFrame, lowFraction = 0.005, highFraction = 0.995): { center: number; width: number } | null {
  const range = frame.max - frame.min + 1;
  if (!(range > 1 && range <= MAX_TABLE)) return null;
  const hist = new Uint32Array(range);
  const src = frame.stored;
  const off = frame.min;
  let n = 0;
  // A strided sample is plenty for a percentile and keeps this under a few ms on large frames.
  const step = Math.max(1, Math.floor(src.length / 1_000_000));
  for (let i = 0; i < src.length; i += step) {
    const v = src[i]!;
    if (v === frame.paddingValue || v < off || v - off >= range) continue;
    hist[v - off]!++;
    n++;
  }
  if (n === 0) return null;
  const find = (fraction: number) => {
    const target = fraction * n;
    let acc = 0;
    for (let i = 0; i < range; i++) {
      acc += hist[i]!;
      if (acc >= target) return i + off;
    }
    return frame.max;
  };
  const a = modalityValue(frame.modality, find(lowFraction));
  const b = modalityValue(frame.modality, find(highFraction));
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  return { center: (lo + hi) / 2, width: Math.max(hi - lo, 1) };
}

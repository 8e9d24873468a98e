/**
 * The grayscale display pipeline of PS3.3 C.11 (stored -> Modality LUT -> VOI -> Presentation), to
 * 8 bits. Pure functions without Node APIs: the core uses them for the model input and thumbnails,
 * the renderer for window/level, so both always agree.
 */
import type { Frame, GrayFrame, Image8, ModalityLut, Voi } from './types';

/** Stored value -> modality value. */
export function modalityValue(lut: ModalityLut, stored: number): number {
  if (lut.kind === 'linear') return stored * lut.slope + lut.intercept;
  const i = Math.min(Math.max(stored - lut.firstMapped, 0), lut.table.length - 1);
  return lut.table[i]!;
}

/** Modality value -> display intensity in 0..1 (PS3.3 C.11.2.1.2 for windows, C.11.2.1.1 for tables). */
export function voiValue(voi: Voi, x: number): number {
  if (voi.kind === 'table') {
    const i = Math.min(Math.max(Math.floor(x) - voi.firstMapped, 0), voi.table.length - 1);
    return voi.table[i]! / (2 ** voi.bits - 1);
  }
  const { center: c, fn } = voi;
  if (fn === 'SIGMOID') return 1 / (1 + Math.exp((-4 * (x - c)) / Math.max(voi.width, Number.MIN_VALUE)));
  if (fn === 'LINEAR_EXACT') {
    const w = Math.max(voi.width, Number.MIN_VALUE);
    if (x <= c - w / 2) return 0;
    if (x > c + w / 2) return 1;
    return (x - c) / w + 0.5;
  }
  // LINEAR requires width >= 1; a width below that is treated as the narrowest legal window.
  const w = Math.max(voi.width, 1);
  if (x <= c - 0.5 - (w - 1) / 2) return 0;
  if (x > c - 0.5 + (w - 1) / 2) return 1;
  return w === 1 ? 1 : (x - (c - 0.5)) / (w - 1) + 0.5;
}

/** One stored value to an 8-bit display value. */
export function display8(frame: GrayFrame, stored: number, voi: Voi = frame.voi, invert: boolean = frame.invert): number {
  const y = Math.round(voiValue(voi, modalityValue(frame.modality, stored)) * 255);
  return invert ? 255 - y : y;
}

/** Lookup tables are built over [min, max] of the stored values when the range is at most this. */
const MAX_LUT_RANGE = 1 << 20;

/**
 * A table from stored value to 8-bit display value over [offset, offset + table.length), or null
 * when the range is too wide for a table (then map each pixel with display8).
 */
export function lut8(frame: GrayFrame, voi: Voi = frame.voi, invert: boolean = frame.invert): { offset: number; table: Uint8Array } | null {
  const lo = Math.min(frame.min, frame.paddingValue ?? frame.min);
  const hi = Math.max(frame.max, frame.paddingValue ?? frame.max);
  if (!(hi - lo < MAX_LUT_RANGE)) return null;
  const table = new Uint8Array(hi - lo + 1);
  for (let v = lo; v <= hi; v++) table[v - lo] = display8(frame, v, voi, invert);
  return { offset: lo, table };
}

/**
 * The 8-bit rendering of a frame with its default (or a given) window. For the model this is what
 * ChestX-ray14's PNGs are: the default VOI rendering, MONOCHROME1 inverted so bone is bright.
 */
export function render8(frame: Frame, voi?: Voi, invert?: boolean): Image8 {
  if (frame.kind === 'rgb') return { width: frame.columns, height: frame.rows, channels: 3, data: frame.rgb };
  // An 8-bit gray PNG/JPEG under its identity window is already its rendering (the common case in a scan).
  if (isIdentity8(frame, voi ?? frame.voi, invert ?? frame.invert)) return { width: frame.columns, height: frame.rows, channels: 1, data: frame.stored as Uint8Array };
  const out = new Uint8Array(frame.rows * frame.columns);
  const src = frame.stored;
  const lut = lut8(frame, voi ?? frame.voi, invert ?? frame.invert);
  if (lut) {
    const { offset, table } = lut;
    for (let i = 0; i < out.length; i++) out[i] = table[src[i]! - offset]!;
  } else {
    for (let i = 0; i < out.length; i++) out[i] = display8(frame, src[i]!, voi ?? frame.voi, invert ?? frame.invert);
  }
  return { width: frame.columns, height: frame.rows, channels: 1, data: out };
}

/** LINEAR center 128 width 256 maps 0..255 onto itself exactly (PS3.3 C.11.2.1.2). */
function isIdentity8(frame: GrayFrame, voi: Voi, invert: boolean): boolean {
  const m = frame.modality;
  return (
    frame.stored instanceof Uint8Array &&
    !invert &&
    m.kind === 'linear' &&
    m.slope === 1 &&
    m.intercept === 0 &&
    voi.kind === 'window' &&
    voi.fn === 'LINEAR' &&
    voi.center === 128 &&
    voi.width === 256
  );
}

/** Min and max of stored values, skipping the padding value. */
export function storedRange(values: ArrayLike<number>, paddingValue?: number): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  // Two loops so the common case (no padding) runs without a comparison per pixel.
  if (paddingValue === undefined) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  } else {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v === paddingValue) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min === Infinity) return { min: 0, max: 0 };
  return { min, max };
}

/**
 * The fallback window when the file names none: the frame's modality range, so every stored value
 * is distinguishable (LINEAR_EXACT maps min to 0 and max to 1 exactly).
 */
export function minMaxWindow(frame: Pick<GrayFrame, 'modality' | 'min' | 'max'>): Voi {
  const a = modalityValue(frame.modality, frame.min);
  const b = modalityValue(frame.modality, frame.max);
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  return { kind: 'window', center: (lo + hi) / 2, width: Math.max(hi - lo, 1), fn: 'LINEAR_EXACT', source: 'minmax' };
}

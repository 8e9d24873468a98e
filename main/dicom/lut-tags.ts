/**
 * The grayscale pipeline's parameters from the file (PS3.3 C.11): the Modality LUT (Rescale
 * Slope/Intercept or the Modality LUT Sequence), the default VOI (first Window Center/Width pair with
 * its VOI LUT Function, else the first VOI LUT Sequence item) and the Pixel Padding Value. Enhanced
 * multi-frame files keep rescale and window in functional groups; those are read per frame first.
 */
import type { DataSet } from 'dicom-parser';
import type { ModalityLut, Voi, VoiFunction } from '../image/types';

/** Where a frame's attributes may be, most specific first: per-frame item, shared item, top level. */
function functionalGroups(ds: DataSet, frame: number, sequenceTag: string): DataSet[] {
  const out: DataSet[] = [];
  const perFrame = ds.elements['x52009230']?.items?.[frame]?.dataSet;
  const shared = ds.elements['x52009229']?.items?.[0]?.dataSet;
  for (const group of [perFrame, shared]) {
    const item = group?.elements[sequenceTag]?.items?.[0]?.dataSet;
    if (item) out.push(item);
  }
  out.push(ds);
  return out;
}

function firstNumber(sets: DataSet[], tag: string): number | undefined {
  for (const s of sets) {
    const v = s.floatString(tag, 0);
    if (v !== undefined && Number.isFinite(v)) return v;
  }
  return undefined;
}

export function readRescale(ds: DataSet, frame = 0): { slope: number; intercept: number } {
  const sets = functionalGroups(ds, frame, 'x00289145');
  const slope = firstNumber(sets, 'x00281053');
  const intercept = firstNumber(sets, 'x00281052');
  return { slope: slope === undefined || slope === 0 ? 1 : slope, intercept: intercept ?? 0 };
}

interface LutItem {
  entries: number;
  firstMapped: number;
  bits: number;
  values: number[] | Uint16Array;
}

/** An item of a Modality or VOI LUT Sequence: descriptor (0028,3002) and data (0028,3006). */
function readLutItem(item: DataSet, signedFirst: boolean): LutItem | null {
  const desc = item.elements['x00283002'];
  const data = item.elements['x00283006'];
  if (!desc || !data || data.dataOffset + data.length > item.byteArray.length) return null;
  const entries = item.uint16('x00283002', 0) || 65536;
  const firstMapped = (signedFirst ? item.int16('x00283002', 1) : item.uint16('x00283002', 1)) ?? 0;
  const bits = item.uint16('x00283002', 2) ?? 16;
  if (bits < 1 || bits > 16) return null;
  const values = new Uint16Array(entries);
  if (data.length === entries) {
    for (let i = 0; i < entries; i++) values[i] = item.byteArray[data.dataOffset + i]!;
  } else if (data.length >= entries * 2) {
    for (let i = 0; i < entries; i++) values[i] = item.byteArrayParser.readUint16(item.byteArray, data.dataOffset + 2 * i);
  } else {
    return null;
  }
  return { entries, firstMapped, bits, values };
}

export function readModalityLut(ds: DataSet, signed: boolean, frame = 0): ModalityLut {
  const item = ds.elements['x00283000']?.items?.[0]?.dataSet;
  if (item) {
    const lut = readLutItem(item, signed);
    if (lut) {
      const table = Float64Array.from(lut.values);
      const explanation = item.string('x00283003');
      return explanation ? { kind: 'table', firstMapped: lut.firstMapped, table, explanation } : { kind: 'table', firstMapped: lut.firstMapped, table };
    }
  }
  const { slope, intercept } = readRescale(ds, frame);
  return { kind: 'linear', slope, intercept };
}

export function readWindow(ds: DataSet, frame = 0): { center: number; width: number; fn: VoiFunction; explanation?: string } | null {
  const sets = functionalGroups(ds, frame, 'x00289132');
  for (const s of sets) {
    const center = s.floatString('x00281050', 0);
    const width = s.floatString('x00281051', 0);
    if (center === undefined || width === undefined || !Number.isFinite(center) || !Number.isFinite(width) || width <= 0) continue;
    const fnText = (s.string('x00281056') ?? 'LINEAR').trim().toUpperCase();
    const fn: VoiFunction = fnText === 'SIGMOID' || fnText === 'LINEAR_EXACT' ? fnText : 'LINEAR';
    const explanation = s.string('x00281055', 0);
    return explanation ? { center, width, fn, explanation } : { center, width, fn };
  }
  return null;
}

/** Every Window Center/Width pair the file offers (a multi-valued pair gives several presets). */
export function readWindows(ds: DataSet, frame = 0): { center: number; width: number; explanation?: string }[] {
  for (const s of functionalGroups(ds, frame, 'x00289132')) {
    const centers = s.elements['x00281050'] ? (s.string('x00281050') ?? '').split('\\') : [];
    const widths = s.elements['x00281051'] ? (s.string('x00281051') ?? '').split('\\') : [];
    const out: { center: number; width: number; explanation?: string }[] = [];
    for (let i = 0; i < Math.min(centers.length, widths.length); i++) {
      const center = Number(centers[i]);
      const width = Number(widths[i]);
      if (!Number.isFinite(center) || !Number.isFinite(width) || width <= 0 || centers[i]!.trim() === '') continue;
      const explanation = s.string('x00281055', i)?.trim();
      out.push(explanation ? { center, width, explanation } : { center, width });
    }
    if (out.length > 0) return out;
  }
  return [];
}

/** The default VOI the file asks for, or null when it names none (then the caller uses min/max). */
export function readVoi(ds: DataSet, signed: boolean, frame = 0): Voi | null {
  const w = readWindow(ds, frame);
  if (w) return { kind: 'window', ...w, source: 'tags' };
  const item = ds.elements['x00283010']?.items?.[0]?.dataSet;
  if (item) {
    const lut = readLutItem(item, signed);
    if (lut) {
      const explanation = item.string('x00283003');
      const table = lut.values instanceof Uint16Array ? lut.values : Uint16Array.from(lut.values);
      const voi: Voi = { kind: 'table', firstMapped: lut.firstMapped, bits: lut.bits, table, source: 'tags' };
      if (explanation) voi.explanation = explanation;
      return voi;
    }
  }
  return null;
}

export function readPaddingValue(ds: DataSet, signed: boolean): number | undefined {
  if (!ds.elements['x00280120']) return undefined;
  return signed ? ds.int16('x00280120') : ds.uint16('x00280120');
}

/**
 * Stored values -> the Frame the viewer and the model consume: gray frames carry their Modality LUT
 * and default VOI (file window, else VOI LUT Sequence, else min/max without padding), colour frames
 * become 8-bit RGB (YBR converted, palette applied).
 */
import type { DataSet } from 'dicom-parser';
import type { ColorFrame, Frame, GrayFrame } from '../image/types';
import { minMaxWindow, storedRange } from '../image/render8';
import { colorToRgb8 } from './color';
import type { StoredFrame } from './decode-frame';
import type { ImageAttributes } from './image-attributes';
import { readModalityLut, readPaddingValue, readVoi } from './lut-tags';
import { applyPalette } from './palette';

export function frameFromStored(ds: DataSet, attrs: ImageAttributes, stored: StoredFrame): Frame {
  const { rows, columns } = stored;
  if (stored.colorSpace === 'PALETTE') {
    const frame: ColorFrame = { kind: 'rgb', rows, columns, rgb: applyPalette(ds, stored.values, stored.signed) };
    return frame;
  }
  if (stored.samplesPerPixel === 3) {
    const ybr = stored.colorSpace !== 'YBR' ? null : attrs.photometric === 'YBR_PARTIAL_422' ? 'partial' : 'full';
    const frame: ColorFrame = { kind: 'rgb', rows, columns, rgb: colorToRgb8(stored.values, stored.bitsStored, ybr) };
    return frame;
  }
  const paddingValue = readPaddingValue(ds, stored.signed);
  const { min, max } = storedRange(stored.values, paddingValue);
  const modality = readModalityLut(ds, stored.signed, stored.index);
  const partial = { modality, min, max };
  const frame: GrayFrame = {
    kind: 'gray',
    rows,
    columns,
    stored: stored.values,
    bitsStored: stored.bitsStored,
    signed: stored.signed,
    modality,
    voi: readVoi(ds, stored.signed, stored.index) ?? minMaxWindow(partial),
    invert: attrs.photometric === 'MONOCHROME1',
    min,
    max,
  };
  if (paddingValue !== undefined) frame.paddingValue = paddingValue;
  return frame;
}

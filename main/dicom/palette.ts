/**
 * PALETTE COLOR (PS3.3 C.7.6.3.1.5-6): stored values are indices into three lookup tables whose
 * entries are 8 or 16 bits; the result is 8-bit RGB. Segmented palettes (C.7.9.2) are refused.
 */
import type { DataSet } from 'dicom-parser';
import { CheXDeskError } from '../errors';
import type { StoredArray } from '../image/types';

interface Lut {
  firstMapped: number;
  table: Uint8Array;
}

function readLut(ds: DataSet, n: 1 | 2 | 3, channel: string, signedIndices: boolean): Lut {
  const descriptorTag = `x0028110${n}`;
  const desc = ds.elements[descriptorTag];
  const data = ds.elements[`x0028120${n}`];
  if (!desc || !data) {
    if (ds.elements[`x0028122${n}`]) {
      throw new CheXDeskError('UnsupportedImage', 'segmented palette colour lookup tables are not supported');
    }
    throw new CheXDeskError('CorruptData', `PALETTE COLOR without a ${channel} palette lookup table`);
  }
  const entries = ds.uint16(descriptorTag, 0) || 65536;
  const firstMapped = signedIndices ? ds.int16(descriptorTag, 1)! : ds.uint16(descriptorTag, 1)!;
  const bits = ds.uint16(descriptorTag, 2) ?? 16;
  if (data.dataOffset + data.length > ds.byteArray.length) throw new CheXDeskError('Truncated', `the ${channel} palette runs past the end of the file`);
  const table = new Uint8Array(entries);
  if (bits <= 8 && data.length === entries) {
    // 8-bit entries packed one per byte.
    table.set(ds.byteArray.subarray(data.dataOffset, data.dataOffset + entries));
  } else {
    if (data.length < entries * 2) throw new CheXDeskError('CorruptData', `the ${channel} palette holds ${data.length} bytes for ${entries} entries`);
    for (let i = 0; i < entries; i++) {
      const v = ds.byteArrayParser.readUint16(ds.byteArray, data.dataOffset + 2 * i);
      // 16-bit entries keep their high byte: exact for both ways 8-bit palettes are widened (x << 8 and
      // x * 257), and what DCMTK does. 8-bit entries in 16-bit words are taken as they are.
      table[i] = bits <= 8 ? v & 0xff : v >> 8;
    }
  }
  return { firstMapped, table };
}

export function applyPalette(ds: DataSet, indices: StoredArray, signedIndices: boolean): Uint8Array {
  const luts = [
    readLut(ds, 1, 'red', signedIndices),
    readLut(ds, 2, 'green', signedIndices),
    readLut(ds, 3, 'blue', signedIndices),
  ];
  const out = new Uint8Array(indices.length * 3);
  for (let c = 0; c < 3; c++) {
    const { firstMapped, table } = luts[c]!;
    const last = table.length - 1;
    for (let i = 0, o = c; i < indices.length; i++, o += 3) {
      const k = indices[i]! - firstMapped;
      out[o] = table[k < 0 ? 0 : k > last ? last : k]!;
    }
  }
  return out;
}

/**
 * The serialisation ../shared/fixtures/dicom/README.md defines for a frame's values (its
 * frame0_sha256*): the typed array's samples, little-endian, nothing else. Also their statistics as
 * the manifest computes them (float64 mean over every sample of every channel).
 */
import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import type { StoredArray } from '../image/types';

export function littleEndianBytes(values: StoredArray): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (values.BYTES_PER_ELEMENT === 1 || endianness() === 'LE') return bytes;
  const out = new Uint8Array(bytes.length);
  const w = values.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += w) for (let k = 0; k < w; k++) out[i + k] = bytes[i + w - 1 - k]!;
  return out;
}

export function sha256Hex(values: StoredArray): string {
  return createHash('sha256').update(littleEndianBytes(values)).digest('hex');
}

export function valueStats(values: ArrayLike<number>): { min: number; max: number; mean: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  if (values.length === 0) return { min: 0, max: 0, mean: 0 };
  return { min, max, mean: sum / values.length };
}

/** numpy's dtype string for the array, as the manifest's frame0_dtype column writes it. */
export function numpyDtype(values: StoredArray): string {
  if (values instanceof Uint8Array) return 'u1';
  if (values instanceof Int8Array) return 'i1';
  if (values instanceof Uint16Array) return '<u2';
  if (values instanceof Int16Array) return '<i2';
  if (values instanceof Uint32Array) return '<u4';
  return '<i4';
}

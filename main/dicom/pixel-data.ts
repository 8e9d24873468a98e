/**
 * Where each frame's bytes are: a slice of native Pixel Data, or the fragments of encapsulated Pixel
 * Data grouped into frames (PS3.5 A.4) by the Extended Offset Table, the Basic Offset Table, one
 * fragment per frame, or — with no table and more fragments than frames — the codec's start marker.
 * Every offset is checked against the bytes present before anything is sliced.
 */
import type { DataSet, Element, Fragment } from 'dicom-parser';
import { CheXDeskError } from '../errors';
import type { ImageAttributes } from './image-attributes';
import type { Codec } from './transfer-syntax';

export interface NativePixels {
  kind: 'native';
  /** Frame i's stored bytes, exactly nativeFrameBytes long. */
  frame(index: number): Uint8Array;
  /** VR of the Pixel Data element (OB/OW), when explicit. */
  vr: string | undefined;
}

export interface EncapsulatedPixels {
  kind: 'encapsulated';
  frame(index: number): Uint8Array;
}

export type PixelSource = NativePixels | EncapsulatedPixels;

function pixelDataElement(ds: DataSet): Element | undefined {
  return ds.elements['x7fe00010'];
}

export function hasPixelData(ds: DataSet): boolean {
  return pixelDataElement(ds) !== undefined;
}

export function locatePixels(ds: DataSet, attrs: ImageAttributes, encapsulated: boolean, codec: Codec): PixelSource {
  const el = pixelDataElement(ds);
  if (!el) throw new CheXDeskError('NoPixelData', 'the file has image attributes but no Pixel Data (7FE0,0010)');
  const fileBytes = ds.byteArray;
  const available = fileBytes.length - el.dataOffset;
  if (encapsulated) {
    if (!el.encapsulatedPixelData || !el.fragments) {
      throw new CheXDeskError('CorruptData', 'the transfer syntax is compressed but Pixel Data is not encapsulated');
    }
    return encapsulatedSource(ds, el, attrs, codec);
  }
  if (el.encapsulatedPixelData) throw new CheXDeskError('CorruptData', 'Pixel Data is encapsulated but the transfer syntax is not compressed');
  if (el.length > available) {
    throw new CheXDeskError('Truncated', `Pixel Data (7FE0,0010) declares ${el.length} bytes but only ${Math.max(available, 0)} remain in the file`);
  }
  const needed = attrs.frames * attrs.nativeFrameBytes;
  if (el.length < needed) {
    const why = `Pixel Data holds ${el.length} bytes but ${attrs.frames} frame(s) of ${attrs.columns}x${attrs.rows}x${attrs.samplesPerPixel} at ${attrs.bitsAllocated} bits need ${needed}`;
    throw new CheXDeskError(el.dataOffset + el.length >= fileBytes.length ? 'Truncated' : 'CorruptData', why);
  }
  const start = fileBytes.byteOffset + el.dataOffset;
  const whole = new Uint8Array(fileBytes.buffer, start, el.length);
  return {
    kind: 'native',
    vr: el.vr,
    frame: (i) => whole.subarray(i * attrs.nativeFrameBytes, (i + 1) * attrs.nativeFrameBytes),
  };
}

function readOffsetTable64(ds: DataSet, tag: string): number[] | null {
  const el = ds.elements[tag];
  if (!el || el.length === 0 || el.length % 8 !== 0 || el.dataOffset + el.length > ds.byteArray.length) return null;
  const view = new DataView(ds.byteArray.buffer, ds.byteArray.byteOffset + el.dataOffset, el.length);
  const out: number[] = [];
  for (let p = 0; p < el.length; p += 8) out.push(Number(view.getBigUint64(p, true)));
  return out;
}

/** Does this fragment begin a new codestream of the given codec? */
function startsFrame(bytes: Uint8Array, codec: Codec): boolean {
  if (codec === 'jpeg' || codec === 'jpeg-lossless' || codec === 'jpeg-ls') return bytes[0] === 0xff && bytes[1] === 0xd8;
  if (codec === 'j2k' || codec === 'htj2k') {
    return (bytes[0] === 0xff && bytes[1] === 0x4f && bytes[2] === 0xff && bytes[3] === 0x51) || (bytes[4] === 0x6a && bytes[5] === 0x50 && bytes[6] === 0x20 && bytes[7] === 0x20);
  }
  return false;
}

function encapsulatedSource(ds: DataSet, el: Element, attrs: ImageAttributes, codec: Codec): EncapsulatedPixels {
  const fileBytes = ds.byteArray;
  const fragments = el.fragments!;
  const missingDelimiter = ds.warnings.some((w) => w.includes('missing sequence delimiter'));
  for (const f of fragments) {
    if (f.position + f.length > fileBytes.length) {
      throw new CheXDeskError('Truncated', `a Pixel Data fragment declares ${f.length} bytes but only ${Math.max(fileBytes.length - f.position, 0)} remain in the file`);
    }
  }
  if (missingDelimiter) throw new CheXDeskError('Truncated', 'the file ends inside the encapsulated Pixel Data (no sequence delimiter)');
  if (fragments.length === 0) throw new CheXDeskError('NoPixelData', 'the encapsulated Pixel Data holds no fragments');

  const view = (f: Fragment): Uint8Array => new Uint8Array(fileBytes.buffer, fileBytes.byteOffset + f.position, f.length);
  const groups = groupFragments(ds, el, attrs.frames, codec, view);
  return {
    kind: 'encapsulated',
    frame(i) {
      const group = groups[i]!;
      if (group.length === 1) return view(group[0]!);
      let total = 0;
      for (const f of group) total += f.length;
      const out = new Uint8Array(total);
      let p = 0;
      for (const f of group) {
        out.set(view(f), p);
        p += f.length;
      }
      return out;
    },
  };
}

/** Frames by an offset table, or null when the table does not fit the fragments (then other rules apply). */
function groupByTable(fragments: Fragment[], table: number[], frames: number): Fragment[][] | null {
  if (table.length !== frames) return null;
  const groups: Fragment[][] = [];
  for (let i = 0; i < frames; i++) {
    const start = table[i]!;
    const end = i + 1 < frames ? table[i + 1]! : Infinity;
    if (end <= start) return null;
    const group = fragments.filter((f) => f.offset >= start && f.offset < end);
    if (group.length === 0 || group[0]!.offset !== start) return null;
    groups.push(group);
  }
  return groups;
}

function groupFragments(ds: DataSet, el: Element, frames: number, codec: Codec, view: (f: Fragment) => Uint8Array): Fragment[][] {
  const fragments = el.fragments!;
  // Extended Offset Table (7FE0,0001), else the Basic Offset Table; a table that contradicts the
  // fragments is ignored rather than trusted (writers get it wrong more often than the fragments).
  for (const table of [readOffsetTable64(ds, 'x7fe00001'), el.basicOffsetTable?.length ? el.basicOffsetTable : null]) {
    const groups = table ? groupByTable(fragments, table, frames) : null;
    if (groups) return groups;
  }
  if (fragments.length === frames) return fragments.map((f) => [f]);
  if (frames === 1) return [fragments];
  if (fragments.length < frames) throw new CheXDeskError('Truncated', `Pixel Data holds ${fragments.length} fragments for ${frames} frames`);
  const groups: Fragment[][] = [];
  for (const f of fragments) {
    if (groups.length === 0 || startsFrame(view(f), codec)) groups.push([f]);
    else groups[groups.length - 1]!.push(f);
  }
  if (groups.length !== frames) {
    throw new CheXDeskError('CorruptData', `cannot tell which of ${fragments.length} fragments belong to which of ${frames} frames`);
  }
  return groups;
}

/**
 * Tiny DICOM files for tests, written with dcmjs (an independent writer: the decoder under test never
 * sees how they were made). A spec names the Image Pixel attributes and the pixel values; anything
 * else (windows, rescale, LUT sequences, padding) goes in `attributes` with dcmjs' natural names.
 * Encapsulated syntaxes take one encoded codestream per frame; dcmjs writes the Basic Offset Table
 * and, with `splitFragments`, splits each frame into 20 KiB fragments.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The part of dcmjs used here (the package ships no types). */
interface Dcmjs {
  log?: { setLevel?(level: string): void };
  data: {
    DicomDict: new (meta: unknown) => { dict: unknown; write(options?: Record<string, unknown>): ArrayBuffer };
    DicomMetaDictionary: { denaturalizeDataset(dataset: Record<string, unknown>): unknown };
  };
}

const dcm = createRequire(import.meta.url)('dcmjs') as Dcmjs;
// dcmjs warns on every attribute whose VR the dictionary leaves open, even when _vrMap names it.
dcm.log?.setLevel?.('error');

export const TS = {
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  explicitBE: '1.2.840.10008.1.2.2',
  rle: '1.2.840.10008.1.2.5',
  jpegLosslessSV1: '1.2.840.10008.1.2.4.70',
  jpegLs: '1.2.840.10008.1.2.4.80',
  j2kLossless: '1.2.840.10008.1.2.4.90',
  htj2kLossless: '1.2.840.10008.1.2.4.201',
} as const;

export type PixelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

export interface DicomSpec {
  rows: number;
  columns: number;
  frames?: number;
  samplesPerPixel?: 1 | 3;
  photometric?: string;
  bitsAllocated?: 8 | 16 | 32;
  bitsStored?: number;
  pixelRepresentation?: 0 | 1;
  planarConfiguration?: 0 | 1;
  transferSyntax?: string;
  /** Native pixel data: all frames, in file order (written little-endian unless the syntax is BE). */
  pixels?: PixelArray | Uint8Array;
  /** Encapsulated pixel data: one codestream per frame. */
  encodedFrames?: Uint8Array[];
  /** Split encapsulated frames into dcmjs' 20 KiB fragments (default: one fragment per frame). */
  splitFragments?: boolean;
  /** Further attributes with dcmjs' natural names (WindowCenter, RescaleSlope, VOILUTSequence, …). */
  attributes?: Record<string, unknown>;
  /** VRs for attributes whose VR the dictionary leaves open (US/SS, US/OW). */
  vrs?: Record<string, string>;
}

function littleEndianBytes(values: PixelArray | Uint8Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function bigEndianBytes(values: PixelArray | Uint8Array): Uint8Array {
  const w = values.BYTES_PER_ELEMENT;
  const src = littleEndianBytes(values);
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += w) for (let k = 0; k < w; k++) out[i + k] = src[i + w - 1 - k]!;
  return out;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The bytes of a DICOM Part 10 file (preamble, File Meta, data set). */
export function writeDicom(spec: DicomSpec): Uint8Array {
  const samplesPerPixel = spec.samplesPerPixel ?? 1;
  const bitsAllocated = spec.bitsAllocated ?? 16;
  const transferSyntax = spec.transferSyntax ?? TS.explicitLE;
  const sopInstance = `1.2.826.0.1.3680043.10.1234.${Date.now()}.${Math.floor(Math.random() * 1e6)}`;
  const dataset: Record<string, unknown> = {
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
    SOPInstanceUID: sopInstance,
    Modality: 'OT',
    PatientName: 'Test^Synthetic',
    PatientID: 'TEST-1',
    Rows: spec.rows,
    Columns: spec.columns,
    SamplesPerPixel: samplesPerPixel,
    PhotometricInterpretation: spec.photometric ?? (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2'),
    BitsAllocated: bitsAllocated,
    BitsStored: spec.bitsStored ?? bitsAllocated,
    HighBit: (spec.bitsStored ?? bitsAllocated) - 1,
    PixelRepresentation: spec.pixelRepresentation ?? 0,
    ...spec.attributes,
  };
  if (samplesPerPixel === 3) dataset.PlanarConfiguration = spec.planarConfiguration ?? 0;
  if (spec.frames !== undefined) dataset.NumberOfFrames = String(spec.frames);
  const vrMap: Record<string, string> = { ...spec.vrs };
  if (spec.encodedFrames) {
    dataset.PixelData = spec.encodedFrames.map(toArrayBuffer);
    vrMap.PixelData = 'OB';
  } else if (spec.pixels) {
    const bytes = transferSyntax === TS.explicitBE ? bigEndianBytes(spec.pixels) : littleEndianBytes(spec.pixels);
    dataset.PixelData = [toArrayBuffer(bytes)];
    vrMap.PixelData = bitsAllocated === 8 ? 'OB' : 'OW';
  }
  if (vrMap.PixelPaddingValue === undefined && dataset.PixelPaddingValue !== undefined) vrMap.PixelPaddingValue = spec.pixelRepresentation === 1 ? 'SS' : 'US';
  dataset._vrMap = vrMap;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: sopInstance,
    TransferSyntaxUID: transferSyntax,
    ImplementationClassUID: '1.2.826.0.1.3680043.10.1234.1',
  };
  const dict = new dcm.data.DicomDict(dcm.data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcm.data.DicomMetaDictionary.denaturalizeDataset(dataset);
  const written: ArrayBuffer = dict.write({ allowInvalidVRLength: false, fragmentMultiframe: spec.splitFragments === true });
  return new Uint8Array(written);
}

/** Index of the encapsulated Pixel Data's Basic Offset Table item, or -1. */
function findBasicOffsetTable(bytes: Uint8Array): number {
  for (let p = bytes.length - 12; p >= 0; p--) {
    // (7FE0,0010) OB, reserved, undefined length, then the BOT item (FFFE,E000).
    if (bytes[p] === 0xe0 && bytes[p + 1] === 0x7f && bytes[p + 2] === 0x10 && bytes[p + 3] === 0x00 && bytes[p + 8] === 0xff && bytes[p + 9] === 0xff && bytes[p + 10] === 0xff && bytes[p + 11] === 0xff) {
      return p + 12;
    }
  }
  return -1;
}

/** The same file with an empty Basic Offset Table (the other legal way to write encapsulated data). */
export function withoutBasicOffsetTable(file: Uint8Array): Uint8Array {
  const bot = findBasicOffsetTable(file);
  if (bot < 0) throw new Error('no encapsulated Pixel Data');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const length = view.getUint32(bot + 4, true);
  const out = new Uint8Array(file.length - length);
  out.set(file.subarray(0, bot + 4), 0);
  new DataView(out.buffer).setUint32(bot + 4, 0, true);
  out.set(file.subarray(bot + 8 + length), bot + 8);
  return out;
}

/** The data set alone: no preamble, no File Meta (what old archives and some modalities write). */
export function withoutFileMeta(file: Uint8Array): Uint8Array {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const groupLength = view.getUint32(132 + 8, true);
  return file.slice(132 + 12 + groupLength);
}

/** File Meta without the 128-byte preamble and "DICM". */
export function withoutPreamble(file: Uint8Array): Uint8Array {
  return file.slice(132);
}

/** A scratch folder for files a test writes; remove() deletes it. */
export function scratchDir(prefix = 'chexdesk-dicom-'): { dir: string; write(name: string, bytes: Uint8Array | string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    write(name, bytes) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * RLE Lossless encoding (PS3.5 G.3) of one frame given as little-endian interleaved bytes: one
 * segment per byte of each sample, most significant byte first, literal runs only.
 */
export function encodeRle(frame: Uint8Array, pixels: number, samplesPerPixel: number, bytesPerSample: number): Uint8Array {
  const segments = samplesPerPixel * bytesPerSample;
  const parts: Uint8Array[] = [];
  for (let s = 0; s < segments; s++) {
    const sample = Math.floor(s / bytesPerSample);
    const byte = bytesPerSample - 1 - (s % bytesPerSample);
    const plane = new Uint8Array(pixels);
    for (let p = 0; p < pixels; p++) plane[p] = frame[p * segments + sample * bytesPerSample + byte]!;
    const runs: number[] = [];
    for (let p = 0; p < pixels; p += 128) {
      const n = Math.min(128, pixels - p);
      runs.push(n - 1, ...plane.subarray(p, p + n));
    }
    if (runs.length % 2) runs.push(0x80); // even length; 128 is the no-op code
    parts.push(Uint8Array.from(runs));
  }
  const header = new Uint8Array(64);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, segments, true);
  let offset = 64;
  parts.forEach((p, i) => {
    hv.setUint32(4 + 4 * i, offset, true);
    offset += p.length;
  });
  const out = new Uint8Array(offset);
  out.set(header, 0);
  let o = 64;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface FrameLayout {
  width: number;
  height: number;
  bitsPerSample: number;
  components: 1 | 3;
  signed?: boolean;
}

export type EncoderKind = 'j2k' | 'j2k-lossy' | 'htj2k' | 'jpeg-ls' | 'jpeg-ls-near' | 'jpeg-baseline';

const encoderModules = new Map<string, Promise<unknown>>();

function loadEncoderModule<T>(specifier: string): Promise<T> {
  let p = encoderModules.get(specifier);
  if (!p) {
    p = import(specifier).then((m: { default: (o: object) => Promise<unknown> }) => m.default({ print: () => {}, printErr: () => {} }));
    encoderModules.set(specifier, p);
  }
  return p as Promise<T>;
}

interface EncoderLike {
  getDecodedBuffer(info: object): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  encode(): void;
  delete(): void;
}

/**
 * One frame encoded with the codecs' own encoders (the full, non-`_decode` builds of the
 * @cornerstonejs packages): what a modality's compressor would have written.
 */
export async function encodeFrame(kind: EncoderKind, samples: Uint8Array | Uint16Array | Int16Array, layout: FrameLayout): Promise<Uint8Array> {
  const info = { width: layout.width, height: layout.height, bitsPerSample: layout.bitsPerSample, componentCount: layout.components, isSigned: layout.signed ?? false };
  let encoder: EncoderLike & Record<string, (...args: never[]) => unknown>;
  if (kind === 'j2k' || kind === 'j2k-lossy') {
    const m = await loadEncoderModule<{ J2KEncoder: new () => typeof encoder }>('@cornerstonejs/codec-openjpeg/wasmjs');
    encoder = new m.J2KEncoder();
    if (kind === 'j2k-lossy') (encoder.setQuality as (lossless: boolean, step: number) => void)(false, 0.001);
  } else if (kind === 'htj2k') {
    const m = await loadEncoderModule<{ HTJ2KEncoder: new () => typeof encoder }>('@cornerstonejs/codec-openjph/wasmjs');
    encoder = new m.HTJ2KEncoder();
    Object.assign(info, { isUsingColorTransform: layout.components === 3 });
  } else if (kind === 'jpeg-ls' || kind === 'jpeg-ls-near') {
    const m = await loadEncoderModule<{ JpegLSEncoder: new () => typeof encoder }>('@cornerstonejs/codec-charls/wasmjs');
    encoder = new m.JpegLSEncoder();
    if (kind === 'jpeg-ls-near') (encoder.setNearLossless as (near: number) => void)(2);
  } else {
    const m = await loadEncoderModule<{ JPEGEncoder: new () => typeof encoder }>('@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs');
    encoder = new m.JPEGEncoder();
    (encoder.setQuality as (q: number) => void)(90);
  }
  try {
    encoder.getDecodedBuffer(info).set(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
    encoder.encode();
    return encoder.getEncodedBuffer().slice();
  } finally {
    encoder.delete();
  }
}

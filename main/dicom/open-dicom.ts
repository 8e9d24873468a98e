/**
 * The DICOM side of openImage: recognise a file by content, parse it once (dicom-parser), describe
 * it (ImageInfo + DicomInfo) and decode frames on demand. Besides the display Frame, a DicomImage
 * hands out the frame's STORED values (normalised to Bits Stored) for the decode command and the
 * conformance tests — both from one decode. The model's input for a DICOM file is render8() of the
 * Frame built here (default VOI, MONOCHROME1 inverted: what ChestX-ray14's PNGs are).
 */
import type { DataSet } from 'dicom-parser';
import { CheXDeskError, toCheXDeskError } from '../errors';
import type { Frame, ImageInfo, OpenedImage } from '../image/types';
import { decodeStoredFrame, type StoredFrame } from './decode-frame';
import { buildDicomInfo } from './dicom-info';
import { frameFromStored } from './frame-from-stored';
import { readImageAttributes, type ImageAttributes } from './image-attributes';
import { detectLayout, explainParserError, isParserThrow, parseDicomBytes } from './parse';
import { hasPixelData, locatePixels, type PixelSource } from './pixel-data';
import { requireDecodable } from './transfer-syntax';

export type { StoredFrame, ValuesColorSpace } from './decode-frame';

export interface DecodedFrame {
  stored: StoredFrame;
  frame: Frame;
}

export interface DicomImage extends OpenedImage {
  /** Decodes frame i once and returns both its stored values and its display Frame. */
  decodeFrame(index: number): Promise<DecodedFrame>;
  readonly dataSet: DataSet;
  readonly attributes: ImageAttributes;
}

export function isDicomImage(image: OpenedImage): image is DicomImage {
  return image.info.kind === 'dicom' && typeof (image as Partial<DicomImage>).decodeFrame === 'function';
}

/** By content only, from the first bytes: preamble + "DICM", File Meta without preamble, or a bare data set. */
export function isDicom(bytes: Uint8Array): boolean {
  return detectLayout(bytes.subarray(0, 140)) !== null;
}

const NON_IMAGE_CLASSES: Record<string, string> = {
  '1.2.840.10008.5.1.4.1.1.88.11': 'a Basic Text Structured Report',
  '1.2.840.10008.5.1.4.1.1.88.22': 'an Enhanced Structured Report',
  '1.2.840.10008.5.1.4.1.1.88.33': 'a Comprehensive Structured Report',
  '1.2.840.10008.5.1.4.1.1.88.34': 'a Comprehensive 3D Structured Report',
  '1.2.840.10008.5.1.4.1.1.88.59': 'a Key Object Selection document',
  '1.2.840.10008.5.1.4.1.1.11.1': 'a Grayscale Softcopy Presentation State',
  '1.2.840.10008.5.1.4.1.1.104.1': 'an Encapsulated PDF',
  '1.2.840.10008.5.1.4.1.1.481.5': 'an RT Plan',
  '1.2.840.10008.5.1.4.1.1.481.8': 'an RT Ion Plan',
  '1.2.840.10008.5.1.4.1.1.481.3': 'an RT Structure Set',
  '1.2.840.10008.5.1.4.1.1.481.2': 'an RT Dose',
  '1.2.840.10008.1.3.10': 'a DICOMDIR (media directory)',
};

/** Modalities whose objects hold no pixels. */
const NON_IMAGE_MODALITIES = new Set(['SR', 'KO', 'PR', 'DOC', 'RTPLAN', 'RTSTRUCT', 'RTRECORD', 'REG', 'FID', 'AU', 'ECG', 'HD']);

/** A file without Pixel Data: a non-image object, or one cut before its pixels. */
function noPixelsError(ds: DataSet): CheXDeskError {
  const sopClass = ds.string('x00080016')?.trim() ?? ds.string('x00020002')?.trim();
  const modality = ds.string('x00080060')?.trim();
  const what = sopClass ? NON_IMAGE_CLASSES[sopClass] : undefined;
  if (what) return new CheXDeskError('NotAnImage', `no image in this file: it is ${what}`);
  if (modality && NON_IMAGE_MODALITIES.has(modality)) return new CheXDeskError('NotAnImage', `no image in this file (modality ${modality})`);
  if (ds.warnings.some((w) => /eof|end of/i.test(w))) return new CheXDeskError('Truncated', 'the file ends before its Pixel Data');
  return new CheXDeskError('NoPixelData', `no Pixel Data in this file: not an image, or cut before its pixels${sopClass ? ` (SOP Class ${sopClass})` : ''}`);
}

/** Errors on user data become CheXDeskErrors naming the file; dicom-parser's throws say what broke. */
function typed(err: unknown, path: string): CheXDeskError {
  return toCheXDeskError(isParserThrow(err) ? explainParserError(err) : err, path);
}

/**
 * What the file is, from its first bytes: the attributes up to Pixel Data, without locating or
 * decoding pixels. Throws when `head` ends before Pixel Data (read more and try again).
 */
export function readDicomInfo(head: Uint8Array, path: string, fileSize: number): ImageInfo {
  try {
    const { dataSet: ds, transferSyntaxUid, layout } = parseDicomBytes(head, true);
    const pixelData = ds.elements['x7fe00010'];
    if (!pixelData && !ds.elements['x00280010']) throw noPixelsError(ds);
    // Cheap check for the commonest damage, a file cut short: native Pixel Data longer than the file.
    const offset = layout === 'meta-without-preamble' ? -132 : 0;
    const deflated = transferSyntaxUid === '1.2.840.10008.1.2.1.99';
    if (pixelData && !deflated && pixelData.length !== 0xffffffff && pixelData.dataOffset + offset + pixelData.length > fileSize) {
      throw new CheXDeskError('Truncated', `Pixel Data (7FE0,0010) declares ${pixelData.length} bytes but only ${Math.max(fileSize - pixelData.dataOffset - offset, 0)} remain in the file`);
    }
    requireDecodable(transferSyntaxUid);
    const attrs = readImageAttributes(ds);
    return { path, kind: 'dicom', rows: attrs.rows, columns: attrs.columns, frames: attrs.frames, dicom: buildDicomInfo(ds, attrs, transferSyntaxUid) };
  } catch (err) {
    throw typed(err, path);
  }
}

export async function openDicom(bytes: Uint8Array, path: string): Promise<DicomImage> {
  try {
    return openParsed(bytes, path);
  } catch (err) {
    throw typed(err, path);
  }
}

function openParsed(bytes: Uint8Array, path: string): DicomImage {
  const { dataSet: ds, transferSyntaxUid } = parseDicomBytes(bytes);
  if (!hasPixelData(ds) && !ds.elements['x00280010']) throw noPixelsError(ds);
  const ts = requireDecodable(transferSyntaxUid);
  const attrs = readImageAttributes(ds);
  const pixels: PixelSource = locatePixels(ds, attrs, ts.encapsulated, ts.codec);
  const info: ImageInfo = {
    path,
    kind: 'dicom',
    rows: attrs.rows,
    columns: attrs.columns,
    frames: attrs.frames,
    dicom: buildDicomInfo(ds, attrs, transferSyntaxUid),
  };

  const decodeFrame = async (index: number): Promise<DecodedFrame> => {
    try {
      if (!Number.isInteger(index) || index < 0 || index >= attrs.frames) {
        throw new CheXDeskError('FrameOutOfRange', `frame ${index} does not exist (the file has ${attrs.frames} frame${attrs.frames === 1 ? '' : 's'}, numbered from 0)`);
      }
      const stored = await decodeStoredFrame(index, attrs, ts, pixels);
      return { stored, frame: frameFromStored(ds, attrs, stored) };
    } catch (err) {
      throw typed(err, path);
    }
  };
  return {
    info,
    dataSet: ds,
    attributes: attrs,
    decodeFrame,
    frame: async (index) => (await decodeFrame(index)).frame,
  };
}

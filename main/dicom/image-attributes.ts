/**
 * The Image Pixel module (PS3.3 C.7.6.3) read from a data set and checked: everything the decoder
 * relies on is validated here once, so later stages can trust the numbers (and never allocate for a
 * size the file cannot hold).
 */
import type { DataSet } from 'dicom-parser';
import { CheXDeskError } from '../errors';

export interface ImageAttributes {
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  photometric: string;
  planarConfiguration: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: number;
  /** Bytes of one decoded frame: rows x columns x samples x bitsAllocated/8. */
  frameBytes: number;
  /** Bytes one native frame occupies in the file (less for YBR_FULL_422/YBR_PARTIAL_422). */
  nativeFrameBytes: number;
}

/** Refused before decoding: no radiograph frame comes near it, and typed arrays stop at 2^31 elements. */
export const MAX_FRAME_BYTES = 1 << 30;

const SUPPORTED_PHOTOMETRIC = new Set([
  'MONOCHROME1',
  'MONOCHROME2',
  'RGB',
  'YBR_FULL',
  'YBR_FULL_422',
  'YBR_PARTIAL_422',
  'YBR_ICT',
  'YBR_RCT',
  'PALETTE COLOR',
]);

export function isChromaSubsampled(photometric: string): boolean {
  return photometric === 'YBR_FULL_422' || photometric === 'YBR_PARTIAL_422';
}

function unsupported(reason: string): CheXDeskError {
  return new CheXDeskError('UnsupportedImage', reason);
}

export function readImageAttributes(ds: DataSet): ImageAttributes {
  const rows = ds.uint16('x00280010') ?? 0;
  const columns = ds.uint16('x00280011') ?? 0;
  if (!rows || !columns) throw new CheXDeskError('CorruptData', `the image has no size (Rows ${rows}, Columns ${columns})`);
  const framesText = ds.string('x00280008');
  const frames = framesText === undefined || framesText === '' ? 1 : Number.parseInt(framesText, 10);
  if (!Number.isInteger(frames) || frames < 1) throw new CheXDeskError('CorruptData', `Number of Frames is "${framesText}"`);
  const samplesPerPixel = ds.uint16('x00280002') ?? 1;
  const bitsAllocated = ds.uint16('x00280100') ?? 0;
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  const highBit = ds.uint16('x00280102') ?? bitsStored - 1;
  const pixelRepresentation = ds.uint16('x00280103') ?? 0;
  const planarConfiguration = ds.uint16('x00280006') ?? 0;
  const photometric = (ds.string('x00280004') ?? (samplesPerPixel === 1 ? 'MONOCHROME2' : 'RGB')).trim().toUpperCase();

  if (!SUPPORTED_PHOTOMETRIC.has(photometric)) throw unsupported(`photometric interpretation ${photometric} is not supported`);
  const expectedSpp = photometric.startsWith('MONOCHROME') || photometric === 'PALETTE COLOR' ? 1 : 3;
  if (samplesPerPixel !== expectedSpp) throw new CheXDeskError('CorruptData', `${photometric} needs ${expectedSpp} samples per pixel, the file says ${samplesPerPixel}`);
  if (bitsAllocated !== 8 && bitsAllocated !== 16 && bitsAllocated !== 32) throw unsupported(`Bits Allocated ${bitsAllocated} is not supported (8, 16 or 32)`);
  if (bitsStored < 1 || bitsStored > bitsAllocated) throw new CheXDeskError('CorruptData', `Bits Stored ${bitsStored} does not fit Bits Allocated ${bitsAllocated}`);
  if (pixelRepresentation !== 0 && pixelRepresentation !== 1) throw new CheXDeskError('CorruptData', `Pixel Representation is ${pixelRepresentation}`);
  if (samplesPerPixel === 3 && planarConfiguration !== 0 && planarConfiguration !== 1) throw new CheXDeskError('CorruptData', `Planar Configuration is ${planarConfiguration}`);
  if (isChromaSubsampled(photometric) && columns % 2 !== 0) throw new CheXDeskError('CorruptData', `${photometric} needs an even number of columns`);

  const pixels = rows * columns;
  const frameBytes = pixels * samplesPerPixel * (bitsAllocated / 8);
  if (frameBytes > MAX_FRAME_BYTES) {
    throw new CheXDeskError('TooLarge', `one frame of ${columns}x${rows}x${samplesPerPixel} at ${bitsAllocated} bits is ${frameBytes} bytes, more than the ${MAX_FRAME_BYTES} we decode`);
  }
  const nativeFrameBytes = isChromaSubsampled(photometric) ? pixels * 2 * (bitsAllocated / 8) : frameBytes;
  return {
    rows,
    columns,
    frames,
    samplesPerPixel,
    photometric,
    planarConfiguration: samplesPerPixel === 3 ? planarConfiguration : 0,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation,
    frameBytes,
    nativeFrameBytes,
  };
}

/**
 * One frame from its bytes to stored values: native frames are copied out, compressed ones go
 * through their codec adapter, and either way the result is checked against the Image Pixel module
 * and normalised to Bits Stored (stored-values.ts).
 */
import { CheXDeskError } from '../errors';
import type { StoredArray } from '../image/types';
import type { CodecOutput } from './codecs/codec-output';
import { decodeJpegLs } from './codecs/charls';
import { decodeJpegLossless } from './codecs/jpeg-lossless';
import { decodeJpegDct } from './codecs/libjpeg-turbo';
import { decodeJ2k } from './codecs/openjpeg';
import { decodeHtj2k } from './codecs/openjph';
import { decodeRle } from './codecs/rle';
import { findJ2kSize, findJpegMarkers, type StreamSize } from './codestream-header';
import type { ImageAttributes } from './image-attributes';
import type { PixelSource } from './pixel-data';
import { storedFromCodec, storedFromLittleEndianBytes, storedFromNative } from './stored-values';
import type { Codec, TransferSyntax } from './transfer-syntax';

/** What the stored values are: gray levels, palette indices, RGB, or still Y/Cb/Cr. */
export type ValuesColorSpace = 'MONOCHROME' | 'PALETTE' | 'RGB' | 'YBR';

export interface StoredFrame {
  index: number;
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  signed: boolean;
  /** Normalised to Bits Stored, interleaved, rows x columns x samplesPerPixel. */
  values: StoredArray;
  colorSpace: ValuesColorSpace;
}

function checkStreamSize(size: StreamSize | null, attrs: ImageAttributes, what: string): void {
  if (!size) throw new CheXDeskError('CorruptData', `frame is not a ${what} codestream (no image header found)`);
  if (size.width !== attrs.columns || size.height !== attrs.rows || size.components !== attrs.samplesPerPixel) {
    throw new CheXDeskError(
      'CorruptData',
      `the ${what} codestream is ${size.width}x${size.height}x${size.components} but the DICOM header says ${attrs.columns}x${attrs.rows}x${attrs.samplesPerPixel}`,
    );
  }
}

function checkOutput(out: CodecOutput, attrs: ImageAttributes): void {
  if (out.width !== attrs.columns || out.height !== attrs.rows || out.components !== attrs.samplesPerPixel) {
    throw new CheXDeskError('CorruptData', `the codec returned ${out.width}x${out.height}x${out.components}, the DICOM header says ${attrs.columns}x${attrs.rows}x${attrs.samplesPerPixel}`);
  }
  if (out.samples.length < attrs.rows * attrs.columns * attrs.samplesPerPixel) throw new CheXDeskError('CorruptData', 'the codec returned fewer samples than the image holds');
}

function colorSpaceOf(attrs: ImageAttributes, codec: Codec, codecConverted: boolean): ValuesColorSpace {
  if (attrs.photometric === 'PALETTE COLOR') return 'PALETTE';
  if (attrs.samplesPerPixel === 1) return 'MONOCHROME';
  if (attrs.photometric === 'RGB' || attrs.photometric === 'YBR_ICT' || attrs.photometric === 'YBR_RCT') return 'RGB';
  // YBR_FULL / YBR_FULL_422 / YBR_PARTIAL_422: libjpeg converts to RGB while decoding; others keep YCbCr.
  return codec === 'jpeg' && codecConverted ? 'RGB' : 'YBR';
}

export async function decodeStoredFrame(index: number, attrs: ImageAttributes, ts: TransferSyntax & { codec: Codec }, pixels: PixelSource): Promise<StoredFrame> {
  const bytes = pixels.frame(index);
  let values: StoredArray;
  let converted = false;
  const fromCodec = (out: CodecOutput): StoredArray => {
    checkOutput(out, attrs);
    return storedFromCodec(out, attrs);
  };
  switch (ts.codec) {
    case 'native':
    case 'deflate':
      values = storedFromNative(bytes, attrs, ts.littleEndian, pixels.kind === 'native' ? pixels.vr : undefined);
      break;
    case 'encapsulated-native':
      if (bytes.length < attrs.nativeFrameBytes) throw new CheXDeskError('CorruptData', `an encapsulated uncompressed frame holds ${bytes.length} of ${attrs.nativeFrameBytes} bytes`);
      values = storedFromNative(bytes.subarray(0, attrs.nativeFrameBytes), attrs, true, undefined);
      break;
    case 'rle': {
      const raw = decodeRle(bytes, attrs.rows, attrs.columns, attrs.samplesPerPixel, attrs.bitsAllocated / 8);
      values = storedFromLittleEndianBytes(raw, attrs, false);
      break;
    }
    case 'jpeg': {
      const sof = findJpegMarkers(bytes).sof;
      checkStreamSize(sof, attrs, 'JPEG');
      converted = sof!.precision <= 8 && attrs.samplesPerPixel === 3;
      values = await decodeJpegDct(bytes, attrs.photometric, fromCodec);
      break;
    }
    case 'jpeg-lossless':
      checkStreamSize(findJpegMarkers(bytes).sof, attrs, 'JPEG Lossless');
      values = await decodeJpegLossless(bytes, attrs.bitsAllocated > 8 ? 2 : 1, fromCodec);
      break;
    case 'jpeg-ls':
      checkStreamSize(findJpegMarkers(bytes).sof, attrs, 'JPEG-LS');
      values = await decodeJpegLs(bytes, fromCodec);
      break;
    case 'j2k':
      checkStreamSize(findJ2kSize(bytes), attrs, 'JPEG 2000');
      values = await decodeJ2k(bytes, fromCodec);
      break;
    case 'htj2k':
      checkStreamSize(findJ2kSize(bytes), attrs, 'HTJ2K');
      values = await decodeHtj2k(bytes, fromCodec);
      break;
  }
  return {
    index,
    rows: attrs.rows,
    columns: attrs.columns,
    samplesPerPixel: attrs.samplesPerPixel,
    bitsAllocated: attrs.bitsAllocated,
    bitsStored: attrs.bitsStored,
    signed: attrs.pixelRepresentation === 1,
    values,
    colorSpace: colorSpaceOf(attrs, ts.codec, converted),
  };
}

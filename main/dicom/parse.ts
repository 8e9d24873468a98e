/**
 * Bytes -> dicom-parser DataSet, for the three layouts a DICOM file comes in: Part 10 (preamble +
 * "DICM" + File Meta), File Meta without the preamble, and a bare data set without File Meta
 * (implicit VR LE by PS3.10 default, or explicit VR LE when the first element carries a VR).
 * dicom-parser does the parsing; this module recognises the layout, feeds it what it needs and turns
 * its throws (strings, objects, Errors) into CheXDeskErrors.
 */
import { inflateRawSync } from 'node:zlib';
import dicomParser, { type DataSet } from 'dicom-parser';
import { CheXDeskError } from '../errors';
import { EXPLICIT_VR_LE, IMPLICIT_VR_LE } from './transfer-syntax';

export type DicomLayout = 'part10' | 'meta-without-preamble' | 'dataset-implicit' | 'dataset-explicit';

export interface ParsedDicom {
  dataSet: DataSet;
  layout: DicomLayout;
  transferSyntaxUid: string;
}

/** Inflated data sets larger than this are refused (a deflate bomb would otherwise fill memory). */
export const MAX_INFLATED_BYTES = 2 ** 31 - 1;

const VRS = new Set(
  'AE AS AT CS DA DS DT FL FD IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);

function u16(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8);
}

function u32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

function hasVr(b: Uint8Array, p: number): boolean {
  return b.length >= p + 2 && VRS.has(String.fromCharCode(b[p]!, b[p + 1]!));
}

/**
 * Which layout the first bytes show, or null when they are not DICOM. Only the first 140 bytes are
 * read. A bare data set must start like one: an element of group 0008 (or the group length of a
 * later group) with a VR or a length that fits, so text and other binaries are not taken for DICOM.
 */
export function detectLayout(b: Uint8Array): DicomLayout | null {
  if (b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d) return 'part10';
  if (b.length < 8) return null;
  const group = u16(b, 0);
  const element = u16(b, 2);
  if (group === 0x0002 && element <= 0x0102 && hasVr(b, 4)) return 'meta-without-preamble';
  const plausibleGroup = group === 0x0008 || ((group === 0x0010 || group === 0x0018 || group === 0x0020 || group === 0x0028) && element === 0);
  if (!plausibleGroup) return null;
  if (hasVr(b, 4)) {
    const length = u16(b, 6);
    return length <= b.length ? 'dataset-explicit' : null;
  }
  const length = u32(b, 4);
  if (element === 0 && length !== 4) return null;
  return length < 0x10000 && 8 + length <= Math.max(b.length, 140) ? 'dataset-implicit' : null;
}

function inflater(bytes: Uint8Array, position: number): Uint8Array {
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(bytes.subarray(position), { maxOutputLength: MAX_INFLATED_BYTES - position });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new CheXDeskError('TooLarge', 'the deflated data set inflates to more than 2 GiB');
    if (code === 'Z_BUF_ERROR') throw new CheXDeskError('Truncated', 'the deflated data set ends before its end-of-stream (file cut short)');
    throw new CheXDeskError('CorruptData', 'the deflated data set cannot be inflated (corrupt or truncated)');
  }
  const full = new Uint8Array(position + inflated.length);
  full.set(bytes.subarray(0, position), 0);
  full.set(inflated, position);
  return full;
}

/** dicom-parser throws strings, Errors, or {exception, dataSet}; get the message out of any. */
export function isParserThrow(err: unknown): boolean {
  if (typeof err === 'string') return true;
  if (err && typeof err === 'object' && 'exception' in err) return true;
  return err instanceof Error && err.message.startsWith('dicomParser');
}

function parserMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (err && typeof err === 'object' && 'exception' in err) return parserMessage((err as { exception: unknown }).exception);
  return String(err);
}

/** A dicom-parser throw (also from its lazy accessors, e.g. ds.string on a cut element) as a CheXDeskError. */
export function explainParserError(err: unknown): CheXDeskError {
  if (err instanceof CheXDeskError) return err;
  if (err && typeof err === 'object' && 'exception' in err && (err as { exception: unknown }).exception instanceof CheXDeskError) {
    return (err as { exception: CheXDeskError }).exception;
  }
  const message = parserMessage(err).replace(/^dicomParser\.[\w.]+:\s*/, '');
  if (/past end|end of buffer|eof|beyond|exceeds|overrun|overread|not enough|truncat|cannot be greater than or equal to|maxP ?osition/i.test(message)) {
    return new CheXDeskError('Truncated', `the file ends inside its DICOM data (${message})`);
  }
  return new CheXDeskError('CorruptData', `the DICOM data cannot be parsed (${message})`);
}

/**
 * When parsing fails, the usual cause is a file cut inside Pixel Data: parse again up to that
 * element's header to say so in numbers.
 */
function truncatedPixelData(input: Uint8Array, options: dicomParser.ParseDicomOptions): CheXDeskError | null {
  try {
    const ds = dicomParser.parseDicom(input, { ...options, untilTag: 'x7fe00010' });
    const el = ds.elements['x7fe00010'];
    if (!el || el.length === 0xffffffff) return null;
    const remaining = ds.byteArray.length - el.dataOffset;
    if (el.length <= remaining) return null;
    return new CheXDeskError('Truncated', `Pixel Data (7FE0,0010) declares ${el.length} bytes but only ${Math.max(remaining, 0)} remain in the file`);
  } catch {
    return null;
  }
}

/** `headerOnly`: stop before Pixel Data (the study browser reads only the first part of each file). */
export function parseDicomBytes(bytes: Uint8Array, headerOnly = false): ParsedDicom {
  const layout = detectLayout(bytes);
  if (!layout) throw new CheXDeskError('NotDicom', 'not a DICOM file (no DICM marker, no File Meta, no recognisable data set)');
  if (layout === 'part10' && bytes.length >= 144 && u16(bytes, 132) === 0x0002 && u16(bytes, 134) === 0x0000) {
    const metaEnd = 144 + u32(bytes, 140);
    if (metaEnd > bytes.length) throw new CheXDeskError('Truncated', `the file ends inside its File Meta Information (${bytes.length} of at least ${metaEnd} bytes)`);
  }
  let input = bytes;
  const options: dicomParser.ParseDicomOptions = headerOnly ? { inflater, untilTag: 'x7fe00010' } : { inflater };
  if (layout === 'meta-without-preamble') {
    // dicom-parser reads File Meta only after a preamble; give it one (one copy, for a rare layout).
    input = new Uint8Array(132 + bytes.length);
    input.set([0x44, 0x49, 0x43, 0x4d], 128);
    input.set(bytes, 132);
  } else if (layout === 'dataset-implicit' || layout === 'dataset-explicit') {
    options.TransferSyntaxUID = layout === 'dataset-implicit' ? IMPLICIT_VR_LE : EXPLICIT_VR_LE;
  }
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(input, options);
  } catch (err) {
    throw truncatedPixelData(input, options) ?? explainParserError(err);
  }
  const transferSyntaxUid = (dataSet.string('x00020010') ?? options.TransferSyntaxUID ?? '').trim();
  if (!transferSyntaxUid) throw new CheXDeskError('CorruptData', 'the File Meta Information has no Transfer Syntax UID');
  return { dataSet, layout, transferSyntaxUid };
}


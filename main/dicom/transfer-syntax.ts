/**
 * Every transfer syntax of PS3.6 Annex A that a file may carry, with the name a person reads and the
 * codec that decodes it. Syntaxes we cannot decode stay in the table so the error names them
 * ("MPEG2 Main Profile / Main Level") instead of printing a bare UID.
 */
import { UnsupportedTransferSyntaxError } from '../errors';

export type Codec =
  | 'native' // uncompressed, little or big endian
  | 'deflate' // deflated explicit VR LE: the data set is deflated, the pixels are native
  | 'encapsulated-native' // uncompressed frames in fragments
  | 'rle'
  | 'jpeg' // DCT JPEG: baseline 8-bit or extended 12-bit (the adapter picks by the SOF precision)
  | 'jpeg-lossless'
  | 'jpeg-ls'
  | 'j2k'
  | 'htj2k';

export interface TransferSyntax {
  uid: string;
  name: string;
  /** Null when we know the syntax but cannot decode its pixels (video, JPIP references, JPEG XL…). */
  codec: Codec | null;
  explicitVr: boolean;
  littleEndian: boolean;
  /** Pixel data in fragments (PS3.5 A.4). */
  encapsulated: boolean;
  lossy: boolean;
}

type Row = [uid: string, name: string, codec: Codec | null, lossy?: boolean];

const ROWS: Row[] = [
  ['1.2.840.10008.1.2', 'Implicit VR Little Endian', 'native'],
  ['1.2.840.10008.1.2.1', 'Explicit VR Little Endian', 'native'],
  ['1.2.840.10008.1.2.1.98', 'Encapsulated Uncompressed Explicit VR Little Endian', 'encapsulated-native'],
  ['1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian', 'deflate'],
  ['1.2.840.10008.1.2.2', 'Explicit VR Big Endian', 'native'],
  ['1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', 'jpeg', true],
  ['1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', 'jpeg', true],
  ['1.2.840.10008.1.2.4.52', 'JPEG Extended (Process 3 & 5) (Retired)', null, true],
  ['1.2.840.10008.1.2.4.53', 'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8) (Retired)', null, true],
  ['1.2.840.10008.1.2.4.54', 'JPEG Spectral Selection, Non-Hierarchical (Process 7 & 9) (Retired)', null, true],
  ['1.2.840.10008.1.2.4.55', 'JPEG Full Progression, Non-Hierarchical (Process 10 & 12) (Retired)', null, true],
  ['1.2.840.10008.1.2.4.56', 'JPEG Full Progression, Non-Hierarchical (Process 11 & 13) (Retired)', null, true],
  ['1.2.840.10008.1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)', 'jpeg-lossless'],
  ['1.2.840.10008.1.2.4.58', 'JPEG Lossless, Non-Hierarchical (Process 15) (Retired)', null],
  ['1.2.840.10008.1.2.4.59', 'JPEG Extended, Hierarchical (Process 16 & 18) (Retired)', null, true],
  ['1.2.840.10008.1.2.4.60', 'JPEG Extended, Hierarchical (Process 17 & 19) (Retired)', null, true],
  ['1.2.840.10008.1.2.4.61', 'JPEG Spectral Selection, Hierarchical (Process 20 & 22) (Retired)', null, true],
  ['1.2.840.10008.1.2.4.62', 'JPEG Spectral Selection, Hierarchical (Process 21 & 23) (Retired)', null, true],
  ['1.2.840.10008.1.2.4.63', 'JPEG Full Progression, Hierarchical (Process 24 & 26) (Retired)', null, true],
  ['1.2.840.10008.1.2.4.64', 'JPEG Full Progression, Hierarchical (Process 25 & 27) (Retired)', null, true],
  ['1.2.840.10008.1.2.4.65', 'JPEG Lossless, Hierarchical (Process 28) (Retired)', null],
  ['1.2.840.10008.1.2.4.66', 'JPEG Lossless, Hierarchical (Process 29) (Retired)', null],
  ['1.2.840.10008.1.2.4.70', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])', 'jpeg-lossless'],
  ['1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless Image Compression', 'jpeg-ls'],
  ['1.2.840.10008.1.2.4.81', 'JPEG-LS Lossy (Near-Lossless) Image Compression', 'jpeg-ls', true],
  ['1.2.840.10008.1.2.4.90', 'JPEG 2000 Image Compression (Lossless Only)', 'j2k'],
  ['1.2.840.10008.1.2.4.91', 'JPEG 2000 Image Compression', 'j2k', true],
  ['1.2.840.10008.1.2.4.92', 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)', null],
  ['1.2.840.10008.1.2.4.93', 'JPEG 2000 Part 2 Multi-component Image Compression', null, true],
  ['1.2.840.10008.1.2.4.94', 'JPIP Referenced', null],
  ['1.2.840.10008.1.2.4.95', 'JPIP Referenced Deflate', null],
  ['1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile / Main Level', null, true],
  ['1.2.840.10008.1.2.4.100.1', 'Fragmentable MPEG2 Main Profile / Main Level', null, true],
  ['1.2.840.10008.1.2.4.101', 'MPEG2 Main Profile / High Level', null, true],
  ['1.2.840.10008.1.2.4.101.1', 'Fragmentable MPEG2 Main Profile / High Level', null, true],
  ['1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264 High Profile / Level 4.1', null, true],
  ['1.2.840.10008.1.2.4.102.1', 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1', null, true],
  ['1.2.840.10008.1.2.4.103', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', null, true],
  ['1.2.840.10008.1.2.4.103.1', 'Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', null, true],
  ['1.2.840.10008.1.2.4.104', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', null, true],
  ['1.2.840.10008.1.2.4.104.1', 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', null, true],
  ['1.2.840.10008.1.2.4.105', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', null, true],
  ['1.2.840.10008.1.2.4.105.1', 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', null, true],
  ['1.2.840.10008.1.2.4.106', 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', null, true],
  ['1.2.840.10008.1.2.4.106.1', 'Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', null, true],
  ['1.2.840.10008.1.2.4.107', 'HEVC/H.265 Main Profile / Level 5.1', null, true],
  ['1.2.840.10008.1.2.4.108', 'HEVC/H.265 Main 10 Profile / Level 5.1', null, true],
  ['1.2.840.10008.1.2.4.110', 'JPEG XL Lossless', null],
  ['1.2.840.10008.1.2.4.111', 'JPEG XL JPEG Recompression', null],
  ['1.2.840.10008.1.2.4.112', 'JPEG XL', null, true],
  ['1.2.840.10008.1.2.4.201', 'High-Throughput JPEG 2000 Image Compression (Lossless Only)', 'htj2k'],
  ['1.2.840.10008.1.2.4.202', 'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)', 'htj2k'],
  ['1.2.840.10008.1.2.4.203', 'High-Throughput JPEG 2000 Image Compression', 'htj2k', true],
  ['1.2.840.10008.1.2.4.204', 'JPIP HTJ2K Referenced', null],
  ['1.2.840.10008.1.2.4.205', 'JPIP HTJ2K Referenced Deflate', null],
  ['1.2.840.10008.1.2.5', 'RLE Lossless', 'rle'],
  ['1.2.840.10008.1.2.6.1', 'RFC 2557 MIME encapsulation (Retired)', null],
  ['1.2.840.10008.1.2.6.2', 'XML Encoding (Retired)', null],
  ['1.2.840.10008.1.2.7.1', 'SMPTE ST 2110-20 Uncompressed Progressive Active Video', null],
  ['1.2.840.10008.1.2.7.2', 'SMPTE ST 2110-20 Uncompressed Interlaced Active Video', null],
  ['1.2.840.10008.1.2.7.3', 'SMPTE ST 2110-30 PCM Digital Audio', null],
  ['1.2.840.10008.1.20', 'Papyrus 3 Implicit VR Little Endian (Retired)', 'native'],
];

const TABLE = new Map<string, TransferSyntax>(
  ROWS.map(([uid, name, codec, lossy]) => [
    uid,
    {
      uid,
      name,
      codec,
      explicitVr: uid !== '1.2.840.10008.1.2' && uid !== '1.2.840.10008.1.20',
      littleEndian: uid !== '1.2.840.10008.1.2.2',
      encapsulated: codec !== null && codec !== 'native' && codec !== 'deflate',
      lossy: lossy ?? false,
    },
  ]),
);

export const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
export const EXPLICIT_VR_BE = '1.2.840.10008.1.2.2';
export const DEFLATED_LE = '1.2.840.10008.1.2.1.99';

/** The table entry for a UID, or null when the UID is not a transfer syntax we have heard of. */
export function lookupTransferSyntax(uid: string): TransferSyntax | null {
  return TABLE.get(uid) ?? null;
}

/** The name a person reads, also for UIDs we cannot decode. */
export function transferSyntaxName(uid: string): string {
  return TABLE.get(uid)?.name ?? (uid.startsWith('1.2.840.10008.') ? 'unknown DICOM transfer syntax' : 'unknown (private) transfer syntax');
}

/** The syntax when we can decode its pixels; otherwise the typed error naming it. */
export function requireDecodable(uid: string, file?: string): TransferSyntax & { codec: Codec } {
  const ts = TABLE.get(uid);
  if (!ts || ts.codec === null) throw new UnsupportedTransferSyntaxError(uid, transferSyntaxName(uid), file);
  return ts as TransferSyntax & { codec: Codec };
}

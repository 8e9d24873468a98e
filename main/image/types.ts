/**
 * The one image type every decoder produces (DICOM through dicom-parser and the codecs, PNG/JPEG
 * through sharp) and everything downstream consumes: the viewer (display), the preprocessing
 * (model input) and the thumbnails. Pure types: this file is imported by the renderer too.
 */

export type SourceKind = 'dicom' | 'png' | 'jpeg';

/** Stored values, normalised to Bits Stored (masked, or sign-extended when signed). */
export type StoredArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

/** Stored value -> modality value (Hounsfield units, optical density, …). */
export type ModalityLut =
  | { kind: 'linear'; slope: number; intercept: number }
  /** Modality LUT Sequence: stored values below firstMapped use table[0], above the end the last entry. */
  | { kind: 'table'; firstMapped: number; table: Float64Array; explanation?: string };

export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

/** Modality value -> display intensity. */
export type Voi =
  | {
      kind: 'window';
      center: number;
      width: number;
      fn: VoiFunction;
      /** Where the window came from: the file's tags, the frame's min/max, or a raster's full range. */
      source: 'tags' | 'minmax' | 'full-range';
      explanation?: string;
    }
  /** VOI LUT Sequence: modality values below firstMapped use table[0]; output range 0..2^bits-1. */
  | { kind: 'table'; firstMapped: number; bits: number; table: Uint16Array; source: 'tags'; explanation?: string };

export interface GrayFrame {
  kind: 'gray';
  rows: number;
  columns: number;
  stored: StoredArray;
  bitsStored: number;
  signed: boolean;
  modality: ModalityLut;
  /** The default window: the one the file asks for, else the frame's min/max (padding excluded). */
  voi: Voi;
  /** MONOCHROME1: low values are white. Applied after VOI. */
  invert: boolean;
  /** Pixel Padding Value (stored units), excluded from min/max. */
  paddingValue?: number;
  /** Stored min/max over the frame (padding excluded). */
  min: number;
  max: number;
}

export interface ColorFrame {
  kind: 'rgb';
  rows: number;
  columns: number;
  /** Interleaved R,G,B, 8 bits each (YBR converted, palette applied, planes interleaved). */
  rgb: Uint8Array;
}

export type Frame = GrayFrame | ColorFrame;

/** An 8-bit rendering: what a ChestX-ray14 PNG is, and what the model preprocessing starts from. */
export interface Image8 {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Row-major, interleaved when channels = 3. */
  data: Uint8Array;
}

export interface TransferSyntaxInfo {
  uid: string;
  name: string;
}

/** The DICOM attributes a viewer, a study browser and a results table need. */
export interface DicomInfo {
  transferSyntax: TransferSyntaxInfo;
  photometric: string;
  samplesPerPixel: number;
  planarConfiguration: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: number;
  rescale: { slope: number; intercept: number };
  /** The first Window Center/Width pair when the file has one. */
  window?: { center: number; width: number };
  /** All pairs, when the file offers more than one (with their explanations). */
  windows?: { center: number; width: number; explanation?: string }[];
  patientName?: string;
  patientId?: string;
  patientBirthDate?: string;
  patientSex?: string;
  studyInstanceUid?: string;
  studyDate?: string;
  studyTime?: string;
  studyDescription?: string;
  accessionNumber?: string;
  seriesInstanceUid?: string;
  seriesNumber?: number;
  seriesDescription?: string;
  sopInstanceUid?: string;
  sopClassUid?: string;
  instanceNumber?: number;
  modality?: string;
  viewPosition?: string;
  bodyPartExamined?: string;
  laterality?: string;
  institutionName?: string;
  pixelSpacing?: [number, number];
}

export interface RasterInfo {
  format: 'png' | 'jpeg';
  /** What the file holds before we turn it into gray or RGB. */
  channels: number;
  bitDepth: 8 | 16;
  hasAlpha: boolean;
  palette: boolean;
  /** EXIF orientation tag (1..8) that was applied, when present. */
  exifOrientation?: number;
}

export interface ImageInfo {
  path: string;
  kind: SourceKind;
  rows: number;
  columns: number;
  frames: number;
  dicom?: DicomInfo;
  raster?: RasterInfo;
}

/** A file that was recognised and parsed; frames are decoded on demand. */
export interface OpenedImage {
  info: ImageInfo;
  /** Decodes one frame (0-based). Throws CheXDeskError (FrameOutOfRange, CorruptData, …). */
  frame(index: number): Promise<Frame>;
}

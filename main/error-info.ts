/**
 * The shape of an error as it crosses the process boundary: pure types, no Node, so the renderer
 * imports them as they are. The class that carries them in the core is in errors.ts.
 */
export type ErrorCode =
  | 'NotDicom' // not a DICOM file, nor a PNG/JPEG we can read
  | 'NotAnImage' // readable, but holds no image (a Structured Report, an RT Plan, …)
  | 'NoPixelData'
  | 'UnsupportedTransferSyntax'
  | 'UnsupportedImage' // a pixel layout we do not handle (photometric, bit depth, …)
  | 'Truncated' // the file ends before the data it declares
  | 'TooLarge' // declared size beyond what we will allocate
  | 'CorruptData' // the codec or parser rejected the bytes
  | 'FrameOutOfRange'
  | 'FileUnreadable' // I/O: missing, permission, a directory
  | 'ModelNotFound'
  | 'InvalidManifest'
  | 'ModelMismatch' // manifest and ONNX graph disagree
  | 'InvalidArgument'
  | 'AccessDenied'
  | 'Cancelled'
  | 'Busy' // the action conflicts with work in progress (a running batch)
  | 'Internal';

export interface ErrorInfo {
  code: ErrorCode;
  /** The file concerned, when there is one. */
  file?: string;
  /** What went wrong, for a person. Never a stack trace. */
  reason: string;
  /** Extra structured facts (e.g. {uid, name} of a transfer syntax). */
  detail?: Record<string, string | number | boolean>;
}

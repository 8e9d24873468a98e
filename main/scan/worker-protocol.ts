/**
 * Messages between the decode workers and the process that owns the model. Decoding and
 * preprocessing run in the workers; only Float32 tensors (transferred, not copied) and small
 * metadata come back. A worker decodes one frame ahead and then waits for credit, so memory stays
 * flat however large the folder or the multi-frame file.
 */
import type { ErrorInfo } from '../errors';
import type { Frame, ImageInfo } from '../image/types';
import type { ModelManifest } from '../model/manifest';
import type { Prepared } from '../preprocess/preprocess';
import type { Mode } from '../api';

export type ToWorker =
  | { type: 'prepare'; taskId: number; path: string; mode: Mode; manifest: ModelManifest; skipFrames: number[] }
  | { type: 'credit'; taskId: number }
  | { type: 'cancel'; taskId: number }
  | { type: 'decode'; taskId: number; path: string; frame: number }
  | { type: 'thumbnail'; taskId: number; path: string; size: number };

export interface PreparedFrame {
  frame: number;
  frames: number;
  info: ImageInfo;
  /** The model input (its preprocessMs set). */
  prepared: Prepared;
  decodeMs: number;
}

export type FromWorker =
  | { type: 'prepared'; taskId: number; item: PreparedFrame }
  | { type: 'frame-failed'; taskId: number; frame: number; frames: number; info: ImageInfo | null; error: ErrorInfo }
  | { type: 'end'; taskId: number }
  | { type: 'decoded'; taskId: number; info: ImageInfo; frame: Frame; decodeMs: number }
  | { type: 'thumbnail'; taskId: number; png: Uint8Array; width: number; height: number }
  | { type: 'failed'; taskId: number; error: ErrorInfo };

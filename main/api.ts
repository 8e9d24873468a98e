/**
 * The one contract between the UI and the core: every method a user's action can call, its argument
 * and result types, the events the core pushes, and the validation every argument gets on arrival.
 * Electron registers these methods on ipcMain.handle and exposes them through contextBridge; serve mode
 * exposes the same methods as POST /api/<method> with an event stream; the renderer reaches them only
 * through renderer/bridge.ts. Nothing else crosses the process boundary.
 *
 * Pure TypeScript without Node APIs: the renderer imports these types.
 */
import type { ErrorInfo } from './error-info';
import type { DicomInfo, ImageInfo, ModalityLut, SourceKind, StoredArray, Voi } from './image/types';

export type Mode = 'center' | 'tencrop';

// ─── model ──────────────────────────────────────────────────────────────────────────────────────

export interface ModelInfo {
  /** Folder name in the model store, or the folder path when it came from --model. */
  id: string;
  dir: string;
  name: string;
  version: string;
  /** false: untrained weights; every number it gives is labelled as not a finding. */
  trained: boolean;
  architecture?: string;
  description?: string;
  labels: string[];
  operatingPoints: Record<string, number> | null;
  hasCam: boolean;
  inputSize: number;
  channels: 1 | 3;
  provenance?: Record<string, unknown>;
}

export interface ModelStatus {
  /** The model in use, or null when none is installed or it failed to load. */
  current: ModelInfo | null;
  /** Why there is no current model (none installed, or the reason it failed to load). */
  problem?: ErrorInfo;
  /** Every model in the store. */
  installed: ModelInfo[];
  /** Shown in the Model dialog: how to convert real CheXNet weights. */
  conversionHelp: string;
}

// ─── study browser ──────────────────────────────────────────────────────────────────────────────

export interface StudyImage {
  path: string;
  /** Path relative to the opened folder, for display. */
  relPath: string;
  kind: SourceKind;
  frames: number;
  rows: number;
  columns: number;
  instanceNumber?: number;
  viewPosition?: string;
  /** Top finding once known (from this session's predictions or the last batch). */
  top?: { label: string; probability: number; above: boolean };
}

export interface StudySeries {
  seriesInstanceUid: string;
  seriesNumber?: number;
  description?: string;
  modality?: string;
  images: StudyImage[];
}

export interface StudyGroup {
  studyInstanceUid: string;
  studyDate?: string;
  description?: string;
  accessionNumber?: string;
  series: StudySeries[];
}

export interface PatientGroup {
  patientId: string;
  patientName: string;
  birthDate?: string;
  sex?: string;
  studies: StudyGroup[];
}

/** PNG/JPEG files, grouped by the subfolder they are in. */
export interface RasterFolder {
  relDir: string;
  images: StudyImage[];
}

export interface UnreadableFile {
  path: string;
  relPath: string;
  error: ErrorInfo;
}

export interface StudyTree {
  root: string;
  patients: PatientGroup[];
  folders: RasterFolder[];
  unreadable: UnreadableFile[];
  /** Files that are neither DICOM nor PNG/JPEG (skipped silently, counted). */
  skipped: number;
  /** All images in display order (what the arrow keys step through). */
  order: string[];
}

// ─── viewer ─────────────────────────────────────────────────────────────────────────────────────

export type FrameHeader =
  | {
      kind: 'gray';
      rows: number;
      columns: number;
      bitsStored: number;
      signed: boolean;
      modality: SerializedModalityLut;
      voi: SerializedVoi;
      invert: boolean;
      min: number;
      max: number;
      paddingValue?: number;
    }
  | { kind: 'rgb'; rows: number; columns: number };

/** Modality/VOI LUTs with plain arrays instead of typed arrays inside (JSON-safe). */
export type SerializedModalityLut = Exclude<ModalityLut, { kind: 'table' }> | { kind: 'table'; firstMapped: number; table: number[]; explanation?: string };
export type SerializedVoi = Exclude<Voi, { kind: 'table' }> | { kind: 'table'; firstMapped: number; bits: number; table: number[]; source: 'tags'; explanation?: string };

export interface FrameResult {
  path: string;
  frame: number;
  info: ImageInfo;
  header: FrameHeader;
  /** Gray: stored values (normalised to Bits Stored). RGB: interleaved 8-bit RGB. Sent once, as binary. */
  pixels: StoredArray;
  decodeMs: number;
}

export interface Thumbnail {
  path: string;
  /** A PNG, at most `size` pixels on its longer side. */
  png: Uint8Array;
  width: number;
  height: number;
}

// ─── findings ───────────────────────────────────────────────────────────────────────────────────

export interface Finding {
  label: string;
  probability: number;
  operatingPoint?: number;
  /** probability >= operatingPoint (false when the model has none). */
  above: boolean;
}

export interface PredictionResult {
  path: string;
  frame: number;
  mode: Mode;
  model: { id: string; name: string; version: string; trained: boolean };
  /** Ranked, highest probability first. */
  findings: Finding[];
  /** In the model's label order, full precision. */
  probabilities: number[];
  timings: { decodeMs: number; preprocessMs: number; inferenceMs: number; totalMs: number };
  hasCam: boolean;
}

export interface Heatmap {
  path: string;
  frame: number;
  label: string;
  mode: Mode;
  /** Grid over the whole image, same aspect; image pixel (x, y) is at (x * width / imageWidth, …). */
  width: number;
  height: number;
  imageWidth: number;
  imageHeight: number;
  /** Raw class activation (no bias, no sigmoid), row-major. */
  values: Float32Array;
  min: number;
  max: number;
}

// ─── batch ──────────────────────────────────────────────────────────────────────────────────────

export type BatchState = 'running' | 'done' | 'cancelled' | 'interrupted' | 'failed';

/** Which image a result is about: a file, one frame of it, and the DICOM UIDs that identify it. */
export interface ImageRef {
  path: string;
  kind: SourceKind | null;
  frame: number;
  frames: number;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
}

export interface BatchRow extends ImageRef {
  relPath: string;
  /** In the batch's label order; null when the image failed. */
  probabilities: number[] | null;
  topLabel: string | null;
  topProbability: number | null;
  /** Labels at or above their operating point. */
  flagged: string[];
  error: ErrorInfo | null;
  /** Taken over from an earlier scan because the file did not change. */
  reused: boolean;
}

export interface BatchSummary {
  id: number;
  folder: string;
  mode: Mode;
  model: { id: string; name: string; version: string; trained: boolean };
  labels: string[];
  operatingPoints: Record<string, number> | null;
  state: BatchState;
  startedAt: string;
  finishedAt: string | null;
  total: number;
  done: number;
  failed: number;
  reused: number;
}

/** Where a scan stands (the CLI's progress line and the app's progress bar). */
export interface ProgressCounts {
  done: number;
  total: number;
  failed: number;
  /** Images whose earlier result was taken over. */
  reused: number;
  /** Images per second over the last few seconds. */
  rate: number;
  etaSeconds: number | null;
  currentFile: string | null;
}

export interface BatchProgress extends ProgressCounts {
  batchId: number;
  state: BatchState;
}

export interface BatchResults {
  batch: BatchSummary | null;
  rows: BatchRow[];
}

export type ExportFormat = 'csv' | 'json';

export interface ExportedFile {
  filename: string;
  mime: string;
  /** Set when the host wrote the file (Electron's save dialog); else the bytes to download. */
  savedTo?: string;
  content?: Uint8Array;
}

// ─── app ────────────────────────────────────────────────────────────────────────────────────────

export interface Settings {
  mode: Mode;
  heatmapOpacity: number;
  recentFolders: string[];
  window?: { width: number; height: number; x?: number; y?: number; maximized?: boolean };
}

export interface AppInfo {
  version: string;
  host: 'electron' | 'serve';
  /** Electron has native folder/file dialogs; in a browser the user types a path. */
  nativeDialogs: boolean;
  dataDir: string;
  openedFolders: string[];
  settings: Settings;
  model: ModelStatus;
}

// ─── events ─────────────────────────────────────────────────────────────────────────────────────

export type ApiEvent =
  | { type: 'batch-progress'; progress: BatchProgress }
  | { type: 'batch-row'; batchId: number; row: BatchRow }
  | { type: 'batch-finished'; batch: BatchSummary }
  | { type: 'model-changed'; model: ModelStatus }
  | { type: 'folder-opened'; tree: StudyTree }
  /** A native menu item or shortcut the renderer should act on (Electron host only). */
  | { type: 'menu'; command: MenuCommand; path?: string };

export type MenuCommand =
  | 'open-folder'
  | 'batch-scan'
  | 'export-results'
  | 'model-dialog'
  | 'invert'
  | 'reset'
  | 'heatmap'
  | 'tencrop'
  | 'shortcuts';

// ─── the methods ────────────────────────────────────────────────────────────────────────────────

export interface Api {
  getAppInfo(args: Record<string, never>): Promise<AppInfo>;
  /** Opens a folder (granting access to the files under it) and lists its images. */
  openFolder(args: { path: string }): Promise<StudyTree>;
  /** Electron: the native folder dialog; resolves null when cancelled or when there are no dialogs. */
  chooseFolder(args: { purpose: 'open' | 'batch' | 'import-model' }): Promise<string | null>;
  getFrame(args: { path: string; frame: number }): Promise<FrameResult>;
  getThumbnail(args: { path: string; size: number }): Promise<Thumbnail>;
  predict(args: { path: string; frame: number; mode: Mode }): Promise<PredictionResult>;
  getHeatmap(args: { path: string; frame: number; mode: Mode; label: string; maxSide: number }): Promise<Heatmap>;
  startBatch(args: { folder: string; mode: Mode }): Promise<BatchSummary>;
  cancelBatch(args: { batchId: number }): Promise<BatchSummary>;
  /** The given batch, or the most recent one when batchId is omitted. */
  getBatchResults(args: { batchId?: number }): Promise<BatchResults>;
  exportResults(args: { batchId: number; format: ExportFormat }): Promise<ExportedFile>;
  getModelStatus(args: Record<string, never>): Promise<ModelStatus>;
  importModel(args: { path: string }): Promise<ModelStatus>;
  makeDemoModel(args: Record<string, never>): Promise<ModelStatus>;
  selectModel(args: { id: string }): Promise<ModelStatus>;
  updateSettings(args: Partial<Pick<Settings, 'mode' | 'heatmapOpacity'>>): Promise<Settings>;
}

export type ApiMethod = keyof Api;
export type ApiArgs<M extends ApiMethod> = Parameters<Api[M]>[0];
export type ApiResult<M extends ApiMethod> = Awaited<ReturnType<Api[M]>>;

// ─── validation on arrival ──────────────────────────────────────────────────────────────────────

/** Thrown by the validators; hosts turn it into an InvalidArgument error (HTTP 400). */
export class ApiArgumentError extends Error {
  constructor(readonly method: string, readonly field: string, readonly problem: string) {
    super(`${method}: ${field} ${problem}`);
    this.name = 'ApiArgumentError';
  }
}

type Validator<M extends ApiMethod> = (raw: Record<string, unknown>) => ApiArgs<M>;

function obj(method: string, raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ApiArgumentError(method, 'arguments', 'must be an object');
  return raw as Record<string, unknown>;
}

function only(method: string, raw: Record<string, unknown>, keys: string[]): void {
  for (const k of Object.keys(raw)) if (!keys.includes(k)) throw new ApiArgumentError(method, k, 'is not an argument of this method');
}

function path(method: string, raw: Record<string, unknown>, key: string): string {
  const v = raw[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > 4096 || v.includes('\0')) throw new ApiArgumentError(method, key, 'must be a file path');
  return v;
}

function int(method: string, raw: Record<string, unknown>, key: string, min: number, max: number): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ApiArgumentError(method, key, `must be an integer from ${min} to ${max}`);
  return v;
}

function oneOf<T extends string>(method: string, raw: Record<string, unknown>, key: string, values: readonly T[]): T {
  const v = raw[key];
  if (typeof v !== 'string' || !values.includes(v as T)) throw new ApiArgumentError(method, key, `must be one of ${values.join(', ')}`);
  return v as T;
}

function label(method: string, raw: Record<string, unknown>, key: string): string {
  const v = raw[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > 200) throw new ApiArgumentError(method, key, 'must be a label');
  return v;
}

const MODES = ['center', 'tencrop'] as const;
const MAX_FRAME = 1_000_000;

export const validators: { [M in ApiMethod]: Validator<M> } = {
  getAppInfo: (raw) => (only('getAppInfo', raw, []), {}),
  openFolder: (raw) => (only('openFolder', raw, ['path']), { path: path('openFolder', raw, 'path') }),
  chooseFolder: (raw) => (only('chooseFolder', raw, ['purpose']), { purpose: oneOf('chooseFolder', raw, 'purpose', ['open', 'batch', 'import-model'] as const) }),
  getFrame: (raw) => (only('getFrame', raw, ['path', 'frame']), { path: path('getFrame', raw, 'path'), frame: int('getFrame', raw, 'frame', 0, MAX_FRAME) }),
  getThumbnail: (raw) => (only('getThumbnail', raw, ['path', 'size']), { path: path('getThumbnail', raw, 'path'), size: int('getThumbnail', raw, 'size', 16, 512) }),
  predict: (raw) => (
    only('predict', raw, ['path', 'frame', 'mode']),
    { path: path('predict', raw, 'path'), frame: int('predict', raw, 'frame', 0, MAX_FRAME), mode: oneOf('predict', raw, 'mode', MODES) }
  ),
  getHeatmap: (raw) => (
    only('getHeatmap', raw, ['path', 'frame', 'mode', 'label', 'maxSide']),
    {
      path: path('getHeatmap', raw, 'path'),
      frame: int('getHeatmap', raw, 'frame', 0, MAX_FRAME),
      mode: oneOf('getHeatmap', raw, 'mode', MODES),
      label: label('getHeatmap', raw, 'label'),
      maxSide: int('getHeatmap', raw, 'maxSide', 7, 4096),
    }
  ),
  startBatch: (raw) => (only('startBatch', raw, ['folder', 'mode']), { folder: path('startBatch', raw, 'folder'), mode: oneOf('startBatch', raw, 'mode', MODES) }),
  cancelBatch: (raw) => (only('cancelBatch', raw, ['batchId']), { batchId: int('cancelBatch', raw, 'batchId', 1, Number.MAX_SAFE_INTEGER) }),
  getBatchResults: (raw) => {
    only('getBatchResults', raw, ['batchId']);
    return raw.batchId === undefined ? {} : { batchId: int('getBatchResults', raw, 'batchId', 1, Number.MAX_SAFE_INTEGER) };
  },
  exportResults: (raw) => (
    only('exportResults', raw, ['batchId', 'format']),
    { batchId: int('exportResults', raw, 'batchId', 1, Number.MAX_SAFE_INTEGER), format: oneOf('exportResults', raw, 'format', ['csv', 'json'] as const) }
  ),
  getModelStatus: (raw) => (only('getModelStatus', raw, []), {}),
  importModel: (raw) => (only('importModel', raw, ['path']), { path: path('importModel', raw, 'path') }),
  makeDemoModel: (raw) => (only('makeDemoModel', raw, []), {}),
  selectModel: (raw) => (only('selectModel', raw, ['id']), { id: label('selectModel', raw, 'id') }),
  updateSettings: (raw) => {
    only('updateSettings', raw, ['mode', 'heatmapOpacity']);
    const out: Partial<Pick<Settings, 'mode' | 'heatmapOpacity'>> = {};
    if (raw.mode !== undefined) out.mode = oneOf('updateSettings', raw, 'mode', MODES);
    if (raw.heatmapOpacity !== undefined) {
      const v = raw.heatmapOpacity;
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new ApiArgumentError('updateSettings', 'heatmapOpacity', 'must be a number from 0 to 1');
      out.heatmapOpacity = v;
    }
    return out;
  },
};

export const API_METHODS = Object.keys(validators) as ApiMethod[];

export function isApiMethod(name: string): name is ApiMethod {
  return Object.prototype.hasOwnProperty.call(validators, name);
}

/** Validates raw arguments for a method (from IPC or HTTP) into its typed arguments. */
export function validateArgs<M extends ApiMethod>(method: M, raw: unknown): ApiArgs<M> {
  return validators[method](obj(method, raw));
}

/** The result of a failed call, as it crosses the boundary. */
export interface ApiFailure {
  error: ErrorInfo;
}

export type { DicomInfo, ImageInfo };

// ─── transports ─────────────────────────────────────────────────────────────────────────────────

/**
 * Electron: what the preload exposes as `window.chexdesk` through contextBridge. Errors cannot cross
 * ipcMain.handle with their fields intact, so every call resolves to an envelope.
 */
export type IpcEnvelope<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export interface PreloadBridge {
  invoke(method: ApiMethod, args: unknown): Promise<IpcEnvelope<unknown>>;
  /** Subscribes to core events; returns the unsubscribe function. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** Absolute path of a file or folder dropped on the window (Electron's webUtils). */
  pathForFile(file: unknown): string;
}

export const PRELOAD_GLOBAL = 'chexdesk';
export const IPC_INVOKE_CHANNEL = 'chexdesk:invoke';
export const IPC_EVENT_CHANNEL = 'chexdesk:event';

/**
 * Serve mode: POST /api/<method> with the JSON arguments and `Authorization: Bearer <token>`;
 * GET /api/events?token=<token> is a server-sent event stream of ApiEvent. Results are JSON, or
 * BINARY_MIME (main/wire.ts) when they hold typed arrays. Failures carry an ApiFailure body with
 * these statuses.
 */
export const HTTP_STATUS_FOR_ERROR: Record<string, number> = {
  InvalidArgument: 400,
  AccessDenied: 403,
  FileUnreadable: 404,
  ModelNotFound: 409,
  Busy: 409,
  Internal: 500,
};
/** Any other error code is a problem with the user's data: 422. */
export const HTTP_STATUS_DATA_ERROR = 422;

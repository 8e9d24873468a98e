/**
 * The core behind every host: implements main/api.ts's Api on plain Node. Electron and serve mode
 * validate arguments (validateArgs) and forward calls here; they add only what is theirs (native
 * dialogs, the save dialog).
 */
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { stat } from 'node:fs/promises';
import type {
  Api,
  AppInfo,
  BatchResults,
  BatchSummary,
  ExportedFile,
  FrameHeader,
  FrameResult,
  Heatmap,
  ModelStatus,
  PredictionResult,
  Settings,
  StudyTree,
  Thumbnail,
  Mode,
} from '../api';
import { CheXDeskError } from '../errors';
import { render8 } from '../image/render8';
import type { Frame } from '../image/types';
import { camHeatmap } from '../model/cam';
import { ModelStore } from '../model/model-store';
import { predictPrepared, preprocess, type Prediction } from '../model/predict';
import { dataDir, resultsDbFile } from '../paths';
import { VERSION } from '../version';
import { DecodePool } from '../scan/decode-pool';
import { SettingsStore } from '../settings-store';
import { ResultsDb } from '../store/results-db';
import { BatchManager } from './batch-manager';
import { EventHub } from './events';
import { exportBatch } from './export-results';
import { FolderAccess } from './folder-access';
import { FrameCache, type CachedFrame } from './frame-cache';
import { ModelManager } from './model-manager';
import { buildStudyTree } from './study-tree';

/** What a host adds: its kind and, in Electron, native dialogs. */
export interface HostServices {
  kind: 'electron' | 'serve';
  chooseFolder?(purpose: 'open' | 'batch' | 'import-model'): Promise<string | null>;
  /** Shows a save dialog and writes the file; resolves the path written, or null when cancelled. */
  saveFile?(suggestedName: string, content: Uint8Array): Promise<string | null>;
}

export interface CoreOptions {
  host: HostServices;
  /** A model folder to use instead of the store's (--model). */
  modelDir?: string;
  threads?: number;
  /** Decode worker threads. */
  jobs?: number;
  /** Results database (default: <data dir>/results.sqlite). */
  dbFile?: string;
  /** better-sqlite3's addon for Electron's ABI when running unpackaged (see tools/electron-native.mjs). */
  sqliteBinding?: string;
}

interface CachedPrediction {
  prediction: Prediction;
  result: PredictionResult;
}

export class CoreService implements Api {
  readonly events = new EventHub();
  private readonly access = new FolderAccess();
  private readonly settings = new SettingsStore();
  private readonly models: ModelManager;
  private readonly pool: DecodePool;
  private readonly db: ResultsDb;
  private readonly batches: BatchManager;
  private readonly frames = new FrameCache();
  private readonly predictions = new Map<string, CachedPrediction>();
  private readonly thumbnails = new Map<string, Thumbnail>();
  private readonly decoding = new Map<string, Promise<CachedFrame>>();

  private constructor(private readonly opts: CoreOptions) {
    const store = new ModelStore(undefined, this.settings);
    const managerOpts: { explicitDir?: string; threads?: number } = {};
    if (opts.modelDir) managerOpts.explicitDir = opts.modelDir;
    if (opts.threads) managerOpts.threads = opts.threads;
    this.models = new ModelManager(store, this.events, managerOpts);
    this.pool = new DecodePool(opts.jobs ?? Math.max(1, availableParallelism() - 1));
    this.db = new ResultsDb(opts.dbFile ?? resultsDbFile(), opts.sqliteBinding);
    this.batches = new BatchManager(this.db, this.pool, this.events);
  }

  static async create(opts: CoreOptions): Promise<CoreService> {
    const core = new CoreService(opts);
    await core.settings.load();
    void core.models.init();
    return core;
  }

  async close(): Promise<void> {
    await this.batches.stop();
    await this.pool.close();
    await this.models.close();
    this.db.close();
  }

  // ── app ──
  async getAppInfo(): Promise<AppInfo> {
    return {
      version: VERSION,
      host: this.opts.host.kind,
      nativeDialogs: Boolean(this.opts.host.chooseFolder),
      dataDir: dataDir(),
      openedFolders: this.access.opened(),
      settings: this.publicSettings(),
      model: await this.models.status(),
    };
  }

  async updateSettings(args: Partial<Pick<Settings, 'mode' | 'heatmapOpacity'>>): Promise<Settings> {
    await this.settings.update(args);
    return this.publicSettings();
  }

  /** Window geometry is the Electron host's to remember. */
  async rememberWindow(window: Settings['window']): Promise<void> {
    await this.settings.update(window ? { window } : {});
  }

  storedSettings(): Settings {
    return this.publicSettings();
  }

  private publicSettings(): Settings {
    const { mode, heatmapOpacity, recentFolders, window } = this.settings.get();
    return window ? { mode, heatmapOpacity, recentFolders, window } : { mode, heatmapOpacity, recentFolders };
  }

  // ── folders ──
  async openFolder(args: { path: string }): Promise<StudyTree> {
    const real = await this.access.grant(args.path);
    const tree = await buildStudyTree(real);
    await this.addBadges(tree);
    await this.settings.addRecentFolder(real);
    this.events.emit({ type: 'folder-opened', tree });
    return tree;
  }

  /** A folder given at start (serve's argument, a file dropped on Electron's icon): the UI opens it first. */
  async grantFolder(path: string): Promise<void> {
    await this.access.grant(path);
  }

  async chooseFolder(args: { purpose: 'open' | 'batch' | 'import-model' }): Promise<string | null> {
    return this.opts.host.chooseFolder ? this.opts.host.chooseFolder(args.purpose) : null;
  }

  /** Badges from earlier scans with the model now in use (another model's numbers would mislead). */
  private async addBadges(tree: StudyTree): Promise<void> {
    const active = await this.models.require().catch(() => null);
    if (!active) return;
    const tops = this.db.topFindings(active.key, tree.order);
    const images = [...tree.patients.flatMap((p) => p.studies.flatMap((s) => s.series.flatMap((se) => se.images))), ...tree.folders.flatMap((f) => f.images)];
    const ops = active.info.operatingPoints;
    for (const image of images) {
      const t = tops.get(image.path);
      if (t) image.top = { label: t.label, probability: t.probability, above: ops?.[t.label] !== undefined && t.probability >= ops[t.label]! };
    }
  }

  // ── viewer ──
  private async decoded(path: string, frame: number): Promise<CachedFrame> {
    const real = await this.access.check(path);
    const hit = await this.frames.get(real, frame);
    if (hit) return hit;
    // The viewer asks for pixels and findings of a new image at the same moment: decode it once.
    const key = `${frame}|${real}`;
    let pending = this.decoding.get(key);
    if (!pending) {
      pending = (async () => {
        const s = await stat(real);
        const { info, frame: f, decodeMs } = await this.pool.decode(real, frame);
        const entry: CachedFrame = { info: { ...info, path }, frame: f, decodeMs, mtimeMs: s.mtimeMs, size: s.size };
        this.frames.put(real, frame, entry);
        return entry;
      })().finally(() => this.decoding.delete(key));
      this.decoding.set(key, pending);
    }
    return pending;
  }

  async getFrame(args: { path: string; frame: number }): Promise<FrameResult> {
    const { info, frame, decodeMs } = await this.decoded(args.path, args.frame);
    return { path: args.path, frame: args.frame, info, header: frameHeader(frame), pixels: frame.kind === 'gray' ? frame.stored : frame.rgb, decodeMs };
  }

  async getThumbnail(args: { path: string; size: number }): Promise<Thumbnail> {
    const real = await this.access.check(args.path);
    const { mtimeMs } = await stat(real);
    const key = `${args.size}|${mtimeMs}|${real}`;
    const hit = this.thumbnails.get(key);
    if (hit) return hit;
    // Made in a worker, and kept out of the frame cache: a folder of thumbnails must not push out the image being read.
    const { png, width, height } = await this.pool.thumbnail(real, args.size);
    const thumb: Thumbnail = { path: args.path, png, width, height };
    if (this.thumbnails.size > 2000) this.thumbnails.delete(this.thumbnails.keys().next().value!);
    this.thumbnails.set(key, thumb);
    return thumb;
  }

  // ── findings ──
  async predict(args: { path: string; frame: number; mode: Mode }): Promise<PredictionResult> {
    return (await this.predictCached(args.path, args.frame, args.mode)).result;
  }

  private async predictCached(path: string, frameIndex: number, mode: Mode): Promise<CachedPrediction> {
    const active = await this.models.require();
    const t0 = performance.now();
    const entry = await this.decoded(path, frameIndex);
    const key = `${active.key}|${mode}|${frameIndex}|${entry.mtimeMs}|${path}`;
    const hit = this.predictions.get(key);
    if (hit) return hit;
    const decodeMs = performance.now() - t0;
    const t1 = performance.now();
    // The model's input: the default rendering as 8 bits (for DICOM, the default VOI window with
    // MONOCHROME1 inverted), exactly what the CLI scan feeds it.
    const prepared = preprocess(render8(entry.frame), active.model.manifest, mode);
    prepared.preprocessMs = performance.now() - t1;
    const hasCam = Boolean(active.model.manifest.outputs.cam);
    const [prediction] = await predictPrepared(active.model, [prepared], { cam: hasCam });
    const p = prediction!;
    const result: PredictionResult = {
      path,
      frame: frameIndex,
      mode,
      model: { id: active.id, name: p.model.name, version: p.model.version, trained: p.model.trained },
      findings: p.findings,
      probabilities: p.probabilities,
      timings: {
        decodeMs: Math.max(decodeMs, 0),
        preprocessMs: p.timings.preprocessMs,
        inferenceMs: p.timings.inferenceMs,
        totalMs: performance.now() - t0,
      },
      hasCam: Boolean(p.cam),
    };
    const cached = { prediction: p, result };
    if (this.predictions.size > 64) this.predictions.delete(this.predictions.keys().next().value!);
    this.predictions.set(key, cached);
    return cached;
  }

  async getHeatmap(args: { path: string; frame: number; mode: Mode; label: string; maxSide: number }): Promise<Heatmap> {
    const { prediction } = await this.predictCached(args.path, args.frame, args.mode);
    const index = prediction.labels.indexOf(args.label);
    if (index < 0) throw new CheXDeskError('InvalidArgument', `"${args.label}" is not one of the model's labels`);
    if (!prediction.cam) throw new CheXDeskError('InvalidArgument', 'this model has no class activation output');
    const map = camHeatmap(prediction.cam, index, { maxSide: args.maxSide });
    const g = prediction.cam.geometry;
    return {
      path: args.path,
      frame: args.frame,
      label: args.label,
      mode: args.mode,
      width: map.width,
      height: map.height,
      imageWidth: g.original.width,
      imageHeight: g.original.height,
      values: map.data,
      min: map.min,
      max: map.max,
    };
  }

  // ── batch ──
  async startBatch(args: { folder: string; mode: Mode }): Promise<BatchSummary> {
    const active = await this.models.require();
    // Choosing (or typing) a folder for a batch is the user opening it.
    const real = await this.access.grant(args.folder);
    return this.batches.start(real, args.mode, active);
  }

  async cancelBatch(args: { batchId: number }): Promise<BatchSummary> {
    return this.batches.cancel(args.batchId);
  }

  async getBatchResults(args: { batchId?: number }): Promise<BatchResults> {
    return this.batches.results(args.batchId);
  }

  async exportResults(args: { batchId: number; format: 'csv' | 'json' }): Promise<ExportedFile> {
    const file = exportBatch(this.batches.results(args.batchId), args.format);
    if (this.opts.host.saveFile) {
      const savedTo = await this.opts.host.saveFile(file.filename, file.content);
      if (savedTo === null) throw new CheXDeskError('Cancelled', 'export cancelled');
      return { filename: basename(savedTo), mime: file.mime, savedTo };
    }
    return file;
  }

  // ── models ──
  getModelStatus(): Promise<ModelStatus> {
    return this.models.status();
  }

  importModel(args: { path: string }): Promise<ModelStatus> {
    this.refuseDuringBatch();
    return this.models.importFolder(args.path);
  }

  makeDemoModel(): Promise<ModelStatus> {
    this.refuseDuringBatch();
    return this.models.makeDemo();
  }

  selectModel(args: { id: string }): Promise<ModelStatus> {
    this.refuseDuringBatch();
    return this.models.select(args.id);
  }

  private refuseDuringBatch(): void {
    if (this.batches.isRunning()) throw new CheXDeskError('Busy', 'a batch scan is running; change the model after it finishes or is cancelled');
  }
}

function frameHeader(frame: Frame): FrameHeader {
  if (frame.kind === 'rgb') return { kind: 'rgb', rows: frame.rows, columns: frame.columns };
  const header: FrameHeader = {
    kind: 'gray',
    rows: frame.rows,
    columns: frame.columns,
    bitsStored: frame.bitsStored,
    signed: frame.signed,
    modality: frame.modality.kind === 'table' ? { ...frame.modality, table: Array.from(frame.modality.table) } : frame.modality,
    voi: frame.voi.kind === 'table' ? { ...frame.voi, table: Array.from(frame.voi.table) } : frame.voi,
    invert: frame.invert,
    min: frame.min,
    max: frame.max,
  };
  if (frame.paddingValue !== undefined) header.paddingValue = frame.paddingValue;
  return header;
}

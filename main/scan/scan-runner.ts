/**
 * The batch scan shared by `chexdesk scan` and the app's batch panel: finds the images under a folder,
 * decodes and preprocesses them in the worker pool, runs the model on the calling thread (one
 * onnxruntime session; one image per run — TenCrop's 10 crops are its batch — because stacking
 * center-mode images gains nothing on a CPU: onnxruntime costs the same per image at batch 1 or 8),
 * and hands over each row as soon as it exists. Cancel is immediate: no new work starts, and what is
 * in flight is dropped.
 */
import { relative } from 'node:path';
import type { Mode, ProgressCounts } from '../api';
import { CheXDeskError, type ErrorInfo } from '../errors';
import type { ImageInfo } from '../image/types';
import { predictPrepared } from '../model/predict';
import type { LoadedModel } from '../model/session';
import type { DecodePool } from './decode-pool';
import { findImages, type FoundFile, type WalkStats } from './find-images';
import { uidsOf, type ScanRow } from './scan-row';
import type { PreparedFrame } from './worker-protocol';

export interface ScanProgress extends ProgressCounts {
  elapsedMs: number;
}

export interface ScanSummary {
  images: number;
  ok: number;
  failed: number;
  reused: number;
  skippedFiles: number;
  elapsedMs: number;
  rate: number;
  cancelled: boolean;
}

export interface Reuse {
  /** Frames already done for this file (their rows exist elsewhere and are not produced again). */
  skipFrames: number[];
  /** Every frame is done: the file is not opened at all. */
  skipFile: boolean;
  /** How many images these skipped frames stand for (reported as reused progress). */
  images: number;
}

export interface ScanOptions {
  root: string;
  mode: Mode;
  model: LoadedModel;
  pool: DecodePool;
  signal?: AbortSignal;
  /** Called once the folder has been walked. */
  onFiles?(files: FoundFile[], stats: WalkStats): void | Promise<void>;
  /** Resume/reuse: which frames of a file need no work. */
  reuse?(file: FoundFile): Reuse | null | Promise<Reuse | null>;
  onRow(row: ScanRow, file: FoundFile): void | Promise<void>;
  onProgress?(p: ScanProgress): void;
}

interface Pending {
  item: PreparedFrame;
  file: FoundFile;
  resolve: () => void;
}

export async function runScan(opts: ScanOptions): Promise<ScanSummary> {
  const started = performance.now();
  const { mode } = opts;
  // A row that cannot be stored (disk full, database gone) stops the scan; the error is rethrown at the end.
  const stop = new AbortController();
  let fatal: unknown = null;
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const { manifest } = opts.model;
  const stats: WalkStats = { skipped: 0 };

  const files: FoundFile[] = [];
  for await (const f of findImages(opts.root, stats, signal)) files.push(f);
  await opts.onFiles?.(files, stats);

  let total = files.length;
  let done = 0;
  let failed = 0;
  let reused = 0;
  let currentFile: string | null = null;
  const recent: number[] = [];

  const progress = () => {
    const now = performance.now();
    while (recent.length > 0 && now - recent[0]! > 10_000) recent.shift();
    const windowMs = recent.length > 1 ? now - recent[0]! : now - started;
    const rate = recent.length > 0 ? (recent.length * 1000) / Math.max(windowMs, 1) : 0;
    const left = total - done;
    opts.onProgress?.({
      done,
      total,
      failed,
      reused,
      rate,
      etaSeconds: rate > 0 ? left / rate : null,
      currentFile,
      elapsedMs: now - started,
    });
  };

  const emit = async (row: ScanRow, file: FoundFile) => {
    if (signal.aborted) return;
    done++;
    if (row.error) failed++;
    recent.push(performance.now());
    try {
      await opts.onRow(row, file);
    } catch (err) {
      fatal ??= err;
      stop.abort();
      return;
    }
    progress();
  };

  const failRow = (file: FoundFile, frame: number, frames: number, info: ImageInfo | null, error: ErrorInfo): ScanRow => ({
    path: file.path,
    kind: file.kind,
    frame,
    frames,
    ...uidsOf(info?.dicom),
    mode,
    probabilities: null,
    topLabel: null,
    topProbability: null,
    error,
  });

  // ── inference: one session, fed from a queue ──
  const queue: Pending[] = [];
  let running = false;
  const pump = async () => {
    if (running) return;
    running = true;
    try {
      for (let p = queue.shift(); p; p = queue.shift()) {
        if (!signal.aborted) await inferOne(p);
        p.resolve();
      }
    } finally {
      running = false;
    }
  };

  const inferOne = async ({ item, file }: Pending) => {
    let row: ScanRow;
    try {
      const [prediction] = await predictPrepared(opts.model, [item.prepared]);
      const p = prediction!;
      const top = p.findings[0]!;
      row = {
        path: file.path,
        kind: file.kind,
        frame: item.frame,
        frames: item.frames,
        ...uidsOf(item.info.dicom),
        mode,
        probabilities: p.probabilities,
        topLabel: top.label,
        topProbability: top.probability,
        error: null,
        timings: { decodeMs: item.decodeMs, preprocessMs: p.timings.preprocessMs, inferenceMs: p.timings.inferenceMs },
      };
    } catch (err) {
      const error = err instanceof CheXDeskError ? err.toInfo() : new CheXDeskError('Internal', `inference failed: ${err instanceof Error ? err.message : String(err)}`).toInfo();
      row = failRow(file, item.frame, item.frames, item.info, error);
    }
    await emit(row, file);
  };

  // ── files: a few in flight, so decoding runs ahead of inference ──
  const inFlight = new Set<Promise<void>>();
  const maxInFlight = opts.pool.size + 1;
  let fileIndex = 0;
  const startFile = async (file: FoundFile) => {
    if (file.error || !file.kind) {
      await emit(failRow(file, 0, 1, null, file.error ?? new CheXDeskError('NotDicom', 'not an image', file.path).toInfo()), file);
      return;
    }
    const r = opts.reuse ? await opts.reuse(file) : null;
    if (r && r.images > 0) {
      reused += r.images;
      done += r.images;
      if (r.skipFile) {
        total += r.images - 1;
        progress();
        return;
      }
    }
    currentFile = relative(opts.root, file.path) || file.path;
    // Each file counts as one image until its frame count is known.
    let counted = false;
    const count = (frames: number) => {
      if (counted) return;
      counted = true;
      total += frames - 1;
    };
    await opts.pool.prepare(
      file.path,
      mode,
      manifest,
      r?.skipFrames ?? [],
      (item) => {
        count(item.frames);
        return new Promise<void>((resolve) => {
          queue.push({ item, file, resolve });
          void pump();
        });
      },
      (frame, frames, info, error) => {
        count(frames);
        void emit(failRow(file, frame, frames, info, error), file);
      },
    );
  };

  progress();
  while (fileIndex < files.length && !signal.aborted) {
    while (inFlight.size < maxInFlight && fileIndex < files.length && !signal.aborted) {
      const p = startFile(files[fileIndex++]!).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    if (inFlight.size > 0) await Promise.race(inFlight);
  }
  if (signal.aborted) for (const f of files.slice(0, fileIndex)) opts.pool.cancel(f.path);
  await Promise.all(inFlight);
  while (running || queue.length > 0) await new Promise((r) => setTimeout(r, 5));
  currentFile = null;
  progress();

  if (fatal) throw fatal;
  const elapsedMs = performance.now() - started;
  const computed = done - reused;
  return {
    images: done,
    ok: done - failed,
    failed,
    reused,
    skippedFiles: stats.skipped,
    elapsedMs,
    rate: computed > 0 ? (computed * 1000) / elapsedMs : 0,
    cancelled: Boolean(opts.signal?.aborted),
  };
}

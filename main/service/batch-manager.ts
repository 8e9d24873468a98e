/**
 * The app's batch scan: runScan (shared with the CLI) writing every row into SQLite as it arrives and
 * announcing it as an event; unchanged files reuse their earlier result; cancel takes effect at once.
 */
import { relative } from 'node:path';
import type { BatchProgress, BatchResults, BatchSummary, Mode } from '../api';
import { uidsOf } from '../scan/scan-row';
import { CheXDeskError } from '../errors';
import type { DecodePool } from '../scan/decode-pool';
import { runScan, type ScanProgress } from '../scan/scan-runner';
import type { BatchModel, ResultsDb } from '../store/results-db';
import type { EventHub } from './events';
import type { ActiveModel } from './model-manager';

/** Progress events at most this often (rows are announced individually). */
const PROGRESS_EVERY_MS = 250;

interface Running {
  id: number;
  abort: AbortController;
  finished: Promise<void>;
}

export class BatchManager {
  private running: Running | null = null;

  constructor(
    private readonly db: ResultsDb,
    private readonly pool: DecodePool,
    private readonly events: EventHub,
  ) {}

  isRunning(): boolean {
    return this.running !== null;
  }

  start(folder: string, mode: Mode, active: ActiveModel): BatchSummary {
    if (this.running) throw new CheXDeskError('Busy', 'a batch scan is already running; cancel it first');
    const m = active.model.manifest;
    const model: BatchModel = {
      key: active.key,
      id: active.id,
      name: m.name,
      version: m.version,
      trained: m.trained,
      labels: [...m.labels],
      operatingPoints: m.operatingPoints ?? null,
    };
    const id = this.db.createBatch(folder, mode, model);
    const abort = new AbortController();
    let lastProgress = 0;
    const announce = (p: ScanProgress, force = false) => {
      const now = Date.now();
      if (!force && now - lastProgress < PROGRESS_EVERY_MS) return;
      lastProgress = now;
      const { elapsedMs, ...counts } = p;
      this.events.emit({
        type: 'batch-progress',
        progress: { ...counts, batchId: id, state: abort.signal.aborted ? 'cancelled' : 'running' } satisfies BatchProgress,
      });
    };
    const finished = runScan({
      root: folder,
      mode,
      model: active.model,
      pool: this.pool,
      signal: abort.signal,
      onFiles: (files) => this.db.setTotal(id, files.length),
      reuse: (file) => {
        const records = this.db.findReusable(model, mode, file.path, file.size, file.mtimeMs);
        if (records.length === 0) return null;
        this.db.reuse(id, records, relative(folder, file.path));
        for (const r of records) {
          const row = this.db.row(id, file.path, r.frame);
          if (row) this.events.emit({ type: 'batch-row', batchId: id, row });
        }
        return { skipFrames: records.map((r) => r.frame), skipFile: true, images: records.length };
      },
      onRow: (row, file) => {
        this.db.addResult(id, model, mode, {
          path: row.path,
          relPath: relative(folder, row.path),
          size: file.size,
          mtimeMs: file.mtimeMs,
          kind: row.kind,
          frame: row.frame,
          frames: row.frames,
          ...uidsOf(row),
          probabilities: row.probabilities,
          error: row.error,
        });
        const stored = this.db.row(id, row.path, row.frame);
        if (stored) this.events.emit({ type: 'batch-row', batchId: id, row: stored });
      },
      onProgress: (p) => announce(p, p.done === p.total),
    })
      .then((summary) => {
        // A cancelled batch was closed (and announced) by cancel(); its total stays what it was.
        if (summary.cancelled) return;
        this.db.finishBatch(id, 'done');
        this.db.setTotal(id, summary.images);
        this.finish(id);
      })
      .catch((err: unknown) => {
        if (abort.signal.aborted) return;
        this.db.finishBatch(id, 'failed');
        this.events.emit({ type: 'batch-progress', progress: { ...this.progressOf(id), state: 'failed', currentFile: err instanceof Error ? err.message : String(err) } });
        this.finish(id);
      });
    this.running = { id, abort, finished };
    return this.db.batch(id)!;
  }

  /**
   * Stops the batch now: no further row is stored (what is in flight is dropped as it lands), and a
   * new batch can start at once.
   */
  cancel(batchId: number): BatchSummary {
    const batch = this.db.batch(batchId);
    if (!batch) throw new CheXDeskError('InvalidArgument', `no batch ${batchId}`);
    if (this.running?.id === batchId) {
      this.running.abort.abort();
      this.db.finishBatch(batchId, 'cancelled');
      this.events.emit({ type: 'batch-progress', progress: { ...this.progressOf(batchId), state: 'cancelled' } });
      this.finish(batchId);
    }
    return this.db.batch(batchId)!;
  }

  private finish(id: number): void {
    if (this.running?.id === id) this.running = null;
    const batch = this.db.batch(id);
    if (batch) this.events.emit({ type: 'batch-finished', batch });
  }

  results(batchId?: number): BatchResults {
    const id = batchId ?? this.db.latestBatchId();
    if (id === null) return { batch: null, rows: [] };
    const batch = this.db.batch(id);
    if (!batch) throw new CheXDeskError('InvalidArgument', `no batch ${id}`);
    return { batch, rows: this.db.rows(id) };
  }

  /** Cancels the running batch (if any) and waits for it to wind down; used at quit. */
  async stop(): Promise<void> {
    const r = this.running;
    if (!r) return;
    this.cancel(r.id);
    await r.finished;
  }

  private progressOf(id: number) {
    const b = this.db.batch(id)!;
    return { batchId: id, state: b.state, done: b.done, total: b.total, failed: b.failed, reused: b.reused, rate: 0, etaSeconds: null, currentFile: null };
  }
}

/**
 * Batch results in SQLite (better-sqlite3 12, WAL). Each image's result is committed the moment it
 * arrives, so a crash or a quit keeps everything finished; on the next start an unfinished batch is
 * marked interrupted and shown. Results are keyed by model, mode, file and frame together with the
 * file's size and modification time: rescanning a folder reuses the result of every unchanged file
 * that succeeded.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BatchRow, BatchState, BatchSummary, ImageRef, Mode } from '../api';
import type { ErrorInfo } from '../errors';
import type { SourceKind } from '../image/types';
import { flaggedLabels, topOf } from '../scan/scan-row';

export interface BatchModel {
  /** Identifies the weights: a model id plus its onnx hash or version. */
  key: string;
  id: string;
  name: string;
  version: string;
  trained: boolean;
  labels: string[];
  operatingPoints: Record<string, number> | null;
}

export interface StoredResult extends ImageRef {
  relPath: string;
  size: number;
  mtimeMs: number;
  probabilities: number[] | null;
  error: ErrorInfo | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS batches (
  id INTEGER PRIMARY KEY,
  folder TEXT NOT NULL,
  mode TEXT NOT NULL,
  model_key TEXT NOT NULL,
  model_json TEXT NOT NULL,
  state TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  total INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS results (
  id INTEGER PRIMARY KEY,
  model_key TEXT NOT NULL,
  mode TEXT NOT NULL,
  path TEXT NOT NULL,
  frame INTEGER NOT NULL,
  frames INTEGER NOT NULL,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  kind TEXT,
  study_uid TEXT,
  series_uid TEXT,
  sop_uid TEXT,
  probabilities TEXT,
  top_label TEXT,
  top_probability REAL,
  error_json TEXT,
  UNIQUE (model_key, mode, path, frame)
);
CREATE TABLE IF NOT EXISTS batch_items (
  batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
  result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
  rel_path TEXT NOT NULL,
  reused INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (batch_id, result_id)
);
CREATE INDEX IF NOT EXISTS batch_items_seq ON batch_items(batch_id, seq);
`;

interface ResultRecord {
  id: number;
  path: string;
  frame: number;
  frames: number;
  size: number;
  mtime_ms: number;
  kind: string | null;
  study_uid: string | null;
  series_uid: string | null;
  sop_uid: string | null;
  probabilities: string | null;
  top_label: string | null;
  top_probability: number | null;
  error_json: string | null;
}

interface BatchRecord {
  id: number;
  folder: string;
  mode: string;
  model_key: string;
  model_json: string;
  state: string;
  started_at: string;
  finished_at: string | null;
  total: number;
}

export class ResultsDb {
  private readonly db: Database.Database;

  /** `nativeBinding`: better-sqlite3's addon built for another runtime (Electron's ABI; see tools/electron-native.mjs). */
  constructor(file: string, nativeBinding?: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file, nativeBinding ? { nativeBinding } : {});
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a committed row survives an application crash (not necessarily a power cut).
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    // Batches still "running" belong to a process that is gone.
    this.db.prepare(`UPDATE batches SET state = 'interrupted' WHERE state = 'running'`).run();
  }

  close(): void {
    this.db.close();
  }

  createBatch(folder: string, mode: Mode, model: BatchModel): number {
    const info = this.db
      .prepare(`INSERT INTO batches (folder, mode, model_key, model_json, state, started_at) VALUES (?, ?, ?, ?, 'running', ?)`)
      .run(folder, mode, model.key, JSON.stringify(model), new Date().toISOString());
    return Number(info.lastInsertRowid);
  }

  setTotal(batchId: number, total: number): void {
    this.db.prepare(`UPDATE batches SET total = ? WHERE id = ?`).run(total, batchId);
  }

  finishBatch(batchId: number, state: BatchState): void {
    this.db.prepare(`UPDATE batches SET state = ?, finished_at = ? WHERE id = ?`).run(state, new Date().toISOString(), batchId);
  }

  /** Earlier results for this file (same model, mode, size and mtime), all frames; empty when it changed. */
  findReusable(model: BatchModel, mode: Mode, path: string, size: number, mtimeMs: number): ResultRecord[] {
    const rows = this.db
      .prepare(`SELECT * FROM results WHERE model_key = ? AND mode = ? AND path = ? ORDER BY frame`)
      .all(model.key, mode, path) as ResultRecord[];
    // Failures are tried again: the cause (a permission, a missing codec, a crash) may be gone.
    if (rows.length === 0 || rows.some((r) => r.size !== size || r.mtime_ms !== mtimeMs || r.error_json !== null)) return [];
    // A file is reusable only when every frame has a result.
    return rows.length === rows[0]!.frames ? rows : [];
  }

  /** Adds a computed result (replacing an older one for the same file and frame) to the batch. */
  addResult(batchId: number, model: BatchModel, mode: Mode, r: StoredResult): void {
    const top = r.probabilities ? topOf(model.labels, r.probabilities) : null;
    const insert = this.db.transaction(() => {
      const { id } = this.db
        .prepare(
          `INSERT INTO results (model_key, mode, path, frame, frames, size, mtime_ms, kind, study_uid, series_uid, sop_uid, probabilities, top_label, top_probability, error_json)
           VALUES (@model_key, @mode, @path, @frame, @frames, @size, @mtime_ms, @kind, @study_uid, @series_uid, @sop_uid, @probabilities, @top_label, @top_probability, @error_json)
           ON CONFLICT (model_key, mode, path, frame) DO UPDATE SET
             frames = excluded.frames, size = excluded.size, mtime_ms = excluded.mtime_ms, kind = excluded.kind,
             study_uid = excluded.study_uid, series_uid = excluded.series_uid, sop_uid = excluded.sop_uid,
             probabilities = excluded.probabilities, top_label = excluded.top_label,
             top_probability = excluded.top_probability, error_json = excluded.error_json
           RETURNING id`,
        )
        .get({
          model_key: model.key,
          mode,
          path: r.path,
          frame: r.frame,
          frames: r.frames,
          size: r.size,
          mtime_ms: r.mtimeMs,
          kind: r.kind,
          study_uid: r.studyInstanceUid ?? null,
          series_uid: r.seriesInstanceUid ?? null,
          sop_uid: r.sopInstanceUid ?? null,
          probabilities: r.probabilities ? JSON.stringify(r.probabilities) : null,
          top_label: top?.topLabel ?? null,
          top_probability: top?.topProbability ?? null,
          error_json: r.error ? JSON.stringify(r.error) : null,
        }) as { id: number };
      this.linkItem(batchId, id, r.relPath, false);
    });
    insert();
  }

  /** Puts earlier results into this batch without recomputing them. */
  reuse(batchId: number, records: ResultRecord[], relPath: string): void {
    const link = this.db.transaction(() => {
      for (const rec of records) this.linkItem(batchId, rec.id, relPath, true);
    });
    link();
  }

  private linkItem(batchId: number, resultId: number, relPath: string, reused: boolean): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO batch_items (batch_id, result_id, rel_path, reused, seq)
         VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM batch_items WHERE batch_id = ?))`,
      )
      .run(batchId, resultId, relPath, reused ? 1 : 0, batchId);
  }

  latestBatchId(): number | null {
    const row = this.db.prepare(`SELECT id FROM batches ORDER BY id DESC LIMIT 1`).get() as { id: number } | undefined;
    return row?.id ?? null;
  }

  batch(batchId: number): BatchSummary | null {
    const b = this.db.prepare(`SELECT * FROM batches WHERE id = ?`).get(batchId) as BatchRecord | undefined;
    if (!b) return null;
    const counts = this.db
      .prepare(
        `SELECT COUNT(*) AS done, SUM(r.error_json IS NOT NULL) AS failed, SUM(i.reused) AS reused
         FROM batch_items i JOIN results r ON r.id = i.result_id WHERE i.batch_id = ?`,
      )
      .get(batchId) as { done: number; failed: number | null; reused: number | null };
    const model = JSON.parse(b.model_json) as BatchModel;
    return {
      id: b.id,
      folder: b.folder,
      mode: b.mode as Mode,
      model: { id: model.id, name: model.name, version: model.version, trained: model.trained },
      labels: model.labels,
      operatingPoints: model.operatingPoints,
      state: b.state as BatchState,
      startedAt: b.started_at,
      finishedAt: b.finished_at,
      total: Math.max(b.total, counts.done),
      done: counts.done,
      failed: counts.failed ?? 0,
      reused: counts.reused ?? 0,
    };
  }

  rows(batchId: number): BatchRow[] {
    const b = this.db.prepare(`SELECT model_json FROM batches WHERE id = ?`).get(batchId) as { model_json: string } | undefined;
    if (!b) return [];
    const model = JSON.parse(b.model_json) as BatchModel;
    const records = this.db
      .prepare(
        `SELECT r.*, i.rel_path, i.reused FROM batch_items i JOIN results r ON r.id = i.result_id
         WHERE i.batch_id = ? ORDER BY i.seq`,
      )
      .all(batchId) as (ResultRecord & { rel_path: string; reused: number })[];
    return records.map((rec) => toBatchRow(rec, rec.rel_path, rec.reused === 1, model));
  }

  /** The row just stored for one file and frame in a batch (for the live event). */
  row(batchId: number, path: string, frame: number): BatchRow | null {
    const b = this.db.prepare(`SELECT model_json FROM batches WHERE id = ?`).get(batchId) as { model_json: string } | undefined;
    if (!b) return null;
    const rec = this.db
      .prepare(
        `SELECT r.*, i.rel_path, i.reused FROM batch_items i JOIN results r ON r.id = i.result_id
         WHERE i.batch_id = ? AND r.path = ? AND r.frame = ?`,
      )
      .get(batchId, path, frame) as (ResultRecord & { rel_path: string; reused: number }) | undefined;
    return rec ? toBatchRow(rec, rec.rel_path, rec.reused === 1, JSON.parse(b.model_json) as BatchModel) : null;
  }

  /** Latest known top finding per path from these weights (study browser badges). */
  topFindings(modelKey: string, paths: string[]): Map<string, { label: string; probability: number }> {
    const out = new Map<string, { label: string; probability: number }>();
    const stmt = this.db.prepare(`SELECT top_label, top_probability FROM results WHERE model_key = ? AND path = ? AND frame = 0 AND top_label IS NOT NULL ORDER BY id DESC LIMIT 1`);
    for (const p of paths) {
      const r = stmt.get(modelKey, p) as { top_label: string; top_probability: number } | undefined;
      if (r) out.set(p, { label: r.top_label, probability: r.top_probability });
    }
    return out;
  }
}

function toBatchRow(rec: ResultRecord, relPath: string, reused: boolean, model: BatchModel): BatchRow {
  const probabilities = rec.probabilities ? (JSON.parse(rec.probabilities) as number[]) : null;
  const row: BatchRow = {
    path: rec.path,
    relPath,
    kind: rec.kind as SourceKind | null,
    frame: rec.frame,
    frames: rec.frames,
    probabilities,
    topLabel: rec.top_label,
    topProbability: rec.top_probability,
    flagged: flaggedLabels(model, probabilities),
    error: rec.error_json ? (JSON.parse(rec.error_json) as ErrorInfo) : null,
    reused,
  };
  if (rec.study_uid) row.studyInstanceUid = rec.study_uid;
  if (rec.series_uid) row.seriesInstanceUid = rec.series_uid;
  if (rec.sop_uid) row.sopInstanceUid = rec.sop_uid;
  return row;
}

/**
 * The scan command's output file (CSV, JSON or JSON Lines, by extension). Every row is on disk as
 * soon as it is produced: CSV and JSONL append a line; JSON rewrites only its closing brackets after
 * each row, so the file is a valid document at every moment and a killed scan keeps what it finished.
 * With resume, rows already in the file are read back so those images are skipped.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Mode } from '../api';
import { csvCells, csvHeader, csvLine, jsonRow, parseCsv, UNTRAINED_NOTE, type ScanModelInfo, type ScanRow } from './scan-row';

export type OutputFormat = 'csv' | 'json' | 'jsonl';

export function outputFormatFor(path: string): OutputFormat | null {
  const ext = extname(path).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.json' ? 'json' : ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : null;
}

/** What an earlier run already wrote: for each path, its frame count and the frames done. */
export type DoneSet = Map<string, { frames: number; done: Set<number> }>;

export class ResumeMismatchError extends Error {}

export class ScanOutput {
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly handle: FileHandle,
    private readonly format: OutputFormat,
    private readonly model: ScanModelInfo,
    /** JSON only: byte offset where the closing tail starts, and whether a row was written. */
    private jsonTailAt: number,
    private jsonRows: number,
  ) {}

  /**
   * Opens (or creates) the output. With resume, returns the rows already there; a file written by
   * another model or mode is refused rather than mixed.
   */
  static async open(path: string, model: ScanModelInfo, mode: Mode, resume: boolean): Promise<{ output: ScanOutput; done: DoneSet }> {
    const format = outputFormatFor(path);
    if (!format) throw new ResumeMismatchError(`--out must end in .csv, .json or .jsonl (got ${path})`);
    const done: DoneSet = new Map();
    let existing: string | null = null;
    if (resume) existing = await readFile(path, 'utf8').catch(() => null);
    if (existing !== null && existing.trim().length > 0) {
      const rows = readExisting(existing, format, model, mode, path);
      for (const { path: p, frame, frames } of rows) {
        const entry = done.get(p) ?? { frames, done: new Set<number>() };
        entry.done.add(frame);
        done.set(p, entry);
      }
      const handle = await open(path, 'r+');
      if (format === 'json') {
        const tail = existing.lastIndexOf(']');
        const output = new ScanOutput(handle, format, model, Buffer.byteLength(existing.slice(0, tail)), rows.length);
        return { output, done };
      }
      const output = new ScanOutput(handle, format, model, 0, rows.length);
      if (!existing.endsWith('\n')) await output.append('\n');
      return { output, done };
    }
    const handle = await open(path, 'w');
    const output = new ScanOutput(handle, format, model, 0, 0);
    if (format === 'csv') await output.append(csvLine(csvHeader(model)));
    if (format === 'json') {
      const head = JSON.stringify({ model: model.name, modelVersion: model.version, trained: model.trained, ...(model.trained ? {} : { note: UNTRAINED_NOTE }), mode, labels: model.labels }, null, 1);
      // Leave the object open with a rows array: {"model": …, "rows": [ … ]}
      const opening = head.slice(0, head.lastIndexOf('}')).trimEnd() + ',\n "rows": [';
      await handle.write(opening, 0);
      output.jsonTailAt = Buffer.byteLength(opening);
      await output.writeJsonTail();
    }
    return { output, done };
  }

  /** Rows may arrive from several places at once (inference, decode failures): writes are queued. */
  write(row: ScanRow): Promise<void> {
    const next = this.queue.then(() => this.writeNow(row));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async writeNow(row: ScanRow): Promise<void> {
    if (this.format === 'csv') return this.append(csvLine(csvCells(row, this.model)));
    if (this.format === 'jsonl') return this.append(JSON.stringify(jsonRow(row, this.model)) + '\n');
    const text = (this.jsonRows > 0 ? ',\n  ' : '\n  ') + JSON.stringify(jsonRow(row, this.model));
    await this.handle.write(text, this.jsonTailAt);
    this.jsonTailAt += Buffer.byteLength(text);
    this.jsonRows++;
    await this.writeJsonTail();
  }

  async close(): Promise<void> {
    await this.queue;
    await this.handle.close();
  }

  private async append(text: string): Promise<void> {
    const { size } = await this.handle.stat();
    await this.handle.write(text, size);
  }

  private async writeJsonTail(): Promise<void> {
    const tail = '\n ]\n}\n';
    await this.handle.write(tail, this.jsonTailAt);
    await this.handle.truncate(this.jsonTailAt + Buffer.byteLength(tail));
  }
}

interface DoneRow {
  path: string;
  frame: number;
  frames: number;
}

function readExisting(text: string, format: OutputFormat, model: ScanModelInfo, mode: Mode, file: string): DoneRow[] {
  const mismatch = (what: string) => new ResumeMismatchError(`cannot resume ${file}: it was written ${what}; choose another --out file or drop --resume`);
  if (format === 'csv') {
    const [header, ...rows] = parseCsv(text);
    const expected = csvHeader(model);
    if (!header || header.join(',') !== expected.join(',')) throw mismatch('with other columns (another model or labels)');
    const col = (name: string) => expected.indexOf(name);
    return rows
      .filter((r) => r.length === expected.length)
      .map((r) => {
        if (r[col('mode')] !== mode) throw mismatch(`in ${r[col('mode')]} mode`);
        if (r[col('model')] !== model.name) throw mismatch(`by model "${r[col('model')]}"`);
        return { path: r[col('path')]!, frame: Number(r[col('frame')]), frames: Number(r[col('frames')]) };
      });
  }
  const objects: Record<string, unknown>[] = [];
  if (format === 'jsonl') {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        objects.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // A line cut short by a kill: that image is simply done again.
      }
    }
  } else {
    let doc: { mode?: unknown; model?: unknown; labels?: unknown; rows?: unknown };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch {
      throw mismatch('in a form that is not valid JSON');
    }
    if (doc.mode !== mode) throw mismatch(`in ${String(doc.mode)} mode`);
    if (doc.model !== model.name) throw mismatch(`by model "${String(doc.model)}"`);
    if (JSON.stringify(doc.labels) !== JSON.stringify(model.labels)) throw mismatch('with other labels');
    if (Array.isArray(doc.rows)) objects.push(...(doc.rows as Record<string, unknown>[]));
  }
  return objects.map((o) => {
    if (o.mode !== mode) throw mismatch(`in ${String(o.mode)} mode`);
    if (o.model !== model.name) throw mismatch(`by model "${String(o.model)}"`);
    const p = o.probabilities;
    if (p && typeof p === 'object' && JSON.stringify(Object.keys(p)) !== JSON.stringify(model.labels)) throw mismatch('with other labels');
    return { path: String(o.path), frame: Number(o.frame), frames: Number(o.frames) };
  });
}

/**
 * One row of a scan: one image (one frame of a multi-frame DICOM), as the CLI writes it and the app
 * stores it. The column layout of CSV exports lives here too, so the CLI and the app export alike.
 */
import type { ErrorInfo } from '../errors';
import type { ImageRef, Mode } from '../api';

export interface ScanModelInfo {
  name: string;
  version: string;
  trained: boolean;
  labels: string[];
  operatingPoints: Record<string, number> | null;
}

export interface ScanRow extends ImageRef {
  mode: Mode;
  /** Label order of the model; null when the image failed. */
  probabilities: number[] | null;
  topLabel: string | null;
  topProbability: number | null;
  error: ErrorInfo | null;
  timings?: { decodeMs: number; preprocessMs: number; inferenceMs: number };
}

type Uids = Pick<ImageRef, 'studyInstanceUid' | 'seriesInstanceUid' | 'sopInstanceUid'>;

/** The DICOM UIDs that are present, copied (absent ones stay absent rather than undefined). */
export function uidsOf(src: Uids | undefined | null): Uids {
  const out: Uids = {};
  if (src?.studyInstanceUid) out.studyInstanceUid = src.studyInstanceUid;
  if (src?.seriesInstanceUid) out.seriesInstanceUid = src.seriesInstanceUid;
  if (src?.sopInstanceUid) out.sopInstanceUid = src.sopInstanceUid;
  return out;
}

export const UNTRAINED_NOTE = 'UNTRAINED MODEL: these numbers are not findings';

export function topOf(labels: string[], probabilities: number[]): { topLabel: string; topProbability: number } {
  let best = 0;
  for (let i = 1; i < probabilities.length; i++) if (probabilities[i]! > probabilities[best]!) best = i;
  return { topLabel: labels[best]!, topProbability: probabilities[best]! };
}

/** Labels at or above their operating point. */
export function flaggedLabels(model: Pick<ScanModelInfo, 'labels' | 'operatingPoints'>, probabilities: number[] | null): string[] {
  if (!probabilities || !model.operatingPoints) return [];
  return model.labels.filter((l, i) => {
    const t = model.operatingPoints![l];
    return t !== undefined && probabilities[i]! >= t;
  });
}

export function csvHeader(model: ScanModelInfo): string[] {
  return [
    'path',
    'kind',
    'study_instance_uid',
    'series_instance_uid',
    'sop_instance_uid',
    'frame',
    'frames',
    'mode',
    'model',
    'model_version',
    'trained',
    ...model.labels,
    'top_label',
    'top_probability',
    'flagged',
    'error_code',
    'error',
  ];
}

export function csvCells(row: ScanRow, model: ScanModelInfo): string[] {
  const p = row.probabilities;
  return [
    row.path,
    row.kind ?? '',
    row.studyInstanceUid ?? '',
    row.seriesInstanceUid ?? '',
    row.sopInstanceUid ?? '',
    String(row.frame),
    String(row.frames),
    row.mode,
    model.name,
    model.version,
    String(model.trained),
    ...model.labels.map((_, i) => (p ? p[i]!.toFixed(6) : '')),
    row.topLabel ?? '',
    row.topProbability === null ? '' : row.topProbability.toFixed(6),
    flaggedLabels(model, p).join(';'),
    row.error?.code ?? '',
    row.error?.reason ?? '',
  ];
}

/** RFC 4180: quote a field holding a comma, quote or line break. */
export function csvLine(cells: string[]): string {
  return cells.map((c) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',') + '\n';
}

/** Parses RFC 4180 CSV text (used to resume a scan from its own output). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell.length > 0 || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** The JSON form of a row: full precision, probabilities keyed by label. */
export function jsonRow(row: ScanRow, model: ScanModelInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { path: row.path, kind: row.kind, frame: row.frame, frames: row.frames, ...uidsOf(row) };
  out.mode = row.mode;
  out.model = model.name;
  out.modelVersion = model.version;
  out.trained = model.trained;
  if (!model.trained) out.note = UNTRAINED_NOTE;
  out.probabilities = row.probabilities ? Object.fromEntries(model.labels.map((l, i) => [l, row.probabilities![i]])) : null;
  out.topLabel = row.topLabel;
  out.topProbability = row.topProbability;
  out.flagged = flaggedLabels(model, row.probabilities);
  out.error = row.error ? row.error.reason : null;
  if (row.error) out.errorCode = row.error.code;
  if (row.timings) out.timings = row.timings;
  return out;
}

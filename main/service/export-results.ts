/**
 * A batch's results as a CSV or JSON file, in the same columns and fields as `chexdesk scan` writes,
 * so a table exported from the app and one written by the CLI can be compared line by line.
 */
import type { BatchResults, BatchRow, ExportFormat } from '../api';
import { CheXDeskError } from '../errors';
import { csvCells, csvHeader, csvLine, jsonRow, uidsOf, UNTRAINED_NOTE, type ScanModelInfo, type ScanRow } from '../scan/scan-row';

export function exportBatch(results: BatchResults, format: ExportFormat): { filename: string; mime: string; content: Uint8Array } {
  const batch = results.batch;
  if (!batch) throw new CheXDeskError('InvalidArgument', 'there is no batch to export');
  const model: ScanModelInfo = { name: batch.model.name, version: batch.model.version, trained: batch.model.trained, labels: batch.labels, operatingPoints: batch.operatingPoints };
  const rows = results.rows.map((r) => toScanRow(r, batch.mode));
  const stamp = batch.startedAt.replace(/[:.]/g, '-').slice(0, 19);
  const base = `chexdesk-batch-${batch.id}-${batch.mode}-${stamp}`;
  if (format === 'csv') {
    const text = csvLine(csvHeader(model)) + rows.map((r) => csvLine(csvCells(r, model))).join('');
    return { filename: `${base}.csv`, mime: 'text/csv', content: new TextEncoder().encode(text) };
  }
  const doc = {
    model: model.name,
    modelVersion: model.version,
    trained: model.trained,
    ...(model.trained ? {} : { note: UNTRAINED_NOTE }),
    mode: batch.mode,
    folder: batch.folder,
    state: batch.state,
    startedAt: batch.startedAt,
    finishedAt: batch.finishedAt,
    labels: model.labels,
    rows: rows.map((r) => jsonRow(r, model)),
  };
  return { filename: `${base}.json`, mime: 'application/json', content: new TextEncoder().encode(JSON.stringify(doc, null, 1) + '\n') };
}

function toScanRow(r: BatchRow, mode: ScanRow['mode']): ScanRow {
  const { path, kind, frame, frames, probabilities, topLabel, topProbability, error } = r;
  return { path, kind, frame, frames, ...uidsOf(r), mode, probabilities, topLabel, topProbability, error };
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResultsDb, type BatchModel } from '../../main/store/results-db';
import { exportBatch } from '../../main/service/export-results';
import { parseCsv } from '../../main/scan/scan-row';

const model: BatchModel = { key: 'k1', id: 'tiny', name: 'Tiny', version: '1', trained: false, labels: ['A', 'B'], operatingPoints: { B: 0.5 } };

test('rows survive closing the database mid-batch; the batch comes back as interrupted', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'chexdesk-db-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'results.sqlite');
  let db = new ResultsDb(file);
  const id = db.createBatch('/study', 'center', model);
  db.setTotal(id, 3);
  db.addResult(id, model, 'center', { path: '/study/a.png', relPath: 'a.png', size: 10, mtimeMs: 1000, kind: 'png', frame: 0, frames: 1, probabilities: [0.2, 0.7], error: null });
  db.addResult(id, model, 'center', { path: '/study/b.dcm', relPath: 'b.dcm', size: 20, mtimeMs: 2000, kind: 'dicom', frame: 0, frames: 1, probabilities: null, error: { code: 'Truncated', reason: 'file ends early', file: '/study/b.dcm' }, studyInstanceUid: '1.2.3' });
  // No finishBatch: as if the app crashed here.
  db.close();

  db = new ResultsDb(file);
  t.after(() => db.close());
  assert.equal(db.latestBatchId(), id);
  const batch = db.batch(id)!;
  assert.equal(batch.state, 'interrupted');
  assert.equal(batch.done, 2);
  assert.equal(batch.failed, 1);
  assert.equal(batch.total, 3);
  const rows = db.rows(id);
  assert.deepEqual(rows.map((r) => r.relPath), ['a.png', 'b.dcm']);
  assert.deepEqual(rows[0]!.probabilities, [0.2, 0.7]);
  assert.equal(rows[0]!.topLabel, 'B');
  assert.deepEqual(rows[0]!.flagged, ['B']);
  assert.equal(rows[1]!.error?.code, 'Truncated');
  assert.equal(rows[1]!.studyInstanceUid, '1.2.3');
});

test('an unchanged file is reused in a new batch; a changed one, another mode or another model is not', async (t) => {
  const db = new ResultsDb(':memory:');
  t.after(() => db.close());
  const b1 = db.createBatch('/s', 'center', model);
  for (const frame of [0, 1]) db.addResult(b1, model, 'center', { path: '/s/m.dcm', relPath: 'm.dcm', size: 5, mtimeMs: 7, kind: 'dicom', frame, frames: 2, probabilities: [0.1, 0.2], error: null });
  db.finishBatch(b1, 'done');
  assert.equal(db.findReusable(model, 'center', '/s/m.dcm', 5, 7).length, 2);
  assert.equal(db.findReusable(model, 'center', '/s/m.dcm', 5, 8).length, 0, 'mtime changed');
  assert.equal(db.findReusable(model, 'center', '/s/m.dcm', 6, 7).length, 0, 'size changed');
  assert.equal(db.findReusable(model, 'tencrop', '/s/m.dcm', 5, 7).length, 0, 'other mode');
  assert.equal(db.findReusable({ ...model, key: 'k2' }, 'center', '/s/m.dcm', 5, 7).length, 0, 'other weights');
  const b2 = db.createBatch('/s', 'center', model);
  db.reuse(b2, db.findReusable(model, 'center', '/s/m.dcm', 5, 7), 'm.dcm');
  const rows = db.rows(b2);
  assert.equal(rows.length, 2);
  assert.ok(rows.every((r) => r.reused));
  assert.equal(db.batch(b2)!.reused, 2);
  // The first batch still has its own rows.
  assert.equal(db.rows(b1).length, 2);
  // A file that failed is tried again rather than reused.
  db.addResult(b1, model, 'center', { path: '/s/bad.dcm', relPath: 'bad.dcm', size: 5, mtimeMs: 7, kind: 'dicom', frame: 0, frames: 1, probabilities: null, error: { code: 'CorruptData', reason: 'x' } });
  assert.equal(db.findReusable(model, 'center', '/s/bad.dcm', 5, 7).length, 0);
});

test('export writes the same columns as the CLI, with the untrained flag', () => {
  const db = new ResultsDb(':memory:');
  const id = db.createBatch('/s', 'tencrop', model);
  db.addResult(id, model, 'tencrop', { path: '/s/a.png', relPath: 'a.png', size: 1, mtimeMs: 1, kind: 'png', frame: 0, frames: 1, probabilities: [0.25, 0.5], error: null });
  db.finishBatch(id, 'done');
  const results = { batch: db.batch(id), rows: db.rows(id) };
  const csv = exportBatch(results, 'csv');
  const [header, r] = parseCsv(new TextDecoder().decode(csv.content));
  assert.equal(r![header!.indexOf('A')], '0.250000');
  assert.equal(r![header!.indexOf('mode')], 'tencrop');
  assert.equal(r![header!.indexOf('trained')], 'false');
  assert.equal(r![header!.indexOf('flagged')], 'B');
  const json = JSON.parse(new TextDecoder().decode(exportBatch(results, 'json').content));
  assert.equal(json.rows[0].probabilities.B, 0.5);
  assert.match(json.note, /UNTRAINED/);
  db.close();
});

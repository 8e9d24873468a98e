import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanOutput, ResumeMismatchError } from '../../main/scan/output-file';
import { parseCsv, type ScanModelInfo, type ScanRow } from '../../main/scan/scan-row';

const model: ScanModelInfo = { name: 'Tiny', version: '1', trained: false, labels: ['A', 'B,with comma'], operatingPoints: { A: 0.5 } };

function row(path: string, frame: number, frames: number, p: number[] | null): ScanRow {
  return {
    path,
    kind: 'png',
    frame,
    frames,
    mode: 'center',
    probabilities: p,
    topLabel: p ? (p[0]! >= p[1]! ? 'A' : 'B,with comma') : null,
    topProbability: p ? Math.max(...p) : null,
    error: p ? null : { code: 'CorruptData', reason: 'bad "bytes", truly', file: path },
  };
}

async function tempDir(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'chexdesk-out-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('CSV: header with every label, 6 decimals, quoting, the trained flag, the error reason', async (t) => {
  const file = join(await tempDir(t), 'out.csv');
  const { output } = await ScanOutput.open(file, model, 'center', false);
  await output.write(row('/data/x,1.png', 0, 1, [0.123456789, 0.9]));
  await output.write(row('/data/y.png', 0, 1, null));
  await output.close();
  const [header, r1, r2] = parseCsv(await readFile(file, 'utf8'));
  assert.deepEqual(header!.slice(0, 11), ['path', 'kind', 'study_instance_uid', 'series_instance_uid', 'sop_instance_uid', 'frame', 'frames', 'mode', 'model', 'model_version', 'trained']);
  assert.deepEqual(header!.slice(11, 13), ['A', 'B,with comma']);
  const col = (name: string) => header!.indexOf(name);
  assert.equal(r1![col('path')], '/data/x,1.png');
  assert.equal(r1![col('A')], '0.123457');
  assert.equal(r1![col('trained')], 'false');
  assert.equal(r1![col('top_label')], 'B,with comma');
  assert.equal(r1![col('flagged')], '');
  assert.equal(r2![col('A')], '');
  assert.equal(r2![col('error')], 'bad "bytes", truly');
  assert.equal(r2![col('error_code')], 'CorruptData');
});

test('JSON is a valid document after every row, full precision, untrained note', async (t) => {
  const file = join(await tempDir(t), 'out.json');
  const { output } = await ScanOutput.open(file, model, 'center', false);
  const first = JSON.parse(await readFile(file, 'utf8'));
  assert.deepEqual(first.rows, []);
  assert.equal(first.trained, false);
  assert.match(first.note, /UNTRAINED/);
  await output.write(row('/a.png', 0, 1, [0.123456789123, 0.5]));
  const after1 = JSON.parse(await readFile(file, 'utf8'));
  assert.equal(after1.rows.length, 1);
  assert.equal(after1.rows[0].probabilities.A, 0.123456789123);
  await output.write(row('/b.png', 0, 1, [0.7, 0.1]));
  await output.close();
  const doc = JSON.parse(await readFile(file, 'utf8'));
  assert.equal(doc.rows.length, 2);
  assert.deepEqual(doc.rows[1].flagged, ['A']);
});

test('resume reads back CSV, JSONL and JSON rows, frame by frame, and refuses another mode', async (t) => {
  const dir = await tempDir(t);
  for (const ext of ['csv', 'jsonl', 'json']) {
    const file = join(dir, `out.${ext}`);
    const first = await ScanOutput.open(file, model, 'center', false);
    await first.output.write(row('/multi.dcm', 0, 3, [0.1, 0.2]));
    await first.output.write(row('/multi.dcm', 2, 3, [0.1, 0.2]));
    await first.output.write(row('/single.png', 0, 1, null));
    await first.output.close();
    const again = await ScanOutput.open(file, model, 'center', true);
    assert.deepEqual([...again.done.get('/multi.dcm')!.done].sort(), [0, 2], ext);
    assert.equal(again.done.get('/multi.dcm')!.frames, 3);
    assert.equal(again.done.get('/single.png')!.done.size, 1);
    await again.output.write(row('/multi.dcm', 1, 3, [0.3, 0.4]));
    await again.output.close();
    const final = await ScanOutput.open(file, model, 'center', true);
    assert.equal(final.done.get('/multi.dcm')!.done.size, 3, ext);
    await final.output.close();
    await assert.rejects(ScanOutput.open(file, model, 'tencrop', true), ResumeMismatchError, ext);
    await assert.rejects(ScanOutput.open(file, { ...model, labels: ['A'] }, 'center', true), ResumeMismatchError, ext);
  }
  // A JSONL line cut short by a kill is ignored, not fatal.
  const cut = join(dir, 'cut.jsonl');
  const o = await ScanOutput.open(cut, model, 'center', false);
  await o.output.write(row('/a.png', 0, 1, [0.1, 0.2]));
  await o.output.close();
  await writeFile(cut, (await readFile(cut, 'utf8')) + '{"path":"/b.png","fra');
  const resumed = await ScanOutput.open(cut, model, 'center', true);
  assert.deepEqual([...resumed.done.keys()], ['/a.png']);
  await resumed.output.write(row('/b.png', 0, 1, [0.1, 0.2]));
  await resumed.output.close();
  const lines = (await readFile(cut, 'utf8')).split('\n').filter(Boolean);
  assert.equal(JSON.parse(lines.at(-1)!).path, '/b.png');
});

test('rows written at the same moment from several places all land intact', async (t) => {
  const dir = await tempDir(t);
  for (const ext of ['csv', 'jsonl', 'json']) {
    const file = join(dir, `burst.${ext}`);
    const { output } = await ScanOutput.open(file, model, 'center', false);
    await Promise.all(Array.from({ length: 50 }, (_, i) => output.write(row(`/img-${i}.png`, 0, 1, i % 7 === 0 ? null : [i / 100, 0.5]))));
    await output.close();
    const again = await ScanOutput.open(file, model, 'center', true);
    assert.equal(again.done.size, 50, ext);
    await again.output.close();
  }
});

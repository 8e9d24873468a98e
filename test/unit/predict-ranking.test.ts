// Findings ranking and operating points, the TenCrop mean, batching and fixed-batch padding, on a fake
// session whose outputs are known functions of its input (no ONNX model needed), so every expected
// value is derived by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { meanRows, predict, predictMany, rankFindings } from '../../main/model/predict';
import { parseManifest, type ModelManifest } from '../../main/model/manifest';
import type { LoadedModel } from '../../main/model/session';
import type { Image8 } from '../../main/image/types';

const LABELS = ['A', 'B', 'C'];

function manifest(operatingPoints: Record<string, number> | null = null): ModelManifest {
  return parseManifest({
    format: 'chexdesk-model/1',
    name: 'fake',
    version: '0.1',
    trained: false,
    labels: LABELS,
    input: { name: 'x', channels: 3, size: 4 },
    // Mean 0, std 1, scale [0, 1]: the tensor holds v / 255.
    preprocess: { resize: 4, crop: 4, mean: [0], std: [1] },
    outputs: { probabilities: 'p', cam: 'c' },
    operatingPoints,
  });
}

/**
 * A session stand-in: row r's probability for label l is (first input value of the row) + l / 100,
 * or, in 'row-index' mode, (r + 1) / 100 * (l + 1). CAM cell values are r * 10 + l. Records batch sizes.
 */
function fakeModel(opts: { mode: 'first-value' | 'row-index'; fixedBatch?: number; ops?: Record<string, number> | null }) {
  const batches: number[] = [];
  const session = {
    async run(feeds: Record<string, ort.Tensor>, fetches: string[]) {
      const x = feeds.x!;
      const [n, c, h, w] = x.dims as number[];
      batches.push(n!);
      const data = x.data as Float32Array;
      const rowLength = c! * h! * w!;
      const p = new Float32Array(n! * LABELS.length);
      const cam = new Float32Array(n! * LABELS.length * 4);
      for (let r = 0; r < n!; r++) {
        for (let l = 0; l < LABELS.length; l++) {
          p[r * LABELS.length + l] = opts.mode === 'first-value' ? data[r * rowLength]! + l / 100 : ((r + 1) / 100) * (l + 1);
          cam.fill(r * 10 + l, (r * LABELS.length + l) * 4, (r * LABELS.length + l + 1) * 4);
        }
      }
      const out: Record<string, ort.Tensor> = { p: new ort.Tensor('float32', p, [n!, LABELS.length]) };
      if (fetches.includes('c')) out.c = new ort.Tensor('float32', cam, [n!, LABELS.length, 2, 2]);
      return out;
    },
  };
  const model: LoadedModel = {
    dir: '/fake',
    manifest: manifest(opts.ops ?? null),
    // The fake implements only run(), the one method predict.ts calls.
    session: session as unknown as ort.InferenceSession,
    threads: 1,
    fixedBatch: opts.fixedBatch ?? null,
    camGrid: [2, 2],
  };
  return { model, batches };
}

function flat(v: number): Image8 {
  return { width: 4, height: 4, channels: 1, data: new Uint8Array(16).fill(v) };
}

test('rankFindings: highest first, ties keep label order, operating points and above', () => {
  const m = manifest({ A: 0.5, C: 0.3 });
  const findings = rankFindings(m, [0.5, 0.9, 0.2]);
  assert.deepEqual(findings, [
    { label: 'B', probability: 0.9, above: false },
    { label: 'A', probability: 0.5, operatingPoint: 0.5, above: true },
    { label: 'C', probability: 0.2, operatingPoint: 0.3, above: false },
  ]);
  const ties = rankFindings(manifest(), [0.4, 0.4, 0.4]);
  assert.deepEqual(ties.map((f) => f.label), ['A', 'B', 'C']);
  assert.ok(ties.every((f) => f.above === false && f.operatingPoint === undefined));
});

test('meanRows: the arithmetic mean of each label over the rows', () => {
  const rows = new Float32Array([0.25, 0.5, 0.75, 0.5, 1, 0]);
  assert.deepEqual(meanRows(rows, 2, 3), [0.375, 0.75, 0.375]);
});

test('predict: center mode, one row, model info and label order', async () => {
  const { model, batches } = fakeModel({ mode: 'first-value', ops: { B: 0.5 } });
  const p = await predict(model, flat(51), 'center');
  assert.deepEqual(batches, [1]);
  assert.equal(p.mode, 'center');
  assert.deepEqual(p.labels, LABELS);
  const first = Math.fround(51 / 255);
  assert.deepEqual(p.probabilities, [first, Math.fround(first + 0.01), Math.fround(first + 0.02)]);
  assert.deepEqual(p.findings.map((f) => f.label), ['C', 'B', 'A']);
  assert.equal(p.findings[1]!.operatingPoint, 0.5);
  assert.equal(p.findings[1]!.above, false);
  assert.deepEqual(p.model, { name: 'fake', version: '0.1', trained: false });
  assert.ok(p.timings.preprocessMs >= 0 && p.timings.inferenceMs >= 0);
  assert.equal(p.cam, undefined, 'no CAM unless asked for');
});

test('predict: TenCrop runs one batch of 10 and averages the rows', async () => {
  const { model, batches } = fakeModel({ mode: 'row-index' });
  const p = await predict(model, flat(0), 'tencrop', { cam: true });
  assert.deepEqual(batches, [10]);
  // mean of (r + 1) / 100 for r = 0..9 is 0.055, times (l + 1).
  p.probabilities.forEach((v, l) => assert.ok(Math.abs(v - 0.055 * (l + 1)) < 1e-7, `label ${l}: ${v}`));
  assert.deepEqual(p.cam?.dims, [10, 3, 2, 2]);
  assert.equal(p.cam?.geometry.crops.length, 10);
  // Row 9, label 2: 92.
  assert.equal(p.cam?.data[(9 * 3 + 2) * 4], 92);
});

test('predictMany: center images batched batchSize at a time, each result with its own image', async () => {
  const { model, batches } = fakeModel({ mode: 'first-value' });
  const values = [0, 51, 102, 153, 204];
  const out = await predictMany(model, values.map(flat), 'center', { batchSize: 2, cam: true });
  assert.deepEqual(batches, [2, 2, 1]);
  assert.deepEqual(out.map((p) => p.probabilities[0]), values.map((v) => Math.fround(v / 255)));
  // The CAM of each image is its own row: the second image of the second batch was row 1 there.
  assert.equal(out[3]!.cam?.data[0], 10);
  assert.deepEqual(out[3]!.cam?.dims, [1, 3, 2, 2]);
});

test('predictMany: TenCrop images each run as their own batch of 10', async () => {
  const { model, batches } = fakeModel({ mode: 'first-value' });
  const out = await predictMany(model, [flat(51), flat(102)], 'tencrop', { batchSize: 8 });
  assert.deepEqual(batches, [10, 10]);
  assert.ok(Math.abs(out[1]!.probabilities[0]! - 102 / 255) < 1e-6);
});

test('a fixed-batch graph gets chunks of exactly its size, padding dropped', async () => {
  const { model, batches } = fakeModel({ mode: 'first-value', fixedBatch: 4 });
  const values = [10, 20, 30, 40, 50];
  const out = await predictMany(model, values.map(flat), 'center', { batchSize: 8, cam: true });
  assert.deepEqual(batches, [4, 4]);
  assert.deepEqual(out.map((p) => p.probabilities[0]), values.map((v) => Math.fround(v / 255)));
  assert.equal(out[4]!.cam?.data[0], 0, 'image 5 was row 0 of the second chunk');
});

test('predictMany rejects a bad batch size', async () => {
  const { model } = fakeModel({ mode: 'first-value' });
  await assert.rejects(predictMany(model, [flat(1)], 'center', { batchSize: 0 }), { name: 'InvalidArgument' });
});

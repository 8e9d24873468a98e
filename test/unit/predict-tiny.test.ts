// Inference end to end through a real onnxruntime-node session, on tiny generated models whose outputs
// are known in closed form (test/support/tiny-models.ts): probabilities, the TenCrop mean, batching,
// the raw CAM rows, and a 1-channel model fed RGB.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { infer, predict, predictMany, preprocess } from '../../main/model/predict';
import { loadModel, releaseAllModels } from '../../main/model/session';
import type { Image8 } from '../../main/image/types';
import { makeTinyModel } from '../support/tiny-models';

const root = mkdtempSync(join(tmpdir(), 'chexdesk-tiny-'));
after(async () => {
  await releaseAllModels();
  rmSync(root, { recursive: true, force: true });
});

function image(width: number, height: number, channels: 1 | 3, seed: number): Image8 {
  const data = new Uint8Array(width * height * channels);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) data[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
  return { width, height, channels, data };
}

const close = (a: number, b: number, tol = 2e-6) => Math.abs(a - b) <= tol;

test('center mode: probabilities and CAM of the fed tensor, in label order', async () => {
  const tiny = await makeTinyModel(join(root, 'center'), { channels: 3, size: 8, resize: 10, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
  const model = await loadModel(tiny.dir, { threads: 1 });
  const img = image(23, 17, 3, 1);
  const p = await predict(model, img, 'center', { cam: true });
  const fed = preprocess(img, model.manifest, 'center');
  const want = tiny.expected(fed.tensor);
  p.probabilities.forEach((v, i) => assert.ok(close(v, want.probabilities[i]!), `${tiny.labels[i]}: ${v} vs ${want.probabilities[i]}`));
  assert.deepEqual(p.labels, tiny.labels);
  assert.deepEqual(p.cam?.dims, [1, 3, 2, 2]);
  want.cam!.forEach((map, l) => map.forEach((row, r) => row.forEach((v, c) => assert.ok(close(p.cam!.data[l * 4 + r * 2 + c]!, v), `cam ${l} ${r} ${c}`))));
  assert.equal(p.model.name, 'Tiny test model');
  assert.equal(p.model.trained, true);
});

test('TenCrop: one batch of 10, the mean of the 10 sigmoid outputs', async () => {
  const tiny = await makeTinyModel(join(root, 'tencrop'), { channels: 1, size: 8, resize: 12 });
  const model = await loadModel(tiny.dir, { threads: 1 });
  const img = image(30, 19, 1, 2);
  const p = await predict(model, img, 'tencrop');
  const fed = preprocess(img, model.manifest, 'tencrop');
  assert.deepEqual(fed.dims, [10, 1, 8, 8]);
  const perCrop = Array.from({ length: 10 }, (_, k) => tiny.expected(fed.tensor.subarray(k * 64, (k + 1) * 64)).probabilities);
  tiny.labels.forEach((_, l) => {
    const mean = perCrop.reduce((s, row) => s + row[l]!, 0) / 10;
    assert.ok(close(p.probabilities[l]!, mean), `label ${l}: ${p.probabilities[l]} vs ${mean}`);
  });
  // The crops differ, so the mean is not any single crop's value.
  assert.ok(perCrop.some((row) => !close(row[0]!, p.probabilities[0]!, 1e-4)));
});

test('predictMany batches center images and keeps each result with its image', async () => {
  const tiny = await makeTinyModel(join(root, 'batch'), { channels: 1, size: 8, resize: 9 });
  const model = await loadModel(tiny.dir, { threads: 1 });
  const images = [image(9, 9, 1, 3), image(40, 12, 1, 4), image(12, 40, 3, 5), image(9, 9, 1, 6), image(15, 15, 3, 7)];
  const batched = await predictMany(model, images, 'center', { batchSize: 2 });
  for (let i = 0; i < images.length; i++) {
    const single = await predict(model, images[i]!, 'center');
    assert.deepEqual(batched[i]!.probabilities, single.probabilities, `image ${i}`);
  }
});

test('infer checks the tensor against the model input', async () => {
  const tiny = await makeTinyModel(join(root, 'dims'), { channels: 1, size: 8 });
  const model = await loadModel(tiny.dir, { threads: 1 });
  await assert.rejects(infer(model, new Float32Array(64), [1, 3, 8, 8]), { name: 'InvalidArgument' });
  await assert.rejects(infer(model, new Float32Array(63), [1, 1, 8, 8]), { name: 'InvalidArgument' });
  const out = await infer(model, new Float32Array(128), [2, 1, 8, 8]);
  assert.equal(out.rows, 2);
  assert.equal(out.cam, null, 'no CAM unless asked for');
  // A zero image: sigmoid(bias).
  tiny.biases.forEach((b, i) => assert.ok(close(out.probabilities[i]!, 1 / (1 + Math.exp(-b)))));
});

test('a 1-channel model fed an RGB image sees PIL convert("L") of it', async () => {
  const tiny = await makeTinyModel(join(root, 'gray'), { channels: 1, size: 8, resize: 8 });
  const model = await loadModel(tiny.dir, { threads: 1 });
  // An 8x8 RGB image of one colour (200, 100, 50): L = (200*19595 + 100*38470 + 50*7471 + 32768) >> 16 = 124.
  const data = new Uint8Array(8 * 8 * 3);
  for (let i = 0; i < 64; i++) data.set([200, 100, 50], i * 3);
  const p = await predict(model, { width: 8, height: 8, channels: 3, data }, 'center');
  const x = Math.fround(124 / 255);
  tiny.weights.forEach((w, i) => assert.ok(close(p.probabilities[i]!, 1 / (1 + Math.exp(-(w * x + tiny.biases[i]!)))), `label ${i}`));
});

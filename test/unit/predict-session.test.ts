// Loading model folders: the manifest checked against the graph, with messages that say what does not
// fit. Folders are made in a temp dir: an edited model.json next to a symlink to the shared stand-in's
// model.onnx (read from ../shared at test time, never copied into the repo); tiny generated models
// (test/support/tiny-models.ts) for each kind of mismatch; and graph metadata written by hand for
// checkGraph alone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkGraph, loadModel, releaseAllModels, releaseModel } from '../../main/model/session';
import { parseManifest, type ModelManifest } from '../../main/model/manifest';
import { CheXDeskError, type ErrorCode } from '../../main/errors';
import { makeMismatchedModel, makeTinyModel, type Mismatch, type TinyModelOptions } from '../support/tiny-models';
import { sharedPath, skipWithoutShared } from '../support/shared';

const root = mkdtempSync(join(tmpdir(), 'chexdesk-models-'));
after(async () => {
  await releaseAllModels();
  rmSync(root, { recursive: true, force: true });
});

function standinManifest(): Record<string, unknown> {
  return JSON.parse(readFileSync(sharedPath('models', 'chexnet-standin', 'model.json'), 'utf8')) as Record<string, unknown>;
}

let folders = 0;
/** A model folder with the given model.json and the shared ONNX graph (symlinked). */
function folder(manifest: unknown, onnx: 'standin' | 'none' | Uint8Array = 'standin'): string {
  const dir = join(root, `m${folders++}`);
  mkdirSync(dir);
  if (manifest !== undefined) writeFileSync(join(dir, 'model.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  if (onnx === 'standin') symlinkSync(sharedPath('models', 'chexnet-standin', 'model.onnx'), join(dir, 'model.onnx'));
  else if (onnx instanceof Uint8Array) writeFileSync(join(dir, 'model.onnx'), onnx);
  return dir;
}

async function loadError(dir: string): Promise<CheXDeskError> {
  try {
    await loadModel(dir, { threads: 1 });
  } catch (err) {
    assert.ok(err instanceof CheXDeskError, String(err));
    return err;
  }
  assert.fail('loaded without an error');
}

test('the stand-in folder loads: metadata read, dynamic batch, 7x7 CAM grid; cached per folder and threads', { skip: skipWithoutShared }, async () => {
  const dir = folder(standinManifest());
  const a = await loadModel(dir, { threads: 1 });
  assert.equal(a.manifest.labels.length, 14);
  assert.equal(a.fixedBatch, null);
  assert.deepEqual(a.camGrid, [7, 7]);
  assert.equal(a.threads, 1);
  assert.equal(await loadModel(dir, { threads: 1 }), a, 'same folder, same threads: the same session');
  await releaseModel(a);
  const b = await loadModel(dir, { threads: 1 });
  assert.notEqual(b, a, 'a released model is loaded afresh');
});

test('15 labels in model.json against a 14-column output', { skip: skipWithoutShared }, async () => {
  const m = standinManifest();
  m.labels = [...(m.labels as string[]), 'Extra'];
  const err = await loadError(folder(m));
  assert.equal(err.code, 'ModelMismatch');
  assert.equal(err.reason, 'model.json says 15 labels but output "probabilities" has 14 columns');
  assert.match(err.file ?? '', /model\.onnx$/);
});

// Each kind of disagreement, on tiny generated models (no ../shared needed).

const tinyCases: Array<[Mismatch, TinyModelOptions, ErrorCode, RegExp | string]> = [
  ['label-count', {}, 'ModelMismatch', 'model.json says 3 labels but output "probabilities" has 4 columns'],
  ['input-name', {}, 'ModelMismatch', `model.json says the input is "input" but the graph's inputs are "pixels"`],
  ['input-size', {}, 'ModelMismatch', 'model.json says input size 16 but input "input" has height 8 (shape [batch, 1, 8, 8])'],
  ['channels', { channels: 3, mean: [0.5], std: [0.5] }, 'ModelMismatch', 'model.json says 3 input channels but input "input" has 1 (shape [batch, 1, 8, 8])'],
  ['output-name', {}, 'ModelMismatch', `model.json says the probabilities output is "scores" but the graph's outputs are "probabilities", "cam"`],
  ['missing-cam', {}, 'ModelMismatch', `model.json says the CAM output is "cam" but the graph's outputs are "probabilities"`],
  ['corrupt-onnx', {}, 'ModelMismatch', /^onnxruntime cannot load model\.onnx: \S/],
];

for (const [kind, opts, code, reason] of tinyCases) {
  test(`tiny model with a ${kind} mismatch: ${code}, saying what does not fit`, async () => {
    const made = await makeMismatchedModel(join(root, `tiny-${kind}`), kind, opts);
    const err = await loadError(made.dir);
    assert.equal(err.code, code);
    if (typeof reason === 'string') assert.equal(err.reason, reason);
    else assert.match(err.reason, reason);
    assert.equal(err.file, made.onnxPath);
  });
}

test('missing folder, model.json or model.onnx: ModelNotFound', async () => {
  assert.equal((await loadError(join(root, 'does-not-exist'))).code, 'ModelNotFound');
  const tiny = await makeTinyModel(join(root, 'no-json'));
  rmSync(tiny.manifestPath);
  const noJson = await loadError(tiny.dir);
  assert.equal(noJson.code, 'ModelNotFound');
  assert.match(noJson.reason, /no model\.json/);
  const tiny2 = await makeTinyModel(join(root, 'no-onnx'));
  rmSync(tiny2.onnxPath);
  const noOnnx = await loadError(tiny2.dir);
  assert.equal(noOnnx.code, 'ModelNotFound');
  assert.match(noOnnx.reason, /no model\.onnx/);
});

test('model.json that is not JSON, or not a valid manifest: InvalidManifest', async () => {
  const tiny = await makeTinyModel(join(root, 'bad-json'));
  writeFileSync(tiny.manifestPath, '{ "format": ');
  const bad = await loadError(tiny.dir);
  assert.equal(bad.code, 'InvalidManifest');
  assert.match(bad.reason, /not valid JSON/);
  const { labels: _dropped, ...rest } = tiny.manifest;
  writeFileSync(tiny.manifestPath, JSON.stringify(rest));
  assert.equal((await loadError(tiny.dir)).code, 'InvalidManifest');
});

test('a failed load is not cached: fixing the folder makes the next load succeed', async () => {
  const tiny = await makeTinyModel(join(root, 'fixable'));
  const good = readFileSync(tiny.manifestPath, 'utf8');
  writeFileSync(tiny.manifestPath, '{');
  assert.equal((await loadError(tiny.dir)).code, 'InvalidManifest');
  writeFileSync(tiny.manifestPath, good);
  const model = await loadModel(tiny.dir, { threads: 1 });
  assert.deepEqual(model.camGrid, [2, 2]);
  await releaseModel(model);
});

// checkGraph on metadata written by hand: no onnxruntime and no ../shared needed.

function manifest(over: Partial<{ labels: string[]; cam: string | null }> = {}): ModelManifest {
  return parseManifest({
    format: 'chexdesk-model/1',
    name: 't',
    version: '1',
    trained: false,
    labels: over.labels ?? ['A', 'B', 'C'],
    input: { name: 'x', channels: 3, size: 32 },
    preprocess: { resize: 36, crop: 32, mean: [0.5], std: [0.5] },
    outputs: { probabilities: 'p', cam: over.cam === undefined ? 'c' : over.cam },
  });
}

type Shape = Array<number | string>;
const tensor = (name: string, shape: Shape, type = 'float32') => ({ name, isTensor: true as const, type: type as 'float32', shape });

function mismatch(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CheXDeskError);
    assert.equal(err.code, 'ModelMismatch');
    return err.reason;
  }
  assert.fail('no mismatch reported');
}

test('checkGraph: a fixed batch axis is reported; symbolic dims are accepted', () => {
  const ok = checkGraph(manifest(), [tensor('x', [4, 3, 32, 32])], [tensor('p', ['n', 3]), tensor('c', ['n', 3, 'h', 'w'])]);
  assert.deepEqual(ok, { fixedBatch: 4, camGrid: null });
  const unknown = checkGraph(manifest({ cam: null }), [tensor('x', [])], [tensor('p', [])]);
  assert.deepEqual(unknown, { fixedBatch: null, camGrid: null });
});

test('checkGraph: each disagreement in its own words', () => {
  const good = { in: [tensor('x', ['n', 3, 32, 32])], out: [tensor('p', ['n', 3]), tensor('c', ['n', 3, 4, 4])] };
  assert.deepEqual(checkGraph(manifest(), good.in, good.out), { fixedBatch: null, camGrid: [4, 4] });
  assert.equal(mismatch(() => checkGraph(manifest(), [tensor('x', ['n', 3, 32, 32], 'uint8')], good.out)), 'input "x" takes uint8, not float32');
  assert.equal(mismatch(() => checkGraph(manifest(), [tensor('x', ['n', 32, 32])], good.out)), 'input "x" has shape [n, 32, 32]; CheXDesk feeds [batch, 3, 32, 32]');
  assert.equal(
    mismatch(() => checkGraph(manifest(), [tensor('x', ['n', 3, 32, 32]), tensor('mask', ['n'])], good.out)),
    'the graph has 2 inputs ("x", "mask"); CheXDesk feeds one image tensor',
  );
  assert.equal(mismatch(() => checkGraph(manifest(), good.in, [tensor('p', ['n', 3, 1]), good.out[1]!])), 'output "p" has shape [n, 3, 1]; model.json needs [batch, 3]');
  assert.equal(
    mismatch(() => checkGraph(manifest(), good.in, [good.out[0]!, tensor('c', ['n', 5, 4, 4])])),
    'model.json says 3 labels but CAM output "c" has 5 maps (shape [n, 5, 4, 4])',
  );
  assert.equal(mismatch(() => checkGraph(manifest(), good.in, [good.out[0]!, tensor('c', ['n', 3, 16])])), 'output "c" has shape [n, 3, 16]; model.json needs [batch, 3, h, w]');
  assert.equal(mismatch(() => checkGraph(manifest(), good.in, [tensor('p', ['n', 3], 'float64' as 'float32'), good.out[1]!])), 'output "p" is float64, not float32');
});

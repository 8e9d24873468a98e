import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxGraphBuilder, attr, decodeModel, tensorDims, tensorFloats, OPSET, IR_VERSION } from '../../main/model/onnx-builder';
import { parseManifest } from '../../main/model/manifest';
import { makeMismatchedModel, makeTinyModel, type Mismatch } from '../support/tiny-models';

const PYTHON = '/usr/bin/python3';
const pythonOnnx = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;

/** input [batch,1,3,3] -> Conv 2x2 (weights 1..4) -> +0.5 -> Reshape [batch, 4]. */
function convGraph(): OnnxGraphBuilder {
  const g = new OnnxGraphBuilder('conv');
  g.addInput('x', ['batch', 1, 3, 3]);
  g.addInitializer('w', [1, 1, 2, 2], new Float32Array([1, 2, 3, 4]));
  g.addInitializer('half', [1], new Float32Array([0.5]));
  g.addInt64s('flat', [-1, 4]);
  const y = g.op('Conv', ['x', 'w'], { kernel_shape: attr.ints([2, 2]) });
  g.op('Reshape', [g.op('Add', [y, 'half']), 'flat'], {}, 'y');
  g.addOutput('y', ['batch', 4]);
  return g;
}

test('a built graph runs in onnxruntime with a symbolic batch and gives the hand-computed values', async () => {
  const session = await ort.InferenceSession.create(convGraph().toBytes());
  const image = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const x = new ort.Tensor('float32', Float32Array.from([...image, ...image.map((v) => 2 * v)]), [2, 1, 3, 3]);
  const out = (await session.run({ x })).y!;
  assert.deepEqual(out.dims, [2, 4]);
  // 2x2 valid correlation by hand: [1 2; 4 5]·[1 2; 3 4] = 37, then 47, 67, 77; +0.5. The doubled
  // image doubles the correlation.
  assert.deepEqual(Array.from(out.data as Float32Array), [37.5, 47.5, 67.5, 77.5, 74.5, 94.5, 134.5, 154.5]);
  const one = (await session.run({ x: new ort.Tensor('float32', Float32Array.from(image), [1, 1, 3, 3]) })).y!;
  assert.deepEqual(one.dims, [1, 4]);
});

test('the serialised model decodes back to opset 17, its shapes and its initializer values', () => {
  const m = decodeModel(convGraph().toBytes({ producerName: 'unit', metadata: { trained: 'false' } }));
  assert.equal(Number(m.irVersion), IR_VERSION);
  assert.deepEqual(m.opsetImport.map((o) => [o.domain, Number(o.version)]), [['', OPSET]]);
  assert.equal(OPSET, 17);
  assert.equal(m.producerName, 'unit');
  assert.deepEqual(m.metadataProps.map((p) => [p.key, p.value]), [['trained', 'false']]);
  const g = m.graph!;
  const w = g.initializer.find((t) => t.name === 'w')!;
  assert.deepEqual(tensorDims(w), [1, 1, 2, 2]);
  assert.deepEqual(Array.from(tensorFloats(w)), [1, 2, 3, 4]);
  const dims = g.input[0]!.type!.tensorType!.shape!.dim.map((d) => d.dimParam || Number(d.dimValue));
  assert.deepEqual(dims, ['batch', 1, 3, 3]);
  assert.deepEqual(g.node.map((n) => n.opType), ['Conv', 'Add', 'Reshape']);
  const kernel = g.node[0]!.attribute.find((a) => a.name === 'kernel_shape')!;
  assert.deepEqual(kernel.ints.map(Number), [2, 2]);
});

test('the builder refuses undefined inputs, duplicate names, wrong data sizes and unproduced outputs', () => {
  const g = new OnnxGraphBuilder('bad');
  g.addInput('x', [1]);
  assert.throws(() => g.op('Relu', ['nope']), /input "nope" is not defined/);
  assert.throws(() => g.addInitializer('x', [1], new Float32Array(1)), /defined twice/);
  assert.throws(() => g.addInitializer('w', [2, 2], new Float32Array(3)), /3 values for shape \[2, 2\]/);
  g.addOutput('later', [1]);
  assert.throws(() => g.toBytes(), /"later" is never produced/);
});

test('onnx.checker (Python onnx, full check with shape inference) accepts a built model', { skip: pythonOnnx ? false : `needs ${PYTHON} with the onnx package` }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'chexdesk-builder-'));
  try {
    const file = join(dir, 'conv.onnx');
    await writeFile(file, convGraph().toBytes());
    const r = spawnSync(PYTHON, ['-c', 'import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print(m.opset_import[0].version)', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '17');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('tiny model: probabilities = sigmoid(w·mean + b), cam = w·cell means, as stated in its header', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'chexdesk-tiny-'));
  try {
    const m = await makeTinyModel(dir, { channels: 3, size: 4, labels: ['A', 'B'], weights: [2, -1], biases: [0.5, 0], camGrid: 2 });
    parseManifest(m.manifest);
    const session = await ort.InferenceSession.create(m.onnxPath);
    // Channel 0 is 1 on the left half of each row, 0 on the right; channels 1 and 2 are all 0.5.
    const image = new Float32Array(3 * 16);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 2; x++) image[y * 4 + x] = 1;
    image.fill(0.5, 16);
    const out = await session.run({ input: new ort.Tensor('float32', image, [1, 3, 4, 4]) });
    // mean = (8 * 1 + 32 * 0.5) / 48 = 0.5; left cells (1 + 0.5 + 0.5) / 3 = 2/3, right cells 1/3.
    const sig = (t: number) => 1 / (1 + Math.exp(-t));
    const probs = Array.from(out.probabilities!.data as Float32Array);
    assert.ok(Math.abs(probs[0]! - sig(2 * 0.5 + 0.5)) < 1e-6 && Math.abs(probs[1]! - sig(-0.5)) < 1e-6, String(probs));
    assert.deepEqual(out.cam!.dims, [1, 2, 2, 2]);
    const cam = Array.from(out.cam!.data as Float32Array);
    const want = [2 * (2 / 3), 2 / 3, 2 * (2 / 3), 2 / 3, -(2 / 3), -(1 / 3), -(2 / 3), -(1 / 3)];
    cam.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `cam[${i}] = ${v}, want ${want[i]}`));
    const expected = m.expected(image);
    expected.probabilities.forEach((p, c) => assert.ok(Math.abs(p - probs[c]!) < 1e-6));
    assert.ok(Math.abs(expected.cam![1]![0]![1]! - -(1 / 3)) < 1e-9);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('mismatched tiny models disagree with their manifest in exactly the declared way', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'chexdesk-mismatch-'));
  try {
    const kinds: Mismatch[] = ['label-count', 'input-name', 'input-size', 'channels', 'output-name', 'missing-cam', 'corrupt-onnx'];
    for (const kind of kinds) {
      const folder = join(dir, kind);
      const m = await makeMismatchedModel(folder, kind, { channels: 1, size: 8, labels: ['A', 'B', 'C'] });
      const manifest = parseManifest(m.manifest);
      if (kind === 'corrupt-onnx') {
        await assert.rejects(ort.InferenceSession.create(m.onnxPath));
        continue;
      }
      const session = await ort.InferenceSession.create(m.onnxPath);
      const inputName = session.inputNames[0]!;
      const graphChannels = kind === 'channels' ? 3 : 1;
      const out = await session.run({ [inputName]: new ort.Tensor('float32', new Float32Array(graphChannels * 64).fill(0.25), [1, graphChannels, 8, 8]) });
      const facts = {
        labels: out.probabilities!.dims[1] === manifest.labels.length,
        inputName: inputName === manifest.input.name,
        channels: graphChannels === manifest.input.channels,
        size: manifest.input.size === 8,
        probabilities: session.outputNames.includes(manifest.outputs.probabilities),
        cam: manifest.outputs.cam === null || session.outputNames.includes(manifest.outputs.cam!),
      };
      const broken = Object.entries(facts).filter(([, ok]) => !ok).map(([k]) => k);
      const want = { 'label-count': 'labels', 'input-name': 'inputName', 'input-size': 'size', channels: 'channels', 'output-name': 'probabilities', 'missing-cam': 'cam' }[kind];
      assert.deepEqual(broken, [want], kind);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

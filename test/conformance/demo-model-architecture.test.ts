/**
 * The demo model against ../shared/models/chexnet-standin/model.onnx, an independent PyTorch export of
 * torchvision's densenet121 with CheXNet's classifier. The stand-in was exported with constant
 * folding: a BatchNorm right after a Conv (norm0, every norm2) is folded into that Conv's weight and
 * bias, the others stay BatchNormalization nodes, identical BN weight/bias tensors are deduplicated
 * through Identity nodes, and AveragePool has a no-op Pad before it. Both graphs are therefore
 * reduced to the layer sequence and the torchvision parameter shapes they imply, which must be equal.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { writeDemoModel } from '../../main/model/demo-model';
import { decodeModel, tensorDims, tensorFloats, type DecodedModel, type DecodedNode, type DecodedTensor } from '../../main/model/onnx-builder';
import { sharedPath, skipWithoutShared } from '../support/shared';

interface Architecture {
  /** One token per layer in graph order: "conv 64x3x7x7 s2 p3", "bn 64", "relu", "concat 2", … */
  layers: string[];
  /** The shapes of torchvision's state-dict parameters and BN buffers the layers imply. */
  paramShapes: string[];
  /** Trainable parameters (conv weights, BN weight+bias, Linear weight+bias). */
  trainable: number;
}

function ints(node: DecodedNode, name: string, fallback: number[]): number[] {
  const a = node.attribute.find((x) => x.name === name);
  return a ? a.ints.map(Number) : fallback;
}

function architecture(model: DecodedModel, camOutput: string): Architecture {
  const g = model.graph!;
  const dims = new Map(g.initializer.map((t) => [t.name, tensorDims(t)]));
  const allZero = (t: DecodedTensor) => (t.rawData?.length ? t.rawData.every((v) => v === 0) : t.int64Data.every((v) => Number(v) === 0));
  const zeros = new Set(g.node.filter((n) => n.opType === 'Constant' && n.attribute[0]?.t && allZero(n.attribute[0].t)).flatMap((n) => n.output));
  for (const n of g.node) if (n.opType === 'Identity' && dims.has(n.input[0]!)) dims.set(n.output[0]!, dims.get(n.input[0]!)!);
  const layers: string[] = [];
  const paramShapes: string[] = [];
  let trainable = 0;
  const param = (shape: number[], isTrainable: boolean) => {
    paramShapes.push(shape.join('x'));
    if (isTrainable) trainable += shape.reduce((a, b) => a * b, 1);
  };
  const bn = (channels: number) => {
    layers.push(`bn ${channels}`);
    param([channels], true);
    param([channels], true);
    param([channels], false);
    param([channels], false);
  };
  for (const n of g.node) {
    // The CAM branch is computed differently on purpose (Einsum there, Reshape + 1x1 Conv here); its
    // output is compared by running both models.
    if (n.output.includes(camOutput) || n.output[0] === 'cam.weight') continue;
    switch (n.opType) {
      case 'Identity':
      case 'Constant':
        break;
      case 'Pad':
        assert.ok(zeros.has(n.input[1]!), 'only the no-op Pad before AveragePool is expected');
        break;
      case 'Conv': {
        const w = dims.get(n.input[1]!)!;
        layers.push(`conv ${w.join('x')} s${ints(n, 'strides', [1, 1]).join(',')} p${ints(n, 'pads', [0, 0, 0, 0]).join(',')} g${ints(n, 'group', [1]).join('')}`);
        param(w, true);
        if (n.input[2]) bn(w[0]!); // a BatchNorm folded into this Conv
        break;
      }
      case 'BatchNormalization':
        bn(dims.get(n.input[1]!)![0]!);
        break;
      case 'Gemm': {
        const w = dims.get(n.input[1]!)!;
        layers.push(`linear ${w.join('x')}`);
        param(w, true);
        param(dims.get(n.input[2]!)!, true);
        break;
      }
      case 'MaxPool':
      case 'AveragePool':
        layers.push(`${n.opType} k${ints(n, 'kernel_shape', []).join(',')} s${ints(n, 'strides', []).join(',')} p${ints(n, 'pads', [0, 0, 0, 0]).join(',')}`);
        break;
      case 'Concat':
        layers.push(`concat ${n.input.length}`);
        break;
      default:
        layers.push(n.opType);
    }
  }
  return { layers, paramShapes: paramShapes.sort(), trainable };
}

function counts(tokens: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tokens) {
    const k = t.split(' ')[0]!;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

let work: string;
let demoPath: string;
let standinPath: string;

before(async () => {
  if (skipWithoutShared) return;
  work = await mkdtemp(join(tmpdir(), 'chexdesk-demo-arch-'));
  demoPath = (await writeDemoModel(join(work, 'demo'))).onnxPath;
  standinPath = sharedPath('models', 'chexnet-standin', 'model.onnx');
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('the demo graph has the stand-in\'s layer sequence and parameter shapes (torchvision densenet121)', { skip: skipWithoutShared }, async () => {
  const demo = decodeModel(await readFile(demoPath));
  const standin = decodeModel(await readFile(standinPath));
  const a = architecture(demo, 'cam');
  const b = architecture(standin, 'cam');
  assert.equal(a.layers.length, b.layers.length);
  a.layers.forEach((layer, i) => assert.equal(layer, b.layers[i], `layer ${i}`));
  assert.deepEqual(a.paramShapes, b.paramShapes);
  // Hand-derived from the architecture: convs 1 + 2 x 58 dense layers + 3 transitions; BNs norm0, 2 per
  // dense layer, 3 transitions, norm5; one Concat per dense layer (torchvision concatenates all earlier
  // features in each) plus one per block.
  assert.deepEqual(counts(a.layers), { conv: 120, bn: 121, Relu: 121, MaxPool: 1, concat: 62, AveragePool: 3, GlobalAveragePool: 1, Flatten: 1, linear: 1, Sigmoid: 1 });
  // torchvision documents 7,978,856 parameters for densenet121 with 1000 classes; CheXNet's classifier
  // has 14: 7978856 - (1024 + 1) * 1000 + (1024 + 1) * 14.
  assert.equal(a.trainable, 7978856 - 1025 * 1000 + 1025 * 14);
  assert.equal(b.trainable, a.trainable);
  // Every float initializer of the demo graph is one of those parameters: nothing else is stored.
  const floats = demo.graph!.initializer.filter((t) => t.dataType === 1).map((t) => tensorDims(t).join('x')).sort();
  assert.deepEqual(floats, a.paramShapes);
  assert.equal(Number(demo.opsetImport[0]!.version), Number(standin.opsetImport[0]!.version));
});

async function cxrBatch(): Promise<{ files: string[]; batch: Float32Array }> {
  const dir = sharedPath('fixtures', 'cxr');
  const files = (await readdir(dir)).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
  const S = 224;
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const batch = new Float32Array(files.length * 3 * S * S);
  for (const [n, f] of files.entries()) {
    // A plain resize is enough here: this checks the model's range, not the app's preprocessing.
    const gray = await sharp(join(dir, f)).grayscale().resize(S, S, { fit: 'fill' }).raw().toBuffer();
    for (let c = 0; c < 3; c++) for (let i = 0; i < S * S; i++) batch[(n * 3 + c) * S * S + i] = (gray[i]! / 255 - mean[c]!) / std[c]!;
  }
  return { files, batch };
}

test('onnxruntime gives both models the same input and output names and shapes', { skip: skipWithoutShared }, async () => {
  const { batch } = await cxrBatch();
  const two = batch.slice(0, 2 * 3 * 224 * 224);
  const shapes: string[] = [];
  for (const path of [demoPath, standinPath]) {
    const s = await ort.InferenceSession.create(path);
    try {
      const out = await s.run({ input: new ort.Tensor('float32', two, [2, 3, 224, 224]) });
      shapes.push(JSON.stringify({ inputs: s.inputNames, outputs: s.outputNames, dims: Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.dims])) }));
    } finally {
      await s.release();
    }
  }
  assert.equal(shapes[0], shapes[1]);
  assert.deepEqual(JSON.parse(shapes[0]!).dims, { probabilities: [2, 14], cam: [2, 14, 7, 7] });
});

test('on the shared chest X-rays the demo probabilities vary between images and stay within (0.01, 0.99)', { skip: skipWithoutShared }, async () => {
  const { files, batch } = await cxrBatch();
  const n = files.length;
  const s = await ort.InferenceSession.create(demoPath);
  try {
    const out = await s.run({ input: new ort.Tensor('float32', batch, [n, 3, 224, 224]) });
    const p = out.probabilities!.data as Float32Array;
    for (let i = 0; i < p.length; i++) assert.ok(p[i]! > 0.01 && p[i]! < 0.99, `${files[Math.floor(i / 14)]} label ${i % 14}: ${p[i]}`);
    const ranges = Array.from({ length: 14 }, (_, c) => {
      const col = files.map((_, i) => p[i * 14 + c]!);
      return Math.max(...col) - Math.min(...col);
    });
    assert.ok(ranges.every((r) => r > 0.05), `every label should vary across the ${n} X-rays: ${ranges.map((r) => r.toFixed(2))}`);
    // CAM's defining relation, with the bias read from the file.
    const bias = tensorFloats(decodeModel(await readFile(demoPath)).graph!.initializer.find((t) => t.name === 'densenet121.classifier.0.bias')!);
    const cam = out.cam!.data as Float32Array;
    for (let i = 0; i < n * 14; i++) {
      let sum = 0;
      for (let k = 0; k < 49; k++) sum += cam[i * 49 + k]!;
      const q = 1 / (1 + Math.exp(-(sum / 49 + bias[i % 14]!)));
      assert.ok(Math.abs(q - p[i]!) < 1e-5, `${files[Math.floor(i / 14)]} label ${i % 14}: ${q} from cam vs ${p[i]}`);
    }
  } finally {
    await s.release();
  }
});

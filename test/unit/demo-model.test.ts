import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { CheXDeskError } from '../../main/errors';
import { generateDemoModel, writeDemoModel } from '../../main/model/demo-model';
import { parseManifest } from '../../main/model/manifest';
import { decodeModel, tensorFloats } from '../../main/model/onnx-builder';
import { SeededRandom } from '../../main/model/seeded-random';
import { syntheticChestBatch } from '../../main/model/synthetic-chest';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const PYTHON = '/usr/bin/python3';
const pythonHas = (modules: string) => existsSync(PYTHON) && spawnSync(PYTHON, ['-c', `import ${modules}`], { stdio: 'ignore' }).status === 0;
const pythonOnnx = pythonHas('onnx');
const pythonTorch = pythonOnnx && pythonHas('torch, torchvision');
const LABELS = 14;

let work: string;
let dir: string;
let onnxBytes: Buffer;
let jsonText: string;
let session: ort.InferenceSession;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'chexdesk-demo-'));
  dir = join(work, 'demo');
  await writeDemoModel(dir);
  onnxBytes = await readFile(join(dir, 'model.onnx'));
  jsonText = await readFile(join(dir, 'model.json'), 'utf8');
  session = await ort.InferenceSession.create(onnxBytes);
});

after(async () => {
  await session?.release();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Held-out images: the generator's kind of image, but a seed the calibration never saw. */
function heldOutImages(count: number): Float32Array {
  return syntheticChestBatch(new SeededRandom(424242), count, 224);
}

async function infer(batch: Float32Array, n: number): Promise<{ probabilities: Float32Array; cam: ort.Tensor }> {
  const out = await session.run({ input: new ort.Tensor('float32', batch, [n, 3, 224, 224]) });
  return { probabilities: out.probabilities!.data as Float32Array, cam: out.cam! };
}

test('model.json is a valid manifest of an UNTRAINED model with the default labels and the onnx sha256', () => {
  const raw = JSON.parse(jsonText) as Record<string, unknown> & { provenance: Record<string, unknown> };
  const manifest = parseManifest(raw, 'model.json');
  assert.equal(manifest.trained, false);
  assert.match(manifest.name, /UNTRAINED/);
  const template = JSON.parse(readFileSync(join(ROOT, 'assets', 'chexnet.model.json'), 'utf8')) as { labels: string[]; preprocess: unknown; input: unknown };
  assert.deepEqual(manifest.labels, template.labels);
  assert.deepEqual(manifest.input, template.input);
  assert.deepEqual(manifest.preprocess, template.preprocess);
  assert.deepEqual(manifest.outputs, { probabilities: 'probabilities', cam: 'cam' });
  assert.equal(raw.provenance.onnxSha256, createHash('sha256').update(onnxBytes).digest('hex'));
  assert.equal(typeof raw.provenance.seed, 'number');
  assert.match(String(raw.provenance.source), /NOT trained/);
});

test('the same seed writes byte-identical files (writing over a demo folder is allowed)', async () => {
  await writeDemoModel(dir);
  assert.ok((await readFile(join(dir, 'model.onnx'))).equals(onnxBytes), 'model.onnx differs between two runs');
  assert.equal(await readFile(join(dir, 'model.json'), 'utf8'), jsonText);
  assert.deepEqual((await readdir(dir)).sort(), ['model.json', 'model.onnx'], 'no temporary files left behind');
});

test('another seed gives other weights but the same graph', async () => {
  const other = await generateDemoModel({ seed: 7 });
  assert.notEqual(other.sha256, createHash('sha256').update(onnxBytes).digest('hex'));
  const a = decodeModel(onnxBytes).graph!;
  const b = decodeModel(other.onnx).graph!;
  assert.deepEqual(b.node.map((n) => n.opType), a.node.map((n) => n.opType));
  assert.deepEqual(b.initializer.map((t) => `${t.name}:${t.dims.join('x')}`), a.initializer.map((t) => `${t.name}:${t.dims.join('x')}`));
  const conv0 = (g: typeof a) => tensorFloats(g.initializer.find((t) => t.name === 'densenet121.features.conv0.weight')!);
  assert.notDeepEqual(conv0(b).slice(0, 8), conv0(a).slice(0, 8));
  assert.equal(other.manifest.provenance?.seed, 7);
});

test('probabilities vary between held-out images, stay within (0.01, 0.99), and do not depend on batch-mates', async () => {
  const n = 8;
  const batch = heldOutImages(n);
  const { probabilities } = await infer(batch, n);
  assert.equal(probabilities.length, n * LABELS);
  for (const p of probabilities) assert.ok(p > 0.01 && p < 0.99, `probability ${p} outside (0.01, 0.99)`);
  const ranges = Array.from({ length: LABELS }, (_, c) => {
    const col = Array.from({ length: n }, (_, i) => probabilities[i * LABELS + c]!);
    return Math.max(...col) - Math.min(...col);
  });
  assert.ok(ranges.every((r) => r > 0.01), `every label should vary between images: ranges ${ranges.map((r) => r.toFixed(3))}`);
  assert.ok(ranges.reduce((a, b) => a + b, 0) / LABELS > 0.1, `mean range across images too small: ${ranges.map((r) => r.toFixed(3))}`);
  // Inference-mode BatchNorm: an image's result is the same alone as in a batch.
  const alone = await infer(batch.slice(3 * 3 * 224 * 224, 4 * 3 * 224 * 224), 1);
  alone.probabilities.forEach((p, c) => assert.ok(Math.abs(p - probabilities[3 * LABELS + c]!) < 1e-5, `label ${c}: ${p} alone vs ${probabilities[3 * LABELS + c]} in batch`));
});

test('cam is [N,14,7,7] and sigmoid(mean(cam) + classifier bias) gives back probabilities', async () => {
  const n = 3;
  const { probabilities, cam } = await infer(heldOutImages(n), n);
  assert.deepEqual(cam.dims, [n, LABELS, 7, 7]);
  const bias = tensorFloats(decodeModel(onnxBytes).graph!.initializer.find((t) => t.name === 'densenet121.classifier.0.bias')!);
  const data = cam.data as Float32Array;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < LABELS; c++) {
      let sum = 0;
      for (let k = 0; k < 49; k++) sum += data[(i * LABELS + c) * 49 + k]!;
      const p = 1 / (1 + Math.exp(-(sum / 49 + bias[c]!)));
      assert.ok(Math.abs(p - probabilities[i * LABELS + c]!) < 1e-5, `image ${i} label ${c}: ${p} from cam vs ${probabilities[i * LABELS + c]}`);
    }
  }
});

test("torchvision's densenet121 with CheXNet's classifier, loaded with these weights, computes the same outputs", { skip: pythonTorch ? false : `needs ${PYTHON} with onnx, torch and torchvision` }, async () => {
  const n = 2;
  const batch = heldOutImages(n);
  const inputFile = join(work, 'input.f32');
  await writeFile(inputFile, new Uint8Array(batch.buffer, batch.byteOffset, batch.byteLength));
  // strict name/shape match against torchvision's own module; only num_batches_tracked (a training
  // counter ONNX has no use for) may be missing.
  const script = `
import sys, json, numpy as np, onnx, torch, torchvision
from onnx import numpy_helper
model_path, input_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
prefix = 'densenet121.'
state = {i.name[len(prefix):]: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in onnx.load(model_path).graph.initializer if i.name.startswith(prefix)}
net = torchvision.models.densenet121()
net.classifier = torch.nn.Sequential(torch.nn.Linear(1024, 14), torch.nn.Sigmoid())
r = net.load_state_dict(state, strict=False)
net.eval()
x = torch.from_numpy(np.fromfile(input_path, dtype=np.float32).reshape(n, 3, 224, 224))
with torch.no_grad():
    p = net(x)
    cam = torch.einsum('ck,nkhw->nchw', net.classifier[0].weight, torch.nn.functional.relu(net.features(x)))
print(json.dumps({'missing': [k for k in r.missing_keys if not k.endswith('num_batches_tracked')], 'unexpected': list(r.unexpected_keys), 'loaded': len(state), 'probabilities': p.flatten().tolist(), 'cam': cam.flatten().tolist()}))
`;
  const r = spawnSync(PYTHON, ['-c', script, join(dir, 'model.onnx'), inputFile, String(n)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  const torchOut = JSON.parse(r.stdout) as { missing: string[]; unexpected: string[]; loaded: number; probabilities: number[]; cam: number[] };
  assert.deepEqual(torchOut.missing, []);
  assert.deepEqual(torchOut.unexpected, []);
  // 120 convs + 121 BatchNorms x 4 + Linear weight and bias.
  assert.equal(torchOut.loaded, 120 + 121 * 4 + 2);
  const ours = await infer(batch, n);
  torchOut.probabilities.forEach((p, i) => assert.ok(Math.abs(p - ours.probabilities[i]!) < 1e-5, `probability ${i}: torch ${p} vs onnx ${ours.probabilities[i]}`));
  const cam = ours.cam.data as Float32Array;
  const scale = Math.max(...torchOut.cam.map(Math.abs));
  torchOut.cam.forEach((v, i) => assert.ok(Math.abs(v - cam[i]!) < 2e-5 * scale, `cam ${i}: torch ${v} vs onnx ${cam[i]}`));
});

test('onnx.checker (Python onnx, full check with shape inference) accepts the demo model and infers its output shapes', { skip: pythonOnnx ? false : `needs ${PYTHON} with onnx` }, () => {
  const script = `
import sys, onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
inferred = onnx.shape_inference.infer_shapes(m)
print(';'.join(o.name + ':' + ','.join(d.dim_param or str(d.dim_value) for d in o.type.tensor_type.shape.dim) for o in inferred.graph.output))
`;
  const r = spawnSync(PYTHON, ['-c', script, join(dir, 'model.onnx')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'probabilities:batch,14;cam:batch,14,7,7');
});

test('refuses a folder holding other files, a trained model, or a file; writes nothing there', async () => {
  const busy = join(work, 'busy');
  await mkdir(busy);
  await writeFile(join(busy, 'notes.txt'), 'mine');
  await assert.rejects(writeDemoModel(busy), (e: unknown) => e instanceof CheXDeskError && e.code === 'InvalidArgument' && /not a model folder/.test(e.reason) && e.file === busy);
  assert.deepEqual(await readdir(busy), ['notes.txt']);

  const trained = join(work, 'trained');
  await mkdir(trained);
  await writeFile(join(trained, 'model.json'), readFileSync(join(ROOT, 'assets', 'chexnet.model.json')));
  await assert.rejects(writeDemoModel(trained), (e: unknown) => e instanceof CheXDeskError && /--force/.test(e.reason));
  assert.deepEqual(await readdir(trained), ['model.json']);

  await assert.rejects(writeDemoModel(join(busy, 'notes.txt')), (e: unknown) => e instanceof CheXDeskError && /not a folder/.test(e.reason));
});

function cli(...args: string[]) {
  // A private data folder: without <dir> the demo model is installed into the store there.
  const env = { ...process.env, CHEXDESK_HOME: join(work, 'home') };
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'main', 'cli', 'index.ts'), 'demo-model', ...args], { cwd: ROOT, encoding: 'utf8', env });
}

test('chexdesk demo-model: usage errors exit 1, a refused folder exits 2, success prints the folder and the UNTRAINED warning', async () => {
  assert.equal(cli('--seed', '3').status, 1, '--seed without <dir>');
  assert.equal(cli('--seed', 'x', join(work, 'x')).status, 1);
  assert.equal(cli(join(work, 'a'), join(work, 'b')).status, 1);
  const help = cli('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--force/);

  const refused = cli(join(work, 'busy'));
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /not a model folder/);

  const target = join(work, 'cli-written');
  const ok = cli(target);
  assert.equal(ok.status, 0, ok.stderr);
  assert.ok(ok.stdout.includes(target), ok.stdout);
  assert.match(ok.stderr, /UNTRAINED.*not findings/);
  assert.equal(ok.stderr.trim().split('\n').length, 1);
  // A separate process with the default seed writes the same bytes.
  assert.ok((await readFile(join(target, 'model.onnx'))).equals(onnxBytes));

  const forced = cli(join(work, 'busy'), '--force', '--seed', '3');
  assert.equal(forced.status, 0, forced.stderr);
  assert.deepEqual((await readdir(join(work, 'busy'))).sort(), ['model.json', 'model.onnx', 'notes.txt']);
});

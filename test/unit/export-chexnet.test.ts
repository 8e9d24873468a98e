/**
 * tools/export-chexnet.py end to end: test/support/torch-checkpoints.py saves one set of random
 * DenseNet121 weights in every form CheXNet checkpoints come in (arnoweng's legacy DataParallel
 * model.pth.tar, a bare state_dict, whole pickled models in both serialisations) together with
 * PyTorch's own outputs on a [2, 3, 224, 224] tensor; each export is loaded with our session/infer and
 * must give PyTorch's probabilities within 1e-5. Then the files the exporter must refuse.
 *
 * Needs Debian's /usr/bin/python3 with python3-torch, python3-torchvision, python3-onnx and
 * python3-pil (CI installs them, .ci/run); without them the suite is skipped with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseManifest } from '../../main/model/manifest';
import { loadModel, releaseModel } from '../../main/model/session';
import { infer } from '../../main/model/predict';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PYTHON = '/usr/bin/python3';
const EXPORTER = join(ROOT, 'tools', 'export-chexnet.py');
const HELPER = join(ROOT, 'test', 'support', 'torch-checkpoints.py');
const TOLERANCE = 1e-5;

function torchMissing(): false | string {
  const r = spawnSync(PYTHON, ['-c', 'import torch, torchvision, onnx, PIL'], { encoding: 'utf8' });
  if (r.status === 0) return false;
  return `needs ${PYTHON} with python3-torch, python3-torchvision, python3-onnx, python3-pil (${(r.error?.message ?? r.stderr).trim().split('\n').pop()}); CI installs them`;
}

interface Reference {
  torch: string;
  inputShape: number[];
  probabilities: number[][];
  cam: number[][][][];
  missingKey: string;
  unexpectedKey: string;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function exportChexnet(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(PYTHON, [EXPORTER, ...args], { encoding: 'utf8', timeout: 600_000, env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

const skip = torchMissing();

test('tools/export-chexnet.py', { skip }, async (t) => {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'chexdesk-export-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ck = join(dir, 'checkpoints');
  const built = spawnSync(PYTHON, [HELPER, ck], { encoding: 'utf8', timeout: 600_000 });
  assert.equal(built.status, 0, `torch-checkpoints.py failed: ${built.stderr}`);

  const reference = JSON.parse(readFileSync(join(ck, 'reference.json'), 'utf8')) as Reference;
  const raw = readFileSync(join(ck, 'input.f32'));
  const input = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  assert.deepEqual(reference.inputShape, [2, 3, 224, 224]);
  assert.equal(input.length, 2 * 3 * 224 * 224);
  const refProbabilities = reference.probabilities.flat();
  const refCam = reference.cam.flat(3);
  // The comparison only means something if the probabilities are not all pinned at 0 or 1.
  assert.ok(refProbabilities.filter((p) => p > 0.05 && p < 0.95).length >= 10, `reference probabilities saturated: ${refProbabilities}`);

  const template = JSON.parse(readFileSync(join(ROOT, 'assets', 'chexnet.model.json'), 'utf8')) as Record<string, unknown>;

  const forms: Array<{ file: string; form: RegExp }> = [
    { file: 'arnoweng-legacy.pth.tar', form: /'state_dict'.*prefix 'module\.densenet121\.' removed, 580 legacy layer names renamed/ },
    { file: 'state-dict.pth', form: /^a state_dict \(plain Linear classifier\)$/ },
    { file: 'whole-model.pth', form: /whole pickled model \(torch\.nn\.parallel\.data_parallel\.DataParallel\).*prefix 'module\.densenet121\.'/ },
    { file: 'whole-model-legacy.pth', form: /whole pickled model \(__main__\.DenseNet121\).*prefix 'densenet121\.'/ },
  ];
  // Sequential on purpose: each export uses both cores for a while.
  for (const { file, form } of forms) {
    await t.test(`exports ${file} and the TypeScript pipeline reproduces PyTorch within ${TOLERANCE}`, async () => {
      const out = join(dir, `model-${file}`);
      const run = exportChexnet([join(ck, file), out]);
      assert.equal(run.status, 0, `exit ${run.status}: ${run.stderr}`);
      assert.equal(run.stderr, '', 'nothing on stderr on success');
      assert.deepEqual(readdirSync(out).sort(), ['model.json', 'model.onnx']);

      const manifestPath = join(out, 'model.json');
      const json = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
      const manifest = parseManifest(json, manifestPath);
      assert.equal(manifest.trained, true);
      assert.deepEqual(manifest.labels, template.labels);
      assert.deepEqual(json.preprocess, template.preprocess);
      assert.deepEqual(manifest.input, { name: 'input', channels: 3, size: 224 });
      assert.deepEqual(manifest.outputs, { probabilities: 'probabilities', cam: 'cam' });
      const prov = manifest.provenance as Record<string, unknown>;
      assert.equal(prov.checkpoint, file);
      assert.equal(prov.checkpointSha256, sha256(join(ck, file)));
      assert.equal(prov.onnxSha256, sha256(join(out, 'model.onnx')));
      assert.equal(prov.torch, reference.torch);
      assert.match(String(prov.checkpointForm), form);
      assert.ok(Math.abs(Date.parse(String(prov.exportedAt)) - Date.now()) < 3_600_000, `exportedAt ${String(prov.exportedAt)}`);
      const check = prov.check as Record<string, unknown>;
      assert.match(String(check.runtime), /^onnxruntime-node \d/);
      assert.ok(Number(check.maxAbsDiffProbabilities) <= TOLERANCE);

      const model = await loadModel(out, { threads: 2 });
      try {
        assert.equal(model.fixedBatch, null, 'dynamic batch');
        assert.deepEqual(model.camGrid, [7, 7]);
        const result = await infer(model, input, reference.inputShape, { cam: true });
        assert.equal(result.rows, 2);
        const dp = maxAbsDiff(result.probabilities, refProbabilities);
        t.diagnostic(`${file}: largest probability difference from PyTorch ${dp.toExponential(2)}`);
        assert.ok(dp <= TOLERANCE, `probabilities differ from PyTorch by ${dp}`);
        assert.deepEqual(result.camDims, [2, 14, 7, 7]);
        const camScale = Math.max(1, ...refCam.map(Math.abs));
        const dc = maxAbsDiff(result.cam!, refCam);
        assert.ok(dc <= 1e-4 * camScale, `CAM differs from PyTorch by ${dc} (largest |value| ${camScale})`);
      } finally {
        await releaseModel(model);
      }
    });
  }

  const refusals: Array<{ file: string; reason: RegExp }> = [
    { file: 'missing-key.pth', reason: new RegExp(`1 weight\\(s\\) missing: ${reference.missingKey.replaceAll('.', '\\.')}$`) },
    { file: 'unexpected-key.pth', reason: new RegExp(`1 unexpected key\\(s\\): ${reference.unexpectedKey.replaceAll('.', '\\.')}$`) },
    { file: 'fifteen-classes.pth', reason: /classifier has 15 outputs, CheXNet has 14/ },
    { file: 'not-a-checkpoint.txt', reason: /not-a-checkpoint\.txt is a text file, not a PyTorch checkpoint/ },
    { file: 'chest.png', reason: /chest\.png is a PNG image, not a PyTorch checkpoint/ },
    { file: 'evil.pth', reason: /evil\.pth holds a dict without weights \(its keys: epoch, payload\)/ },
  ];
  for (const { file, reason } of refusals) {
    await t.test(`refuses ${file} with one clear line`, () => {
      const out = join(dir, `refused-${file}`);
      const marker = join(dir, `payload-ran-${file}`);
      const run = exportChexnet([join(ck, file), out], { CHEXDESK_PWNED: marker });
      assert.equal(run.status, 2, `exit ${run.status}; stderr: ${run.stderr}`);
      const lines = run.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
      assert.match(lines[0]!, /^export-chexnet: /);
      assert.match(lines[0]!, reason);
      assert.ok(!existsSync(out), 'no output folder');
      assert.ok(!existsSync(marker), 'the checkpoint ran code while being read');
    });
  }

  await t.test('--debug adds the traceback', () => {
    const run = exportChexnet([join(ck, 'fifteen-classes.pth'), join(dir, 'refused-debug'), '--debug']);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /Traceback/);
    assert.match(run.stderr, /classifier has 15 outputs, CheXNet has 14/);
  });

  await t.test('refuses a non-empty output folder before reading the checkpoint', () => {
    const out = join(dir, 'occupied');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    const run = exportChexnet([join(ck, 'state-dict.pth'), out]);
    assert.equal(run.status, 2);
    assert.match(run.stderr.trim(), /^export-chexnet: .*occupied is not empty \(pass --force/);
    assert.deepEqual(readdirSync(out), ['notes.txt']);
    assert.equal(run.stdout, '');
  });

  await t.test('usage errors exit 1', () => {
    const run = exportChexnet([join(ck, 'state-dict.pth')]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /usage: python3 tools\/export-chexnet\.py CHECKPOINT OUT_DIR/);
  });

  await t.test('leaves no staging folders behind', () => {
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.export-chexnet-')), []);
  });

  t.diagnostic(`export-chexnet suite: ${((performance.now() - started) / 1000).toFixed(1)} s for ${forms.length} exports, ${refusals.length + 3} refusals (${basename(dir)})`);
});

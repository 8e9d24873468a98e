/**
 * tools/export-chexnet.py against an export made independently of it: ../shared/reference holds the
 * stand-in's PyTorch state_dict and ../shared/models/chexnet-standin its ONNX file (the same weights,
 * exported by the fixture's author). Our export of that state_dict must compute what their model.onnx
 * computes, with the stand-in's label order and preprocessing.
 *
 * Needs ../shared and Debian's /usr/bin/python3 with python3-torch, python3-torchvision and
 * python3-onnx; skipped with the reason when either is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { infer } from '../../main/model/predict';
import { loadModel, releaseModel } from '../../main/model/session';
import { sharedPath, skipWithoutShared } from '../support/shared';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PYTHON = '/usr/bin/python3';

function torchMissing(): false | string {
  const r = spawnSync(PYTHON, ['-c', 'import torch, torchvision, onnx'], { encoding: 'utf8' });
  return r.status === 0 ? false : `needs ${PYTHON} with python3-torch, python3-torchvision, python3-onnx; CI installs them`;
}

const skip = skipWithoutShared || torchMissing();

test('export-chexnet: the stand-in state_dict exports to what ../shared/models/chexnet-standin computes', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'chexdesk-export-standin-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'standin');
  const run = spawnSync(PYTHON, [join(ROOT, 'tools', 'export-chexnet.py'), sharedPath('reference', 'standin-torch-state-dict.pt'), out, '--name', 'stand-in re-export'], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  assert.equal(run.status, 0, run.stderr);

  const ours = await loadModel(out, { threads: 2 });
  const theirs = await loadModel(sharedPath('models', 'chexnet-standin'), { threads: 2 });
  try {
    assert.deepEqual(ours.manifest.labels, theirs.manifest.labels);
    assert.deepEqual(ours.manifest.preprocess, theirs.manifest.preprocess);
    assert.deepEqual(ours.manifest.input, theirs.manifest.input);
    assert.equal(ours.manifest.name, 'stand-in re-export');

    // Chest X-rays: the stand-in's BatchNorm statistics come from them, and on noise most of its
    // probabilities sit at 0 or 1, where a difference would not show.
    const images = ['00000001_000.png', '00000129_000.png', 'covid-19-pneumonia-2.jpg'];
    const n = images.length;
    const input = new Float32Array(n * 3 * 224 * 224);
    const { mean, std } = ours.manifest.preprocess;
    for (const [i, name] of images.entries()) {
      // Any resize will do: both models get the same tensor.
      const gray = await sharp(sharedPath('fixtures', 'cxr', name)).greyscale().resize(224, 224, { fit: 'cover' }).raw().toBuffer();
      assert.equal(gray.length, 224 * 224);
      for (let c = 0; c < 3; c++) {
        const plane = input.subarray((i * 3 + c) * 224 * 224, (i * 3 + c + 1) * 224 * 224);
        for (let p = 0; p < plane.length; p++) plane[p] = (gray[p]! / 255 - mean[c]!) / std[c]!;
      }
    }
    const a = await infer(ours, input, [n, 3, 224, 224], { cam: true });
    const b = await infer(theirs, input, [n, 3, 224, 224], { cam: true });
    let dp = 0;
    for (let i = 0; i < a.probabilities.length; i++) dp = Math.max(dp, Math.abs(a.probabilities[i]! - b.probabilities[i]!));
    const varied = [...b.probabilities].filter((p) => p > 0.02 && p < 0.98).length;
    t.diagnostic(`largest probability difference from the shared stand-in ONNX: ${dp.toExponential(2)} (${varied} of ${b.probabilities.length} probabilities between 0.02 and 0.98)`);
    assert.ok(varied >= 10, 'the stand-in is saturated on these inputs, so the comparison would prove little');
    assert.ok(dp <= 1e-5, `probabilities differ by ${dp}`);
    assert.deepEqual(a.camDims, b.camDims);
    let dc = 0;
    let scale = 1;
    for (let i = 0; i < a.cam!.length; i++) {
      dc = Math.max(dc, Math.abs(a.cam![i]! - b.cam![i]!));
      scale = Math.max(scale, Math.abs(b.cam![i]!));
    }
    assert.ok(dc <= 1e-4 * scale, `CAM differs by ${dc} (largest |value| ${scale})`);
  } finally {
    await releaseModel(ours);
    await releaseModel(theirs);
  }
});

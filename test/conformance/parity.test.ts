// The proof: the stand-in model run through our whole pipeline (sharp decode, Pillow-exact resize,
// crops, normalisation, onnxruntime-node) on the 12 shared images, in both modes, against the
// PyTorch reference probabilities (../shared/reference/standin-probabilities.tsv, 6 decimals).
// Bound: 0.005 on any probability; the measured figure is printed per mode (our goal: <= 0.001).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openRaster, sniffRaster } from '../../main/raster/open-raster';
import { render8 } from '../../main/image/render8';
import { loadModel, releaseAllModels, type LoadedModel } from '../../main/model/session';
import { predict } from '../../main/model/predict';
import type { Image8 } from '../../main/image/types';
import { parseTsv, sharedPath, skipWithoutShared } from '../support/shared';

const BOUND = 0.005;

after(() => releaseAllModels());

async function decodeShared(name: string): Promise<Image8> {
  const path = sharedPath('fixtures', 'cxr', name);
  const bytes = new Uint8Array(readFileSync(path));
  const opened = await openRaster(bytes, path, sniffRaster(bytes)!);
  return render8(await opened.frame(0));
}

for (const mode of ['center', 'tencrop'] as const) {
  test(`stand-in probabilities equal the PyTorch reference within ${BOUND} (${mode})`, { skip: skipWithoutShared }, async (t) => {
    const reference = parseTsv(readFileSync(sharedPath('reference', 'standin-probabilities.tsv'), 'utf8')).filter((r) => r.mode === mode);
    const sizes = parseTsv(readFileSync(sharedPath('reference', 'images.tsv'), 'utf8'));
    assert.equal(reference.length, 12);
    const model: LoadedModel = await loadModel(sharedPath('models', 'chexnet-standin'));
    let worst = { diff: 0, image: '', label: '' };
    for (const row of reference) {
      const image = await decodeShared(row.image!);
      const p = await predict(model, image, mode, { cam: true });
      const size = sizes.find((s) => s.image === row.image)!;
      assert.deepEqual(p.cam?.geometry.resized, { width: Number(size.resized_width), height: Number(size.resized_height) }, `${row.image}: Resize(256) size`);
      assert.equal(p.cam?.geometry.crops.length, mode === 'tencrop' ? 10 : 1);
      let imageWorst = 0;
      model.manifest.labels.forEach((label, i) => {
        const want = Number(row[label]);
        assert.ok(Number.isFinite(want), `${row.image}: no reference value for ${label}`);
        const diff = Math.abs(p.probabilities[i]! - want);
        imageWorst = Math.max(imageWorst, diff);
        if (diff > worst.diff) worst = { diff, image: row.image!, label };
      });
      t.diagnostic(`${mode} ${row.image}: max |diff| ${imageWorst.toExponential(2)}`);
    }
    const summary = `${mode}: max |diff| over 12 images x 14 labels = ${worst.diff.toExponential(3)} (${worst.image}, ${worst.label}); bound ${BOUND}`;
    t.diagnostic(summary);
    assert.ok(worst.diff <= BOUND, summary);
  });
}

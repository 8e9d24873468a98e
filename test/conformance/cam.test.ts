// Class activation maps: (1) the model's center-mode 7x7 CAMs of the 12 shared images against torch's
// (../shared/reference/standin-cam-center.tsv); (2) the mapping back onto the image, on maps and crop
// boxes written by hand for a 1036x885 image (Resize(256) -> 299x256, center crop at left 38, top 16,
// TenCrop corners at left 0/75, top 0/32), with every expected value derived by hand.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openRaster, sniffRaster } from '../../main/raster/open-raster';
import { render8 } from '../../main/image/render8';
import { loadModel, releaseAllModels } from '../../main/model/session';
import { predict, type RawCam } from '../../main/model/predict';
import { camHeatmap, type CamHeatmap } from '../../main/model/cam';
import type { CropBox, Geometry } from '../../main/preprocess/geometry';
import { parseTsv, sharedPath, skipWithoutShared } from '../support/shared';

after(() => releaseAllModels());

const CAM_BOUND = 1e-3;

test(`center-mode CAMs of the shared images equal torch's within ${CAM_BOUND}`, { skip: skipWithoutShared }, async (t) => {
  const reference = parseTsv(readFileSync(sharedPath('reference', 'standin-cam-center.tsv'), 'utf8'));
  const model = await loadModel(sharedPath('models', 'chexnet-standin'));
  const images = [...new Set(reference.map((r) => r.image!))];
  assert.equal(images.length, 12);
  let worst = 0;
  let largest = 0;
  for (const name of images) {
    const path = sharedPath('fixtures', 'cxr', name);
    const bytes = new Uint8Array(readFileSync(path));
    const image = render8(await (await openRaster(bytes, path, sniffRaster(bytes)!)).frame(0));
    const { cam } = await predict(model, image, 'center', { cam: true });
    assert.ok(cam, 'the stand-in names a CAM output');
    assert.deepEqual(cam.dims, [1, 14, 7, 7]);
    for (const row of reference.filter((r) => r.image === name)) {
      const l = model.manifest.labels.indexOf(row.label!);
      assert.ok(l >= 0, `unknown label ${row.label}`);
      for (let r = 0; r < 7; r++) {
        for (let c = 0; c < 7; c++) {
          const want = Number(row[`r${r}c${c}`]);
          worst = Math.max(worst, Math.abs(cam.data[l * 49 + r * 7 + c]! - want));
          largest = Math.max(largest, Math.abs(want));
        }
      }
    }
  }
  t.diagnostic(`center CAM: max |diff| = ${worst.toExponential(3)} over 12 images x 14 labels x 49 cells (values up to ${largest.toFixed(2)})`);
  assert.ok(worst <= CAM_BOUND, `max |diff| ${worst}`);
});

// ── Mapping onto the image, on hand-made maps ───────────────────────────────────────────────────

const ORIGINAL = { width: 1036, height: 885 };
const RESIZED = { width: 299, height: 256 };
const box = (left: number, top: number, flipped: boolean): CropBox => ({ left, top, size: 224, flipped });
const CENTER: Geometry = { mode: 'center', original: ORIGINAL, resized: RESIZED, crop: 224, crops: [box(38, 16, false)] };
const TEN: Geometry = {
  mode: 'tencrop',
  original: ORIGINAL,
  resized: RESIZED,
  crop: 224,
  crops: [box(0, 0, false), box(75, 0, false), box(0, 32, false), box(75, 32, false), box(38, 16, false), box(0, 0, true), box(75, 0, true), box(0, 32, true), box(75, 32, true), box(38, 16, true)],
};

/** A [crops, 3 labels, 7, 7] CAM filled by value(crop, label, row, col). */
function rawCam(geometry: Geometry, value: (k: number, l: number, r: number, c: number) => number): RawCam {
  const crops = geometry.crops.length;
  const data = new Float32Array(crops * 3 * 49);
  for (let k = 0; k < crops; k++) for (let l = 0; l < 3; l++) for (let r = 0; r < 7; r++) for (let c = 0; c < 7; c++) data[((k * 3 + l) * 7 + r) * 7 + c] = value(k, l, r, c);
  return { data, dims: [crops, 3, 7, 7], geometry };
}

const at = (m: CamHeatmap, x: number, y: number): number => m.data[y * m.width + x]!;

test('center mode: a hot top-left cell lands on the top-left of the crop region, outside is NaN', () => {
  const map = camHeatmap(rawCam(CENTER, (_k, l, r, c) => (l === 1 && r === 0 && c === 0 ? 1 : 0)), 1);
  assert.deepEqual([map.width, map.height], [1036, 885]);
  assert.deepEqual([map.min, map.max], [0, 1]);
  // The crop covers resized x in [38, 262), y in [16, 240): original x in [131.7, 907.8), y in [55.3, 829.7).
  assert.ok(Number.isNaN(at(map, 131, 400)), 'left of the crop');
  assert.ok(!Number.isNaN(at(map, 132, 400)), 'just inside the crop');
  assert.ok(Number.isNaN(at(map, 908, 400)), 'right of the crop');
  assert.ok(!Number.isNaN(at(map, 907, 400)));
  // Pixel centres: row 54 at 54.5 -> resized 15.8 (outside), row 55 at 55.5 -> resized 16.05 (inside).
  assert.ok(Number.isNaN(at(map, 500, 54)), 'above the crop');
  assert.ok(!Number.isNaN(at(map, 500, 55)));
  assert.ok(Number.isNaN(at(map, 500, 830)), 'below the crop');
  // Pixel (140, 60) sits at crop (2.4, 1.4), before the first cell centre (16, 16): the cell's value.
  assert.equal(at(map, 140, 60), 1);
  // Halfway between the centres of cells (0, 0) and (0, 1): crop x = 32 = resized 70 = original 242.6
  // (pixel 242's centre is at crop x 31.99), row at crop y 16 = original 110.6.
  assert.ok(Math.abs(at(map, 242, 110) - 0.5) < 0.01, `${at(map, 242, 110)}`);
  // The centre of cell (1, 1) (crop 48, 48 = original 297.9, 221.2) and the image centre: cold.
  assert.ok(at(map, 298, 221) < 0.01);
  assert.equal(at(map, 518, 442), 0);
  // Everything hot is in the top-left cell's neighbourhood: resized x < 38 + 48, y < 16 + 48.
  for (let y = 0; y < map.height; y++) {
    for (let x = 0; x < map.width; x++) {
      const v = at(map, x, y);
      if (v > 0) assert.ok(x < (86 * 1036) / 299 && y < (64 * 885) / 256, `heat at (${x}, ${y})`);
    }
  }
});

test('TenCrop: the mirrored crops are mirrored back (crop 5, the mirrored top-left, is hot in its top-left cell: that is the top-RIGHT of the image)', () => {
  // Only crop index 5 (the mirrored image's top-left crop) is hot, in its cell (0, 0). That crop is the
  // original's top-right crop mirrored: its cell (0, 0) covers resized x in [267, 299), y in [0, 32).
  const map = camHeatmap(rawCam(TEN, (k, _l, r, c) => (k === 5 && r === 0 && c === 0 ? 1 : 0)), 0);
  // The top-right corner is covered by crops 1 (top-right) and 5 (mirrored top-left): mean (0 + 1) / 2.
  assert.equal(at(map, 1035, 0), 0.5);
  assert.equal(at(map, 0, 0), 0, 'not at the top-left, where an unmirrored placement would put it');
  for (let y = 0; y < map.height; y++) {
    for (let x = 0; x < map.width; x++) {
      if (at(map, x, y) > 0) assert.ok(x >= (251 * 1036) / 299 && y < (48 * 885) / 256, `heat at (${x}, ${y})`);
    }
  }
});

test('TenCrop: each point is the mean over exactly the crops that cover it', () => {
  // Crop k's map is the constant k. Top-left corner: crops 0 (top-left) and 6 (mirrored top-right, which
  // covers resized x in [0, 224)) -> 3. Top-right corner: 1 and 5 -> 3. Bottom-left: 2 and 8 -> 5.
  // Bottom-right: 3 and 7 -> 5. The image centre: all ten -> 4.5. Left edge, middle row (resized y 128):
  // 0, 2, 6, 8 (the centre crop starts at x 38) -> 4.
  // The mirrored centre crop (left 38 in the mirror image) covers resized x in [299 - 38 - 224, 299 - 38)
  // = [37, 261), one column left of the centre crop's [38, 262). So resized x in [37, 38) with y in
  // [224, 240) is covered by 2, 8 and 9 only: 19 / 3, the largest mean anywhere. Original pixel 129
  // (centre 129.5 -> resized 37.38), row 795 (795.5 -> resized 230.1).
  const map = camHeatmap(rawCam(TEN, (k) => k), 2);
  assert.equal(at(map, 0, 0), 3);
  assert.equal(at(map, 1035, 0), 3);
  assert.equal(at(map, 0, 884), 5);
  assert.equal(at(map, 1035, 884), 5);
  assert.equal(at(map, 518, 442), 4.5);
  assert.equal(at(map, 0, 442), 4);
  assert.equal(at(map, 129, 795), Math.fround(19 / 3));
  // Pixel 132 (centre 132.5 -> resized 38.24) is inside the centre crop too: 2, 4, 8, 9 -> 5.75.
  assert.equal(at(map, 132, 795), 5.75);
  assert.deepEqual([map.min, map.max], [3, Math.fround(19 / 3)]);
  assert.ok(map.data.every((v) => !Number.isNaN(v)), 'TenCrop covers the whole image');
});

test('maxSide: a smaller grid of the same aspect, the same places', () => {
  const cam = rawCam(CENTER, (_k, _l, r, c) => (r === 0 && c === 0 ? 1 : 0));
  const small = camHeatmap(cam, 0, { maxSide: 256 });
  // 1036x885 scaled by 256/1036: 256 x round(218.69) = 219.
  assert.deepEqual([small.width, small.height], [256, 219]);
  // Original (140, 60) -> (34.6, 14.8) on this grid; the crop's left edge, original x 131.7 -> 32.5.
  assert.equal(at(small, 35, 15), 1);
  assert.ok(Number.isNaN(at(small, 32, 100)));
  assert.ok(!Number.isNaN(at(small, 33, 100)));
  const same = camHeatmap(cam, 0, { maxSide: 5000 });
  assert.deepEqual([same.width, same.height], [1036, 885]);
});

test('camHeatmap refuses a label index or data that do not fit', () => {
  const cam = rawCam(CENTER, () => 0);
  assert.throws(() => camHeatmap(cam, 3), { name: 'InvalidArgument' });
  assert.throws(() => camHeatmap({ ...cam, data: cam.data.subarray(1) }, 0), { name: 'InvalidArgument' });
  assert.throws(() => camHeatmap({ ...cam, geometry: TEN }, 0), { name: 'InvalidArgument' });
});

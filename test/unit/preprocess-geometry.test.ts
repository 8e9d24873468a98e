// Resize size, CenterCrop and TenCrop boxes, against values derived by hand from torchvision 0.14's
// code (Resize(int): int(256 * long / short); CenterCrop: int(round((H - 224) / 2)) with Python's
// half-to-even round; five_crop/ten_crop order) and the reference README's examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  centerCropBox,
  cropColumnToResized,
  cropGeometry,
  cropToResizedX,
  pyRound,
  resizedSize,
  resizedToCropX,
  tenCropBoxes,
} from '../../main/preprocess/geometry';

test('resizedSize: the README examples and the shared images', () => {
  assert.deepEqual(resizedSize(1036, 885, 256), { width: 299, height: 256 }); // 256*1036/885 = 299.69
  assert.deepEqual(resizedSize(328, 237, 256), { width: 354, height: 256 }); // 354.29, upscaling
  assert.deepEqual(resizedSize(999, 816, 256), { width: 313, height: 256 }); // 313.41
  assert.deepEqual(resizedSize(1446, 1262, 256), { width: 293, height: 256 }); // 293.32
  assert.deepEqual(resizedSize(1294, 1022, 256), { width: 324, height: 256 }); // 324.13
  assert.deepEqual(resizedSize(1024, 1024, 256), { width: 256, height: 256 });
  assert.deepEqual(resizedSize(955, 954, 256), { width: 256, height: 256 }); // 256.27 truncates to 256
});

test('resizedSize: portrait images keep the width as the short side; truncation, not rounding', () => {
  assert.deepEqual(resizedSize(885, 1036, 256), { width: 256, height: 299 });
  assert.deepEqual(resizedSize(3, 5, 256), { width: 256, height: 426 }); // 426.67 -> 426
  assert.deepEqual(resizedSize(100, 300, 10), { width: 10, height: 30 });
  assert.throws(() => resizedSize(0, 10, 256));
});

test("pyRound rounds halves to even, like Python 3's round()", () => {
  assert.equal(pyRound(37.5), 38);
  assert.equal(pyRound(44.5), 44);
  assert.equal(pyRound(0.5), 0);
  assert.equal(pyRound(1.5), 2);
  assert.equal(pyRound(2.5), 2);
  assert.equal(pyRound(16), 16);
  assert.equal(pyRound(65.0), 65);
  assert.equal(pyRound(2.4999), 2);
  assert.equal(pyRound(2.5001), 3);
});

test('centerCropBox: offsets of the shared images', () => {
  // W = 299: (299 - 224) / 2 = 37.5 -> 38; W = 313: 44.5 -> 44; H = 256: 16.
  assert.deepEqual(centerCropBox({ width: 299, height: 256 }, 224), { left: 38, top: 16, size: 224, flipped: false });
  assert.deepEqual(centerCropBox({ width: 313, height: 256 }, 224), { left: 44, top: 16, size: 224, flipped: false });
  assert.deepEqual(centerCropBox({ width: 354, height: 256 }, 224), { left: 65, top: 16, size: 224, flipped: false });
  assert.deepEqual(centerCropBox({ width: 293, height: 256 }, 224), { left: 34, top: 16, size: 224, flipped: false }); // 34.5 -> 34
  assert.deepEqual(centerCropBox({ width: 256, height: 256 }, 224), { left: 16, top: 16, size: 224, flipped: false });
  assert.deepEqual(centerCropBox({ width: 224, height: 224 }, 224), { left: 0, top: 0, size: 224, flipped: false });
});

test("tenCropBoxes: torchvision's order, the second five from the mirrored image", () => {
  const boxes = tenCropBoxes({ width: 299, height: 256 }, 224);
  const expected = [
    [0, 0, false],
    [75, 0, false],
    [0, 32, false],
    [75, 32, false],
    [38, 16, false],
    [0, 0, true],
    [75, 0, true],
    [0, 32, true],
    [75, 32, true],
    [38, 16, true],
  ];
  assert.deepEqual(
    boxes.map((b) => [b.left, b.top, b.flipped]),
    expected,
  );
  assert.ok(boxes.every((b) => b.size === 224));
});

test('cropGeometry: center = 1 box, tencrop = 10 boxes, sizes recorded', () => {
  const c = cropGeometry(1036, 885, 256, 224, 'center');
  assert.deepEqual(c.original, { width: 1036, height: 885 });
  assert.deepEqual(c.resized, { width: 299, height: 256 });
  assert.equal(c.crops.length, 1);
  assert.equal(c.mode, 'center');
  const t = cropGeometry(1036, 885, 256, 224, 'tencrop');
  assert.equal(t.crops.length, 10);
});

test('mirrored crops: column mapping back to the resized image', () => {
  const W = 299;
  // The mirrored image's top-left crop is the original's top-right crop, mirrored: its column 0 is
  // resized column 298, its column 223 is column 75.
  const flippedTopLeft = { left: 0, top: 0, size: 224, flipped: true };
  assert.equal(cropColumnToResized(flippedTopLeft, W, 0), 298);
  assert.equal(cropColumnToResized(flippedTopLeft, W, 223), 75);
  const flippedTopRight = { left: 75, top: 0, size: 224, flipped: true };
  assert.equal(cropColumnToResized(flippedTopRight, W, 0), 223);
  assert.equal(cropColumnToResized(flippedTopRight, W, 223), 0);
  const plainCenter = { left: 38, top: 16, size: 224, flipped: false };
  assert.equal(cropColumnToResized(plainCenter, W, 0), 38);
  // Continuous coordinates: the centre of crop column 0 (u = 0.5) is the centre of resized column 298.
  assert.equal(cropToResizedX(flippedTopLeft, W, 0.5), 298.5);
  assert.equal(resizedToCropX(flippedTopLeft, W, 298.5), 0.5);
  assert.equal(resizedToCropX(plainCenter, W, 40), 2);
});

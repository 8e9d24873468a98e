// The whole preprocessing (channels, resize, crops, ToTensor, Normalize, NCHW layout) against
// torchvision 0.14 + Pillow 9.4 themselves on images this test generates, float for float; and the
// layout / normalisation / scale on tiny images whose expected values are derived by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preprocess, type PreprocessSpec } from '../../main/preprocess/preprocess';
import { normalizationTables, rgbToGray } from '../../main/preprocess/tensor';
import type { Image8 } from '../../main/image/types';
import { runPython, skipWithoutPillow, skipWithoutTorch } from '../support/pillow';

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

function spec(over: { channels?: 1 | 3; resize?: number; crop?: number; scale?: [number, number]; mean?: number[]; std?: number[] } = {}): PreprocessSpec {
  const crop = over.crop ?? 224;
  return {
    input: { name: 'input', channels: over.channels ?? 3, size: crop },
    preprocess: {
      resize: over.resize ?? 256,
      crop,
      resample: 'pil-bilinear',
      scale: over.scale ?? [0, 1],
      mean: over.mean ?? IMAGENET.mean,
      std: over.std ?? IMAGENET.std,
    },
  };
}

function noiseImage(width: number, height: number, channels: 1 | 3, seed: number): Image8 {
  let state = seed >>> 0;
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    // Smooth structure plus noise, so crops at different places differ.
    const p = Math.floor(i / channels);
    const x = p % width;
    const y = Math.floor(p / width);
    data[i] = (Math.round((x * 200) / width + (y * 55) / height) + (state >>> 28)) & 255;
  }
  return { width, height, channels, data };
}

// The reference pipeline (arnoweng/CheXNet's transforms), parameterised by the manifest's fields.
const TORCH_PIPELINE = `
import sys, torch, torchvision.transforms as T
from PIL import Image
w, h, bands, model_ch, resize, crop = map(int, sys.argv[1:7])
mode = sys.argv[7]
lo, hi = float(sys.argv[8]), float(sys.argv[9])
mean = [float(v) for v in sys.argv[10].split(',')]
std = [float(v) for v in sys.argv[11].split(',')]
im = Image.frombytes('L' if bands == 1 else 'RGB', (w, h), sys.stdin.buffer.read())
im = im.convert('L' if model_ch == 1 else 'RGB')
norm = T.Normalize(mean, std)
def tensor(c):
    x = T.ToTensor()(c)
    if (lo, hi) != (0.0, 1.0):
        x = x * (hi - lo) + lo
    return norm(x)
im = T.Resize(resize)(im)
crops = T.TenCrop(crop)(im) if mode == 'tencrop' else [T.CenterCrop(crop)(im)]
x = torch.stack([tensor(c) for c in crops]).to(torch.float32).contiguous()
sys.stdout.buffer.write(x.numpy().tobytes())
`;

function torchPreprocess(image: Image8, s: PreprocessSpec, mode: 'center' | 'tencrop'): Float32Array {
  const p = s.preprocess;
  const out = runPython(
    TORCH_PIPELINE,
    [image.width, image.height, image.channels, s.input.channels, p.resize, p.crop, mode, p.scale[0], p.scale[1], p.mean.join(','), p.std.join(',')].map(String),
    image.data,
  );
  return new Float32Array(out.buffer, out.byteOffset, out.byteLength / 4);
}

function assertSameFloats(ours: Float32Array, ref: Float32Array, what: string): void {
  assert.equal(ours.length, ref.length, `${what}: length`);
  for (let i = 0; i < ref.length; i++) {
    if (!Object.is(ours[i], ref[i])) assert.fail(`${what}: element ${i} ours ${ours[i]} torchvision ${ref[i]}`);
  }
}

const torchCases: Array<[string, Image8, PreprocessSpec, 'center' | 'tencrop']> = [
  ['RGB landscape, non-integer factor, tencrop', noiseImage(1036, 885, 3, 1), spec(), 'tencrop'],
  ['gray, 4x down, center', noiseImage(1024, 1024, 1, 2), spec(), 'center'],
  ['gray portrait upscaled, tencrop, small sizes', noiseImage(23, 41, 1, 3), spec({ resize: 40, crop: 32 }), 'tencrop'],
  ['RGB odd size, center on a half-pixel offset (round half to even)', noiseImage(75, 64, 3, 4), spec({ resize: 64, crop: 39 }), 'center'],
  ['RGB into a 1-channel model (PIL convert("L") first)', noiseImage(61, 47, 3, 5), spec({ channels: 1, resize: 40, crop: 32, mean: [0.5], std: [0.25] }), 'tencrop'],
  ['gray into a 1-channel model, scale [-1024, 1024], mean 0 std 1', noiseImage(50, 70, 1, 6), spec({ channels: 1, resize: 48, crop: 40, scale: [-1024, 1024], mean: [0], std: [1] }), 'center'],
];

for (const [name, image, s, mode] of torchCases) {
  test(`preprocess equals torchvision + Pillow: ${name}`, { skip: skipWithoutTorch }, () => {
    const ours = preprocess(image, s, mode);
    const crops = mode === 'tencrop' ? 10 : 1;
    assert.deepEqual(ours.dims, [crops, s.input.channels, s.preprocess.crop, s.preprocess.crop]);
    assertSameFloats(ours.tensor, torchPreprocess(image, s, mode), name);
  });
}

test('layout: NCHW, rows then columns, one plane per channel, crops one after another', () => {
  // 4x4 RGB image, resize 4 (no change), crop 2, center at (1, 1); scale [0, 1], mean 0, std 1 so the
  // tensor holds v / 255 in float32 (ToTensor's division).
  const data = new Uint8Array(4 * 4 * 3);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) for (let c = 0; c < 3; c++) data[(y * 4 + x) * 3 + c] = 100 * c + 10 * y + x;
  const s = spec({ resize: 4, crop: 2, mean: [0], std: [1] });
  const { tensor, dims, geometry } = preprocess({ width: 4, height: 4, channels: 3, data }, s, 'center');
  assert.deepEqual(dims, [1, 3, 2, 2]);
  assert.deepEqual(geometry.crops, [{ left: 1, top: 1, size: 2, flipped: false }]);
  const expected = [11, 12, 21, 22, 111, 112, 121, 122, 211, 212, 221, 222].map((v) => Math.fround(v / 255));
  assert.deepEqual([...tensor], expected);
});

test('layout: TenCrop on a 3x2 gray image with crop 2 (corners, center, then mirrored)', () => {
  // Image (resize 2 keeps 3x2): row 0 = 1 2 3, row 1 = 4 5 6. Crops 2x2: TL cols 0-1, TR cols 1-2,
  // BL = TL and BR = TR (height 2), center left round(0.5) = 0. Mirrored image rows: 3 2 1 / 6 5 4.
  const data = new Uint8Array([1, 2, 3, 4, 5, 6]);
  const s = spec({ channels: 1, resize: 2, crop: 2, mean: [0], std: [1] });
  const { tensor, dims } = preprocess({ width: 3, height: 2, channels: 1, data }, s, 'tencrop');
  assert.deepEqual(dims, [10, 1, 2, 2]);
  const crops = [
    [1, 2, 4, 5],
    [2, 3, 5, 6],
    [1, 2, 4, 5],
    [2, 3, 5, 6],
    [1, 2, 4, 5],
    [3, 2, 6, 5],
    [2, 1, 5, 4],
    [3, 2, 6, 5],
    [2, 1, 5, 4],
    [3, 2, 6, 5],
  ];
  assert.deepEqual([...tensor], crops.flat().map((v) => Math.fround(v / 255)));
});

test('a gray image feeds all three channels, each with its own mean/std', () => {
  const data = new Uint8Array(4).fill(255);
  const { tensor } = preprocess({ width: 2, height: 2, channels: 1, data }, spec({ resize: 2, crop: 2 }), 'center');
  // (1 - mean) / std in float32 per channel.
  const want = IMAGENET.mean.map((m, c) => Math.fround(Math.fround(1 - Math.fround(m)) / Math.fround(IMAGENET.std[c]!)));
  assert.deepEqual([...tensor], [want[0], want[0], want[0], want[0], want[1], want[1], want[1], want[1], want[2], want[2], want[2], want[2]]);
  assert.ok(Math.abs(want[0]! - 2.2489083) < 1e-6); // (1 - 0.485) / 0.229
});

test('scale [-1024, 1024] with mean 0 and std 1: 0 -> -1024, 255 -> 1024, 51 -> -614.4', () => {
  const [table] = normalizationTables({ scale: [-1024, 1024], mean: [0], std: [1] }, 1);
  assert.equal(table![0], -1024);
  assert.equal(table![255], 1024);
  assert.ok(Math.abs(table![51]! - -614.4) < 1e-4);
  assert.equal(table![51], Math.fround(-614.4));
});

test('scale [0, 1] with ImageNet stats: the README formula at 0 and 255', () => {
  const tables = normalizationTables({ scale: [0, 1], ...IMAGENET }, 3);
  assert.ok(Math.abs(tables[0]![0]! - -0.485 / 0.229) < 1e-6);
  assert.ok(Math.abs(tables[2]![255]! - (1 - 0.406) / 0.225) < 1e-6);
});

test('rgbToGray equals PIL convert("L")', { skip: skipWithoutPillow }, () => {
  const pixels = 4096;
  const rgb = new Uint8Array(pixels * 3);
  let state = 9;
  for (let i = 0; i < rgb.length; i++) rgb[i] = (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) >>> 24;
  // Include the rounding edge cases: pure channels at 1 and the extremes.
  rgb.set([0, 1, 0, 1, 0, 0, 0, 0, 1, 255, 255, 255, 255, 0, 1, 128, 128, 0], 0);
  const pil = runPython(`import sys\nfrom PIL import Image\nsys.stdout.buffer.write(Image.frombytes('RGB', (${pixels}, 1), sys.stdin.buffer.read()).convert('L').tobytes())`, [], rgb);
  assert.deepEqual(rgbToGray(rgb, pixels), new Uint8Array(pil));
  assert.deepEqual([...rgbToGray(rgb, 6)], [1, 0, 0, 255, 76, 113]);
});

test('preprocess refuses images whose data does not fit their size', () => {
  assert.throws(() => preprocess({ width: 3, height: 3, channels: 1, data: new Uint8Array(8) }, spec(), 'center'), { name: 'InvalidArgument' });
  assert.throws(() => preprocess({ width: 0, height: 3, channels: 1, data: new Uint8Array(0) }, spec(), 'center'), { name: 'InvalidArgument' });
});

test('preprocess refuses an aspect ratio that would make a gigantic resized image', () => {
  assert.throws(() => preprocess({ width: 1, height: 2000, channels: 1, data: new Uint8Array(2000) }, spec(), 'center'), { name: 'UnsupportedImage' });
});

// The Pillow BILINEAR port against Pillow itself (Debian's Pillow 9.4 via /usr/bin/python3) on images
// this test generates: every output byte must be equal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pilResizeBilinear } from '../../main/preprocess/pil-resize';
import { runPython, skipWithoutPillow } from '../support/pillow';

const PIL_RESIZE = `
import sys
from PIL import Image
w, h, ow, oh, ch = map(int, sys.argv[1:6])
im = Image.frombytes('L' if ch == 1 else 'RGB', (w, h), sys.stdin.buffer.read())
sys.stdout.buffer.write(im.resize((ow, oh), Image.BILINEAR).tobytes())
`;

function pillowResize(src: Uint8Array, w: number, h: number, ch: number, ow: number, oh: number): Uint8Array {
  return new Uint8Array(runPython(PIL_RESIZE, [w, h, ow, oh, ch].map(String), src));
}

/** Noise, smooth ramps and hard edges: rounding differences show on each in a different way. */
function testImage(w: number, h: number, ch: number, seed: number): Uint8Array {
  let state = seed >>> 0;
  const next = (): number => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) >>> 24;
  const out = new Uint8Array(w * h * ch);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < ch; c++) {
        const i = (y * w + x) * ch + c;
        const region = (x * 3) / w + (c === 1 ? 1 : 0);
        if (region < 1) out[i] = next();
        else if (region < 2) out[i] = Math.round(((x + y * 0.37) * 255) / (w + h * 0.37 + 1)) & 255;
        else out[i] = (x >> 2) % 2 === (y >> 2) % 2 ? 255 : 0;
      }
    }
  }
  return out;
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return `first difference at byte ${i}: ours ${a[i]}, Pillow ${b[i]}`;
  return 'equal';
}

const cases: Array<[string, number, number, number, number, number]> = [
  ['ChestX-ray14 1024 -> 256 (gray, 4x down)', 1024, 1024, 1, 256, 256],
  ['1036x885 -> 299x256 (RGB, non-integer factor)', 1036, 885, 3, 299, 256],
  ['328x237 -> 354x256 (RGB, upscale)', 328, 237, 3, 354, 256],
  ['999x816 -> 313x256 (gray)', 999, 816, 1, 313, 256],
  ['odd sizes down 37x23 -> 11x7', 37, 23, 3, 11, 7],
  ['odd sizes up 13x9 -> 47x31', 13, 9, 1, 47, 31],
  ['width only changes (vertical pass skipped)', 300, 256, 3, 256, 256],
  ['height only changes (horizontal pass skipped)', 256, 300, 1, 256, 256],
  ['same size (copy)', 29, 17, 3, 29, 17],
  ['1xN column to wide', 1, 50, 1, 256, 12800],
  ['Nx1 row down', 50, 1, 3, 7, 1],
  ['2x2 -> 1x1', 2, 2, 3, 1, 1],
  ['1x1 -> 5x3', 1, 1, 3, 5, 3],
  ['mixed: down in x, up in y', 400, 100, 1, 123, 257],
];

for (const [name, w, h, ch, ow, oh] of cases) {
  test(`pilResizeBilinear equals Pillow 9.4: ${name}`, { skip: skipWithoutPillow }, () => {
    const src = testImage(w, h, ch, w * 7919 + h * 31 + ch);
    const ours = pilResizeBilinear(src, w, h, ch, ow, oh);
    const pillow = pillowResize(src, w, h, ch, ow, oh);
    assert.equal(ours.length, ow * oh * ch);
    assert.equal(pillow.length, ow * oh * ch);
    assert.ok(Buffer.compare(Buffer.from(ours), Buffer.from(pillow)) === 0, firstDifference(ours, pillow));
  });
}

test('pilResizeBilinear: gray resized once equals each band of the replicated RGB resized by Pillow', { skip: skipWithoutPillow }, () => {
  const [w, h, ow, oh] = [211, 173, 256, 209];
  const gray = testImage(w, h, 1, 5);
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) rgb.fill(gray[i]!, i * 3, i * 3 + 3);
  const pillowRgb = pillowResize(rgb, w, h, 3, ow, oh);
  const ours = pilResizeBilinear(gray, w, h, 1, ow, oh);
  for (let i = 0; i < ow * oh; i++) {
    for (let c = 0; c < 3; c++) {
      if (pillowRgb[i * 3 + c] !== ours[i]) assert.fail(`pixel ${i} band ${c}: Pillow ${pillowRgb[i * 3 + c]}, ours ${ours[i]}`);
    }
  }
});

test('pilResizeBilinear: a constant image stays constant, and the copy is a new array', () => {
  const src = new Uint8Array(40 * 30).fill(173);
  const down = pilResizeBilinear(src, 40, 30, 1, 9, 7);
  assert.ok(down.every((v) => v === 173));
  const same = pilResizeBilinear(src, 40, 30, 1, 40, 30);
  assert.notEqual(same, src);
  assert.deepEqual(same, src);
});

test('pilResizeBilinear rejects sizes that do not fit the data', () => {
  assert.throws(() => pilResizeBilinear(new Uint8Array(10), 3, 3, 1, 2, 2), /expected 9 samples/);
  assert.throws(() => pilResizeBilinear(new Uint8Array(9), 3, 3, 1, 0, 2), /target size/);
});

// A window of the output (what center mode computes) must be exactly that part of Pillow's result,
// whichever passes run.
const windowCases: Array<[string, number, number, number, number, number, { left: number; top: number; width: number; height: number }]> = [
  ['both passes, RGB', 1036, 885, 3, 299, 256, { left: 38, top: 16, width: 224, height: 224 }],
  ['both passes, gray, window at the far corner', 97, 61, 1, 40, 30, { left: 25, top: 11, width: 15, height: 19 }],
  ['horizontal only', 300, 256, 3, 256, 256, { left: 16, top: 16, width: 224, height: 224 }],
  ['vertical only', 256, 300, 1, 256, 256, { left: 16, top: 16, width: 224, height: 224 }],
  ['no pass (copy of a window)', 40, 30, 3, 40, 30, { left: 3, top: 5, width: 30, height: 20 }],
  ['upscale, one-pixel window', 13, 9, 1, 47, 31, { left: 46, top: 0, width: 1, height: 1 }],
];

for (const [name, w, h, ch, ow, oh, win] of windowCases) {
  test(`pilResizeBilinear window equals that part of Pillow's result: ${name}`, { skip: skipWithoutPillow }, () => {
    const src = testImage(w, h, ch, w + h * 3 + ch);
    const ours = pilResizeBilinear(src, w, h, ch, ow, oh, win);
    const full = pillowResize(src, w, h, ch, ow, oh);
    const want = new Uint8Array(win.width * win.height * ch);
    for (let y = 0; y < win.height; y++) want.set(full.subarray(((win.top + y) * ow + win.left) * ch, ((win.top + y) * ow + win.left + win.width) * ch), y * win.width * ch);
    assert.equal(ours.length, want.length);
    assert.ok(Buffer.compare(Buffer.from(ours), Buffer.from(want)) === 0, firstDifference(ours, want));
  });
}

test('pilResizeBilinear rejects a window outside the output', () => {
  assert.throws(() => pilResizeBilinear(new Uint8Array(9), 3, 3, 1, 4, 4, { left: 2, top: 0, width: 3, height: 1 }), /window/);
});

/**
 * The renderer's window/level path (renderer/viewer/display-lut.ts) against the core's 8-bit
 * rendering (main/image/render8.ts): what the viewer shows with the default window must be, pixel for
 * pixel, what the model input starts from. Plus the helpers whose results can be derived by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GrayFrame, Voi } from '../../main/image/types';
import { render8, storedRange } from '../../main/image/render8';
import { grayWord, mapGray, percentileWindow, windowFromTable } from '../../renderer/viewer/display-lut';
import { halveFrame } from '../../renderer/viewer/half-res';

function frame(stored: GrayFrame['stored'], over: Partial<GrayFrame> = {}): GrayFrame {
  const { min, max } = storedRange(stored, over.paddingValue);
  return { kind: 'gray', rows: 1, columns: stored.length, stored, bitsStored: 16, signed: false, modality: { kind: 'linear', slope: 1, intercept: 0 }, voi: { kind: 'window', center: 0, width: 1, fn: 'LINEAR', source: 'tags' }, invert: false, min, max, ...over };
}

/** The red byte of each RGBA word (gray, so R = G = B). */
function grays(words: Uint32Array): number[] {
  return Array.from(new Uint8Array(words.buffer).filter((_, i) => i % 4 === 0));
}

const cases: { name: string; f: GrayFrame }[] = [
  {
    name: 'signed CT with intercept -1024, LINEAR window',
    f: frame(Int16Array.from({ length: 4096 }, (_, i) => i - 2048), { signed: true, modality: { kind: 'linear', slope: 1, intercept: -1024 }, voi: { kind: 'window', center: 40, width: 400, fn: 'LINEAR', source: 'tags' } }),
  },
  {
    name: 'MONOCHROME1 12-bit with fractional slope, LINEAR_EXACT',
    f: frame(Uint16Array.from({ length: 4096 }, (_, i) => i), { invert: true, modality: { kind: 'linear', slope: 0.684, intercept: 200 }, voi: { kind: 'window', center: 1500, width: 2000, fn: 'LINEAR_EXACT', source: 'tags' } }),
  },
  {
    name: 'SIGMOID window',
    f: frame(Uint16Array.from({ length: 1000 }, (_, i) => i * 3), { voi: { kind: 'window', center: 1200, width: 900, fn: 'SIGMOID', source: 'tags' } }),
  },
  {
    name: 'VOI LUT table',
    f: frame(Uint8Array.from({ length: 256 }, (_, i) => i), { bitsStored: 8, voi: { kind: 'table', firstMapped: 20, bits: 10, table: Uint16Array.from({ length: 200 }, (_, i) => i * 5), source: 'tags' } }),
  },
];

for (const { name, f } of cases) {
  test(`W/L in the renderer equals the core's 8-bit rendering: ${name}`, () => {
    const out = new Uint32Array(f.stored.length);
    mapGray(f, f.voi, f.invert, out);
    assert.deepEqual(grays(out), Array.from(render8(f).data));
  });
}

test('a custom window and the user invert follow the same pipeline', () => {
  const f = cases[0]!.f;
  const voi: Voi = { kind: 'window', center: -600, width: 1500, fn: 'LINEAR', source: 'tags' };
  const out = new Uint32Array(f.stored.length);
  mapGray(f, voi, true, out);
  assert.deepEqual(grays(out), Array.from(render8(f, voi, true).data));
});

test('gray words are opaque and gray in memory order R, G, B, A', () => {
  assert.deepEqual(Array.from(new Uint8Array(new Uint32Array([grayWord(77)]).buffer)), [77, 77, 77, 255]);
});

test('half resolution is the rounded 2x2 box average; an odd last row and column are dropped', () => {
  // 5x3 frame: values chosen so each 2x2 block's mean is easy to check by hand.
  const stored = Uint16Array.from([0, 2, 10, 20, 99, 4, 6, 30, 41, 99, 99, 99, 99, 99, 99]);
  const half = halveFrame({ ...frame(stored), rows: 3, columns: 5 });
  assert.equal(half.columns, 2);
  assert.equal(half.rows, 1);
  // (0+2+4+6)/4 = 3; (10+20+30+41)/4 = 25.25 -> 25
  assert.deepEqual(Array.from(half.stored), [3, 25]);
  assert.ok(half.stored instanceof Uint16Array);
});

test('the auto window spans the 0.5th to 99.5th percentile of the modality values', () => {
  // 0..999 once each: the 0.5 % point is the 5th value (4), the 99.5 % point the 995th (994).
  const f = frame(Uint16Array.from({ length: 1000 }, (_, i) => i), { modality: { kind: 'linear', slope: 2, intercept: -100 } });
  const w = percentileWindow(f)!;
  const lo = 4 * 2 - 100;
  const hi = 994 * 2 - 100;
  assert.equal(w.center, (lo + hi) / 2);
  assert.equal(w.width, hi - lo);
});

test('a VOI LUT table reads as the window between its first rise and its last climb', () => {
  // Flat at 0 for inputs 100..109, a ramp over 110..149, flat at the top for 150..199.
  const table = Uint16Array.from({ length: 100 }, (_, i) => (i < 10 ? 0 : i < 50 ? (i - 10) * 25 : 1000));
  const w = windowFromTable({ kind: 'table', firstMapped: 100, bits: 10, table, source: 'tags' });
  // First index above the floor: 10 (value 0 at i=10 is still the floor, so 11); last below the top: 49.
  assert.deepEqual(w, { center: (111 + 149) / 2, width: 149 - 111 });
});

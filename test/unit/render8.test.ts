/**
 * The grayscale display pipeline (main/image/render8.ts) against values worked out by hand from
 * PS3.3 C.11.1 (Modality LUT), C.11.2.1.2 (window functions) and C.11.2.1.1 (VOI LUT tables).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { display8, lut8, minMaxWindow, modalityValue, render8, storedRange, voiValue } from '../../main/image/render8';
import type { GrayFrame, Voi } from '../../main/image/types';

const win = (center: number, width: number, fn: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID' = 'LINEAR'): Voi => ({ kind: 'window', center, width, fn, source: 'tags' });

function frame(stored: GrayFrame['stored'], over: Partial<GrayFrame> = {}): GrayFrame {
  let min = Infinity;
  let max = -Infinity;
  for (const v of stored) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { kind: 'gray', rows: 1, columns: stored.length, stored, bitsStored: 16, signed: false, modality: { kind: 'linear', slope: 1, intercept: 0 }, voi: win(128, 256), invert: false, min, max, ...over };
}

test('modality LUT: rescale, and a table clamped at both ends', () => {
  assert.equal(modalityValue({ kind: 'linear', slope: 2, intercept: -1024 }, 1000), 976);
  const table = { kind: 'table' as const, firstMapped: 10, table: Float64Array.from([5, 6, 7]) };
  assert.equal(modalityValue(table, 0), 5, 'below the first mapped value: first entry');
  assert.equal(modalityValue(table, 11), 6);
  assert.equal(modalityValue(table, 99), 7, 'past the end: last entry');
});

test('LINEAR window (PS3.3 C.11.2.1.2.1): c=2048 w=4096', () => {
  const v = win(2048, 4096);
  // Lower edge: x <= c - 0.5 - (w-1)/2 = 0 -> 0; upper: x > c - 0.5 + (w-1)/2 = 4095 -> 1.
  assert.equal(voiValue(v, 0), 0);
  assert.equal(voiValue(v, 4096), 1);
  assert.equal(voiValue(v, 4095), (4095 - 2047.5) / 4095 + 0.5);
  assert.equal(voiValue(v, 2048), 0.5 / 4095 + 0.5);
});

test('LINEAR window of width 1 is a threshold at c - 0.5', () => {
  const v = win(100, 1);
  assert.equal(voiValue(v, 99.5), 0);
  assert.equal(voiValue(v, 99.6), 1);
});

test('LINEAR_EXACT and SIGMOID windows (PS3.3 C.11.2.1.3)', () => {
  assert.equal(voiValue(win(50, 100, 'LINEAR_EXACT'), 0), 0);
  assert.equal(voiValue(win(50, 100, 'LINEAR_EXACT'), 75), 0.75);
  assert.equal(voiValue(win(50, 100, 'LINEAR_EXACT'), 100), 1);
  assert.equal(voiValue(win(50, 100, 'SIGMOID'), 50), 0.5);
  assert.ok(Math.abs(voiValue(win(50, 100, 'SIGMOID'), 75) - 1 / (1 + Math.exp(-1))) < 1e-12);
});

test('VOI LUT table: indexed from its first mapped value, scaled by its bit depth', () => {
  const voi: Voi = { kind: 'table', firstMapped: -2, bits: 12, table: Uint16Array.from([0, 1365, 4095]), source: 'tags' };
  assert.equal(voiValue(voi, -5), 0);
  assert.equal(voiValue(voi, -1), 1365 / 4095);
  assert.equal(voiValue(voi, 7), 1);
});

test('display8 rounds to 8 bits and inverts MONOCHROME1 after the window', () => {
  const f = frame(new Uint16Array([0]), { voi: win(127.5, 256, 'LINEAR_EXACT') });
  // (x - 127.5)/256 + 0.5 at x = 100: 0.392578 -> 100.1 -> 100; inverted 155.
  assert.equal(display8(f, 100), 100);
  assert.equal(display8(f, 100, f.voi, true), 155);
});

test('render8 through a lookup table equals render8 value by value; wide ranges skip the table', () => {
  const stored = new Int32Array([-3_000_000, -5, 0, 17, 3_000_000]);
  const f = frame(stored, { signed: true, voi: win(0, 100), invert: true });
  assert.equal(lut8(f), null, 'a 6-million-value range is mapped per pixel');
  const img = render8(f);
  assert.deepEqual([...img.data], [...stored].map((v) => display8(f, v)));
  // By hand: LINEAR c=0 w=100 -> 0 below -50, 255 above 49, x=-5 -> ((-5+0.5)/99+0.5)*255 = 115.8 -> 116; x=0 -> 128.8 -> 129; x=17 -> 172.6 -> 173; inverted.
  assert.deepEqual([...img.data], [255, 255 - 116, 255 - 129, 255 - 173, 0]);
  const small = frame(new Uint16Array([0, 50, 100, 255]), { voi: win(128, 256) });
  const table = lut8(small)!;
  assert.equal(table.offset, 0);
  assert.equal(table.table.length, 256);
  assert.deepEqual([...render8(small).data], [...small.stored].map((v) => display8(small, v)));
});

test('render8 of an RGB frame is its RGB bytes', () => {
  const rgb = new Uint8Array([1, 2, 3, 4, 5, 6]);
  const img = render8({ kind: 'rgb', rows: 1, columns: 2, rgb });
  assert.deepEqual(img, { width: 2, height: 1, channels: 3, data: rgb });
});

test('storedRange skips the padding value; an all-padding frame has range 0..0', () => {
  assert.deepEqual(storedRange(new Int16Array([-2000, 5, 30, -2000]), -2000), { min: 5, max: 30 });
  assert.deepEqual(storedRange(new Uint16Array([7, 7]), 7), { min: 0, max: 0 });
});

test('padding outside the window range still renders (the table covers it)', () => {
  const f = frame(new Int16Array([-2000, 5, 30]), { signed: true, paddingValue: -2000, min: 5, max: 30, voi: win(17.5, 25, 'LINEAR_EXACT') });
  // LINEAR_EXACT c=17.5 w=25: x <= 5 -> 0, x = 30 -> (30-17.5)/25 + 0.5 = 1 -> 255.
  assert.deepEqual([...render8(f).data], [0, 0, 255]);
});

test('minMaxWindow spans the modality range, also with a negative slope', () => {
  assert.deepEqual(minMaxWindow({ modality: { kind: 'linear', slope: -2, intercept: 100 }, min: 0, max: 50 }), {
    kind: 'window',
    center: 50,
    width: 100,
    fn: 'LINEAR_EXACT',
    source: 'minmax',
  });
  assert.equal((minMaxWindow({ modality: { kind: 'linear', slope: 1, intercept: 0 }, min: 9, max: 9 }) as { width: number }).width, 1, 'a flat frame gets width 1');
});

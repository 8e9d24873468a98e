import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBinary, encodeBinary, hasBinary } from '../../main/wire';

test('typed arrays inside a result survive the binary encoding with their type and values', () => {
  const stored = new Int16Array([-32768, -1, 0, 1, 32767]);
  const heat = new Float32Array([0.5, NaN, -Infinity, 3.25]);
  const rgb = new Uint8Array([1, 2, 3, 4, 5, 6, 7]);
  const value = { path: '/x.dcm', header: { kind: 'gray', rows: 1, min: -3 }, pixels: stored, maps: [heat, { rgb }], missing: undefined, n: null };
  assert.equal(hasBinary(value), true);
  const body = encodeBinary(value);
  // Decode from a fresh ArrayBuffer, as fetch().arrayBuffer() gives it.
  const copy = body.slice().buffer;
  const out = decodeBinary(copy) as typeof value;
  assert.ok(out.pixels instanceof Int16Array);
  assert.deepEqual(Array.from(out.pixels), [-32768, -1, 0, 1, 32767]);
  assert.ok(out.maps[0] instanceof Float32Array);
  const h = out.maps[0] as Float32Array;
  assert.equal(h[0], 0.5);
  assert.ok(Number.isNaN(h[1]));
  assert.equal(h[2], -Infinity);
  assert.deepEqual(Array.from((out.maps[1] as { rgb: Uint8Array }).rgb), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(out.header, { kind: 'gray', rows: 1, min: -3 });
  assert.equal(out.n, null);
  assert.equal('missing' in out, false);
});

test('a view into a larger buffer sends only its own bytes, and arrays stay aligned for their type', () => {
  const big = new Uint16Array([9, 9, 9, 10, 20, 30, 9]);
  const view = big.subarray(3, 6);
  const odd = new Uint8Array([7, 7, 7]);
  const body = encodeBinary({ a: odd, b: view, c: new Float64Array([Math.PI]) });
  const out = decodeBinary(body.slice().buffer) as { a: Uint8Array; b: Uint16Array; c: Float64Array };
  assert.deepEqual(Array.from(out.b), [10, 20, 30]);
  assert.equal(out.c[0], Math.PI);
  assert.equal(out.b.byteOffset % 2, 0);
  assert.equal(out.c.byteOffset % 8, 0);
});

test('plain JSON results are recognised as having no binary', () => {
  assert.equal(hasBinary({ a: [1, 2, { b: 'x' }] }), false);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_METHODS, ApiArgumentError, validateArgs } from '../../main/api';

test('every method of the contract has a validator, and valid arguments come back typed', () => {
  assert.ok(API_METHODS.includes('getFrame'));
  assert.deepEqual(validateArgs('getFrame', { path: '/a/b.dcm', frame: 3 }), { path: '/a/b.dcm', frame: 3 });
  assert.deepEqual(validateArgs('predict', { path: '/a.png', frame: 0, mode: 'tencrop' }), { path: '/a.png', frame: 0, mode: 'tencrop' });
  assert.deepEqual(validateArgs('getBatchResults', {}), {});
  assert.deepEqual(validateArgs('updateSettings', { heatmapOpacity: 0.3 }), { heatmapOpacity: 0.3 });
});

test('malformed arguments are refused with the field and the problem', () => {
  const cases: [Parameters<typeof validateArgs>[0], unknown, RegExp][] = [
    ['getFrame', { path: '/a', frame: -1 }, /frame must be an integer/],
    ['getFrame', { path: '/a', frame: 1.5 }, /frame must be an integer/],
    ['getFrame', { path: 42, frame: 0 }, /path must be a file path/],
    ['getFrame', { path: '/a\0b', frame: 0 }, /path must be a file path/],
    ['getFrame', { path: '/a', frame: 0, extra: 1 }, /extra is not an argument/],
    ['predict', { path: '/a', frame: 0, mode: 'fivecrop' }, /mode must be one of center, tencrop/],
    ['getThumbnail', { path: '/a', size: 100000 }, /size must be an integer from 16 to 512/],
    ['getFrame', [1, 2], /arguments must be an object/],
    ['getFrame', 'x', /arguments must be an object/],
    ['updateSettings', { heatmapOpacity: 2 }, /heatmapOpacity must be a number from 0 to 1/],
    ['exportResults', { batchId: 1, format: 'xml' }, /format must be one of csv, json/],
  ];
  for (const [method, raw, message] of cases) {
    assert.throws(() => validateArgs(method, raw), (err: unknown) => err instanceof ApiArgumentError && message.test(err.message), `${method} ${JSON.stringify(raw)}`);
  }
});

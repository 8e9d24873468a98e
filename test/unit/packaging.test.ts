/**
 * Packaging cannot run here (Electron's binaries are unreachable), so this checks what can be checked:
 * electron-builder accepts the configuration, and every native or WASM module — and the worker
 * script that loads them — is unpacked from the asar, where Node cannot load them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
  main: string;
  build: { asarUnpack: string[]; linux: { target: string[] }; win: { target: string[] } };
  dependencies: Record<string, string>;
};

test('electron-builder accepts the configuration', async () => {
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
    validateConfiguration(config: unknown, logger: { isEnabled: boolean; add(): void }): Promise<void>;
  };
  await validateConfiguration(pkg.build, { isEnabled: false, add() {} });
  assert.deepEqual(pkg.build.linux.target, ['AppImage', 'deb']);
  assert.deepEqual(pkg.build.win.target, ['nsis']);
  assert.equal(pkg.main, 'dist/electron-main.js');
});

test('native and WASM dependencies are unpacked from the asar', () => {
  const unpacked = pkg.build.asarUnpack.join(' ');
  for (const dep of ['onnxruntime-node', 'sharp', 'better-sqlite3']) {
    assert.ok(pkg.dependencies[dep], dep);
    assert.match(unpacked, new RegExp(`node_modules/${dep}/`), dep);
  }
  for (const dep of Object.keys(pkg.dependencies).filter((d) => d.startsWith('@cornerstonejs/'))) assert.match(unpacked, /node_modules\/@cornerstonejs\//, dep);
  assert.match(unpacked, /dist\/decode-worker\.js/);
});

// Builds better-sqlite3's addon for Electron's ABI into .electron-native/ for `npm start`.
// node_modules keeps the Node build that the CLI and the tests load; the Electron host points
// better-sqlite3 at this copy (its nativeBinding option). onnxruntime-node and sharp use N-API and
// run unchanged in both. electron-builder rebuilds a packaged app's modules by itself.
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
const target = '.electron-native/better-sqlite3';
const stamp = `${target}/.electron-version`;
if (existsSync(stamp) && readFileSync(stamp, 'utf8') === electronVersion) process.exit(0);

rmSync(target, { recursive: true, force: true });
cpSync('node_modules/better-sqlite3', target, { recursive: true });
rmSync(`${target}/build`, { recursive: true, force: true });
console.log(`building better-sqlite3 for Electron ${electronVersion} (once)…`);
execFileSync(process.execPath, [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', '--release', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers'], {
  cwd: target,
  stdio: 'inherit',
});
writeFileSync(stamp, electronVersion);

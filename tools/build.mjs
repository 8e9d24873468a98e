// Builds every host into dist/ with esbuild. Native and WASM packages stay external: they load
// their .node/.wasm files relative to their own folder in node_modules.
import { build } from 'esbuild';
import { cpSync, mkdirSync, existsSync, chmodSync } from 'node:fs';

mkdirSync('dist', { recursive: true });

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
};

const jobs = [
  build({ ...node, entryPoints: { cli: 'main/cli/index.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } }),
];
if (existsSync('main/scan/decode-worker.ts')) {
  jobs.push(build({ ...node, entryPoints: { 'decode-worker': 'main/scan/decode-worker.ts' }, outdir: 'dist' }));
}
if (existsSync('electron/main.ts')) {
  // Beside cli.js, so the decode worker and the renderer resolve the same way from every host.
  jobs.push(build({ ...node, entryPoints: { 'electron-main': 'electron/main.ts' }, outdir: 'dist', external: ['electron'] }));
  // A sandboxed preload must be one CommonJS file that requires nothing but 'electron'.
  jobs.push(build({ ...node, packages: undefined, format: 'cjs', entryPoints: { preload: 'electron/preload.ts' }, outExtension: { '.js': '.cjs' }, outdir: 'dist', external: ['electron'] }));
}
if (existsSync('renderer/index.ts')) {
  jobs.push(build({ bundle: true, platform: 'browser', target: 'chrome120', format: 'esm', sourcemap: 'linked', logLevel: 'warning', entryPoints: { app: 'renderer/index.ts' }, outdir: 'dist/renderer' }));
}
await Promise.all(jobs);
chmodSync('dist/cli.js', 0o755);
for (const f of ['index.html', 'styles.css']) {
  if (existsSync(`renderer/${f}`)) cpSync(`renderer/${f}`, `dist/renderer/${f}`);
}

/** Where the built renderer (index.html, app.js, styles.css) is, from the bundle or from source. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function rendererDir(): string {
  // dist/cli.js -> dist/renderer/; main/serve/*.ts (tests under tsx) -> dist/renderer/ after `npm run build`.
  for (const rel of ['./renderer/', '../../dist/renderer/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new Error('the renderer is not built: run npm run build');
}

/**
 * The desktop app itself, through Playwright's _electron driver: the same flow as the serve-mode suite
 * (open a folder, view an image, findings, untrained banner) plus the Electron security checklist seen
 * from inside the page. It needs Electron's binary, which `npm ci` downloads on a workstation; where
 * ELECTRON_SKIP_BINARY_DOWNLOAD was set (these machines, CI) it reports itself skipped and says why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { _electron as electron } from 'playwright-core';
import { SHARED } from '../support/shared';
import { Artifacts, REPO, tempDir } from '../support/browser';

function electronBinary(): string | null {
  try {
    // In Node, require('electron') is the path of the downloaded binary; it throws when there is none.
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
const skip: false | string =
  !binary ? 'needs the Electron binary (npm ci without ELECTRON_SKIP_BINARY_DOWNLOAD); not downloadable on this machine'
  : !SHARED ? 'needs ../shared for the study and the stand-in model'
  : !existsSync(join(REPO, 'dist', 'electron-main.js')) ? 'needs the built app (npm run build)'
  : false;

test('Electron: secure renderer, open a folder, view an image, findings from the stand-in model', { skip }, async () => {
  const home = tempDir('chexdesk-electron-home-');
  const study = tempDir('chexdesk-electron-study-');
  const artifacts = new Artifacts('e2e-electron');
  mkdirSync(join(study.dir, 'cxr'));
  copyFileSync(join(SHARED!, 'fixtures', 'cxr', '00000001_000.png'), join(study.dir, 'cxr', '00000001_000.png'));
  copyFileSync(join(SHARED!, 'fixtures', 'dicom', 'RG1_J2KI.dcm'), join(study.dir, 'RG1_J2KI.dcm'));
  const app = await electron.launch({
    executablePath: binary!,
    args: [REPO, `--model=${join(SHARED!, 'models', 'chexnet-standin')}`, '--no-sandbox'],
    env: { ...process.env, CHEXDESK_HOME: home.dir },
  });
  try {
    const page = await app.firstWindow();
    await page.waitForSelector('[data-testid="model-banner"]', { timeout: 60_000 });
    assert.match(page.url(), /^app:\/\/chexdesk\//, 'app files come from the custom protocol, not file://');

    const isolation = await page.evaluate(() => {
      const g = globalThis as Record<string, unknown>;
      return { require: typeof g.require, process: typeof g.process, bridge: typeof g.chexdesk, keys: Object.keys((g.chexdesk as object) ?? {}).sort() };
    });
    assert.deepEqual(isolation, { require: 'undefined', process: 'undefined', bridge: 'object', keys: ['invoke', 'onEvent', 'pathForFile'] });
    const opened = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length);
    await page.evaluate(() => (globalThis as unknown as { open(url: string): unknown }).open('https://example.com'));
    assert.equal(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length), opened, 'new windows are denied');

    await page.fill('[data-testid="open-folder-input"]', study.dir);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="image-item"]', { timeout: 60_000 });
    await artifacts.shot(page, 'study-tree');
    const png = join(study.dir, 'cxr', '00000001_000.png');
    await page.locator(`[data-testid="image-item"][data-path="${png}"]`).click();
    await page.waitForSelector('[data-testid="finding-row"]', { timeout: 120_000 });
    const rows = await page.locator('[data-testid="finding-row"]').evaluateAll((els) => els.map((e) => Number((e as unknown as { dataset: Record<string, string> }).dataset.probability)));
    assert.equal(rows.length, 14);
    assert.deepEqual(rows, [...rows].sort((a, b) => b - a));
    assert.ok(await page.locator('[data-testid="model-banner"]').isVisible());
    await artifacts.shot(page, 'findings');
  } finally {
    await app.close();
    home.remove();
    study.remove();
  }
});

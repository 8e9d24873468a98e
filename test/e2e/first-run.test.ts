/**
 * First run: no model installed (a fresh CHEXDESK_HOME, no --model). The app must say so plainly,
 * still show images, and offer the demo model; making it turns on the untrained banner and the
 * model's outputs. The Model dialog then describes it. Screenshots go to test-results/e2e-first-run/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Artifacts, canvasStats, launchBrowser, skipWithoutBrowser, startServe, tempDir, type Browser, type Served } from '../support/browser';
import type { PageDocument } from '../support/page-dom';
import { sharedPath, skipWithoutShared } from '../support/shared';

declare const document: PageDocument;

describe('first run without a model', { skip: skipWithoutShared || skipWithoutBrowser }, () => {
  let work: ReturnType<typeof tempDir>;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let art: Artifacts;
  let image: string;

  before(async () => {
    work = tempDir('chexdesk-e2e-first-');
    const study = join(work.dir, 'study');
    mkdirSync(study);
    image = join(study, 'chest.png');
    copyFileSync(sharedPath('fixtures', 'cxr', '00000075_000.png'), image);
    served = await startServe({ folder: study, home: join(work.dir, 'home') });
    browser = await launchBrowser();
    page = browser.page;
    art = new Artifacts('e2e-first-run');
    await page.goto(served.url);
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    work?.remove();
  });

  test('says plainly that there is no model, and still shows the image', async () => {
    const banner = page.locator('[data-testid="no-model-banner"]');
    await banner.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match((await banner.textContent()) ?? '', /No model installed/);
    assert.ok(await page.locator('[data-testid="make-demo-model-banner"]').isVisible(), 'offers the demo model');
    assert.ok(await page.locator('[data-testid="no-model"]').isVisible(), 'the findings panel says why it is empty');
    await page.waitForFunction((p) => document.querySelector('[data-testid="viewer-canvas"]')?.dataset.path === p, image, { timeout: 60_000 });
    const stats = await canvasStats(page, 0.4);
    assert.ok(stats.distinct > 20, 'the viewer works without a model');
    assert.equal(await page.locator('[data-testid="error-message"]').count(), 0, 'nothing failed');
    await art.shot(page, 'no-model');
  });

  test('the demo model button makes an untrained model: banner, outputs labelled as not findings, Model dialog', async () => {
    await page.locator('[data-testid="make-demo-model-banner"]').click();
    await page.locator('[data-testid="model-banner"]').waitFor({ state: 'visible', timeout: 180_000 });
    assert.match((await page.locator('[data-testid="model-banner"]').textContent()) ?? '', /UNTRAINED MODEL — outputs are not findings/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="finding-row"]').length === 14, null, { timeout: 120_000 });
    assert.match((await page.locator('[data-testid="findings-heading"]').textContent()) ?? '', /NOT findings/);
    await art.shot(page, 'demo-model');
    await page.keyboard.press('m');
    const card = page.locator('[data-testid="model-card"]');
    await card.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await card.getAttribute('data-trained'), 'false');
    assert.equal(await card.locator('.labels .chip').count(), 14, 'lists its labels');
    assert.ok(((await page.locator('[data-testid="conversion-help"]').textContent()) ?? '').length > 40, 'explains how to get real weights');
    await art.shot(page, 'model-dialog');
    await page.keyboard.press('Escape');
    assert.ok(!(await page.locator('[data-testid="model-dialog"]').isVisible()));
    assert.deepEqual(browser.problems, [], 'no script errors in the page');
  });
});

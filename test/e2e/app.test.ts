/**
 * The app as a user meets it: `chexdesk serve` on a folder made from ../shared fixtures, driven in
 * Debian's headless Chromium. Numbers on screen are checked against the CLI's scan of the same files
 * (an independent host of the same core, so UI wiring errors show up as differences). Each step
 * saves a screenshot under test-results/e2e/. Speeds (W/L frames per second, click-to-findings) are
 * printed and written to test-results/e2e/metrics.json, never asserted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Artifacts, canvasStats, launchBrowser, readJsonl, runCli, skipWithoutBrowser, startServe, tempDir, type Browser, type CliRow, type Served } from '../support/browser';
import { writeDicom } from '../support/dicom-files';
import type { PageDocument, PageElement, PageWindow } from '../support/page-dom';
import { sharedPath, skipWithoutShared } from '../support/shared';

// In-page callbacks run in Chromium; these only give them types (see page-dom.ts).
declare const document: PageDocument;
declare const window: PageWindow;
declare function requestAnimationFrame(callback: () => void): number;
declare const performance: { now(): number };
declare const PointerEvent: new (type: string, init: Record<string, unknown>) => object;
interface PageStage {
  getBoundingClientRect(): { left: number; top: number; width: number; height: number };
  dispatchEvent(event: object): boolean;
}

const skip = skipWithoutShared || skipWithoutBrowser;
const TOLERANCE = 1e-5;

const CXR = ['00000001_000.png', '00000075_000.png', '16747_3_1.jpg'];
const DICOM = ['CT_small.dcm', 'emri_small.dcm', 'RG1_J2KI.dcm', 'SC_rgb.dcm'];
const BAD_DICOM = ['MR_truncated.dcm', 'test-SR.dcm'];
const SUBJECT = 'cxr/00000001_000.png';

/** The study folder: copies, not symlinks (the core refuses links that lead outside an opened folder). */
function makeStudy(dir: string): void {
  for (const d of ['cxr', 'dicom', 'bad']) mkdirSync(join(dir, d), { recursive: true });
  for (const f of CXR) copyFileSync(sharedPath('fixtures', 'cxr', f), join(dir, 'cxr', f));
  for (const f of DICOM) copyFileSync(sharedPath('fixtures', 'dicom', f), join(dir, 'dicom', f));
  for (const f of BAD_DICOM) copyFileSync(sharedPath('fixtures', 'dicom', f), join(dir, 'bad', f));
  // A PNG cut off after its first 200 bytes.
  writeFileSync(join(dir, 'bad', 'broken.png'), readFileSync(sharedPath('fixtures', 'cxr', CXR[0]!)).subarray(0, 200));
  writeFileSync(join(dir, 'notes.txt'), 'not an image\n');
}

/** A 2500x2048 radiograph with 16 bits stored: smooth anatomy-like shapes plus noise over 0..60000. */
function writeLargeRadiograph(path: string): void {
  const W = 2500;
  const H = 2048;
  const px = new Uint16Array(W * H);
  let seed = 12345;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const dx = (x - W / 2) / W;
      const dy = (y - H / 2) / H;
      const body = Math.exp(-((dx * dx) / 0.08 + (dy * dy) / 0.11) * 2);
      const lungs = Math.exp(-(((Math.abs(dx) - 0.17) ** 2) / 0.01 + (dy + 0.03) ** 2 / 0.05) * 2);
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const v = 0.12 + 0.75 * body - 0.4 * lungs + 0.05 * Math.sin(y / 30) * lungs + (seed / 2 ** 32 - 0.5) * 0.02;
      px[y * W + x] = Math.round(60000 * Math.min(1, Math.max(0, v)));
    }
  }
  const bytes = writeDicom({
    rows: H,
    columns: W,
    bitsAllocated: 16,
    bitsStored: 16,
    pixels: px,
    attributes: { Modality: 'DX', ViewPosition: 'PA', PatientName: 'Synthetic^Large', PatientID: 'LARGE-1', StudyInstanceUID: '1.2.826.0.1.3680043.10.1234.77', SeriesInstanceUID: '1.2.826.0.1.3680043.10.1234.77.1', WindowCenter: '30000', WindowWidth: '50000' },
  });
  writeFileSync(path, bytes);
}

interface UiFinding {
  label: string;
  probability: number;
}

async function findingsFor(page: Page, path: string, mode: 'center' | 'tencrop'): Promise<UiFinding[]> {
  await page.waitForFunction(
    ({ path, mode }) => {
      const panel = document.querySelector('[data-testid="findings-panel"]');
      return panel?.dataset.path === path && panel.dataset.mode === mode && panel.dataset.busy === undefined && document.querySelectorAll('[data-testid="finding-row"]').length > 0;
    },
    { path, mode },
    { timeout: 120_000 },
  );
  return page.$$eval('[data-testid="finding-row"]', (rows) => rows.map((r) => ({ label: (r as unknown as PageElement).dataset.label!, probability: Number((r as unknown as PageElement).dataset.probability) })));
}

function assertSameProbabilities(ui: UiFinding[], cli: CliRow, what: string): void {
  assert.ok(cli.probabilities, `${what}: the CLI has probabilities`);
  const expected = cli.probabilities!;
  assert.equal(ui.length, Object.keys(expected).length, `${what}: one row per label`);
  for (const f of ui) {
    assert.ok(f.label in expected, `${what}: ${f.label} is a model label`);
    assert.ok(Math.abs(f.probability - expected[f.label]!) <= TOLERANCE, `${what}: ${f.label} ${f.probability} vs CLI ${expected[f.label]}`);
  }
}

async function openFromTree(page: Page, path: string): Promise<void> {
  await page.locator(`[data-testid="image-item"][data-path="${path}"], [data-testid="unreadable-item"][data-path="${path}"]`).click();
}

async function waitForImage(page: Page, path: string): Promise<void> {
  await page.waitForFunction(
    (path) => {
      const canvas = document.querySelector('[data-testid="viewer-canvas"]');
      const wl = document.querySelector('[data-testid="wl-value"]')?.textContent ?? '';
      return window.chexdeskApp?.describe().current?.path === path && canvas?.dataset.path === path && wl.length > 0;
    },
    path,
    { timeout: 60_000 },
  );
  // One more frame so the remapped pixels are on the canvas.
  await nextFrames(page);
}

async function rightDrag(page: Page, dx: number, dy: number, steps: number): Promise<void> {
  const box = (await page.locator('[data-testid="viewer-stage"]').boundingBox())!;
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down({ button: 'right' });
  for (let i = 1; i <= steps; i++) await page.mouse.move(x + (dx * i) / steps, y + (dy * i) / steps);
  await page.mouse.up({ button: 'right' });
}

describe('CheXDesk in a browser (serve mode)', { skip }, () => {
  let work: ReturnType<typeof tempDir>;
  let study: string;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let art: Artifacts;
  let cliCenter: CliRow[] = [];
  let cliTenCrop: CliRow[] = [];
  const metrics: Record<string, unknown> = {};
  const modelDir = () => sharedPath('models', 'chexnet-standin');

  before(async () => {
    work = tempDir('chexdesk-e2e-');
    study = join(work.dir, 'study');
    makeStudy(study);
    const single = join(work.dir, 'single');
    mkdirSync(single);
    copyFileSync(join(study, SUBJECT), join(single, 'subject.png'));
    const home = join(work.dir, 'home');
    const env = { CHEXDESK_HOME: join(work.dir, 'cli-home') };
    const center = await runCli(['scan', study, '--model', modelDir(), '--out', join(work.dir, 'center.jsonl'), '--quiet'], env);
    // Exit code 2: some images failed, which this folder is made to have.
    assert.equal(center.code, 2, `CLI scan: ${center.stderr}`);
    cliCenter = readJsonl(join(work.dir, 'center.jsonl'));
    const ten = await runCli(['scan', single, '--model', modelDir(), '--tencrop', '--out', join(work.dir, 'tencrop.jsonl'), '--quiet'], env);
    assert.equal(ten.code, 0, `CLI TenCrop scan failed: ${ten.stderr}`);
    cliTenCrop = readJsonl(join(work.dir, 'tencrop.jsonl'));
    served = await startServe({ folder: study, modelDir: modelDir(), home });
    browser = await launchBrowser();
    page = browser.page;
    art = new Artifacts('e2e');
    await page.goto(served.url);
  });

  after(async () => {
    if (art) writeFileSync(art.path('metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
    await browser?.close();
    await served?.stop();
    work?.remove();
  });

  test('the opened folder is a study tree: DICOM by patient/study/series, PNG/JPEG by folder, unreadable files with a reason', async () => {
    await page.waitForSelector('[data-testid="image-item"]');
    const paths = await page.$$eval('[data-testid="image-item"]', (els) => els.map((e) => (e as unknown as PageElement).dataset.path!));
    for (const f of CXR) assert.ok(paths.includes(join(study, 'cxr', f)), `${f} is listed with its absolute path`);
    for (const f of DICOM) assert.ok(paths.includes(join(study, 'dicom', f)), `${f} is listed`);
    const unreadable = await page.$$eval('[data-testid="unreadable-item"]', (els) => els.map((e) => ({ path: (e as unknown as PageElement).dataset.path!, text: e.textContent ?? '' })));
    for (const f of ['test-SR.dcm', 'broken.png']) {
      const u = unreadable.find((x) => x.path === join(study, 'bad', f));
      assert.ok(u, `${f} is listed as unreadable`);
      assert.ok(u.text.length > f.length + 5, `${f} shows a reason`);
    }
    assert.ok(!paths.some((p) => p.endsWith('notes.txt')) && !unreadable.some((u) => u.path.endsWith('notes.txt')), 'a text file is skipped');
    const patients = await page.locator('[data-testid="study-tree"] details.patient').count();
    assert.ok(patients >= 2, 'DICOM files are grouped by patient');
    await art.shot(page, 'study-tree');
    // The arrow keys step through the images in the order shown.
    await page.waitForFunction(() => !!window.chexdeskApp?.describe().current, null, { timeout: 30_000 });
    const at = async () => paths.indexOf(await page.evaluate(() => window.chexdeskApp?.describe().current?.path ?? ''));
    const start = await at();
    assert.ok(start >= 0 && start < paths.length - 1, 'an image is open');
    await page.keyboard.press('ArrowDown');
    assert.equal(await at(), start + 1, 'ArrowDown opens the next image');
    await page.keyboard.press('ArrowUp');
    assert.equal(await at(), start, 'ArrowUp goes back');
  });

  test('the untrained stand-in model shows a banner that cannot be missed, and its outputs are headed as not findings', async () => {
    const banner = page.locator('[data-testid="model-banner"]');
    assert.ok(await banner.isVisible());
    assert.match((await banner.textContent()) ?? '', /UNTRAINED MODEL — outputs are not findings/);
    assert.match((await page.locator('[data-testid="findings-heading"]').textContent()) ?? '', /NOT findings/);
  });

  test('an image draws on the canvas, and its pixels follow window/level and invert', async () => {
    const path = join(study, SUBJECT);
    await openFromTree(page, path);
    await waitForImage(page, path);
    const first = await canvasStats(page, 0.4);
    assert.ok(first.distinct > 20, `the canvas shows an image (${first.distinct} gray levels)`);
    assert.ok(first.mean > 5 && first.mean < 250, `not blank (mean ${first.mean})`);
    const wlBefore = await page.locator('[data-testid="wl-value"]').textContent();
    await rightDrag(page, 160, 90, 12);
    await nextFrames(page);
    const wlAfter = await page.locator('[data-testid="wl-value"]').textContent();
    assert.notEqual(wlAfter, wlBefore, 'the window shown changed');
    const dragged = await canvasStats(page, 0.4);
    assert.notEqual(dragged.hash, first.hash, 'the pixels changed with the window');
    assert.ok(Math.abs(dragged.mean - first.mean) > 1, `brightness changed (${first.mean} -> ${dragged.mean})`);
    await art.shot(page, 'window-level');
    await page.keyboard.press('i');
    await nextFrames(page);
    const inverted = await canvasStats(page, 0.4);
    assert.equal(await page.locator('[data-testid="viewer-canvas"]').getAttribute('data-inverted'), 'true');
    // Inversion maps v to 255 - v, so the region's mean mirrors around 127.5.
    assert.ok(Math.abs(inverted.mean + dragged.mean - 255) < 1.5, `inverted mean ${inverted.mean} mirrors ${dragged.mean}`);
    await art.shot(page, 'inverted');
    await page.keyboard.press('r');
    await nextFrames(page);
    const reset = await canvasStats(page, 0.4);
    assert.equal(reset.hash, first.hash, 'R restores the default window and orientation');
  });

  test('findings: 14 conditions ranked by probability, equal to the CLI scan in center and TenCrop mode', async () => {
    const path = join(study, SUBJECT);
    const center = await findingsFor(page, path, 'center');
    assert.equal(center.length, 14);
    for (let i = 1; i < center.length; i++) assert.ok(center[i - 1]!.probability >= center[i]!.probability, 'ranked highest first');
    const cliRow = cliCenter.find((r) => r.path === path);
    assert.ok(cliRow, 'the CLI scanned the same file');
    assertSameProbabilities(center, cliRow, 'center');
    assert.match((await page.locator('[data-testid="mode-label"]').textContent()) ?? '', /Center/);
    assert.match((await page.locator('[data-testid="timing-label"]').textContent()) ?? '', /ms|s/);
    await art.shot(page, 'findings-center');

    await page.locator('[data-testid="tencrop-toggle"]').click();
    assert.equal(await page.locator('[data-testid="tencrop-toggle"]').getAttribute('aria-checked'), 'true');
    const ten = await findingsFor(page, path, 'tencrop');
    assert.equal(ten.length, 14);
    assertSameProbabilities(ten, cliTenCrop[0]!, 'tencrop');
    assert.match((await page.locator('[data-testid="mode-label"]').textContent()) ?? '', /TenCrop/);
    await art.shot(page, 'findings-tencrop');
    await page.keyboard.press('t');
    await findingsFor(page, path, 'center');
  });

  test('the heatmap toggle draws the selected condition over the image, and removes it', async () => {
    const before = await canvasStats(page);
    assert.equal(before.colored, 0, 'a gray radiograph has no colour before the heatmap');
    await page.keyboard.press('h');
    await page.waitForFunction(() => (document.querySelector('[data-testid="viewer-canvas"]')?.dataset.heatmap ?? '') !== '', null, { timeout: 60_000 });
    await nextFrames(page);
    const on = await canvasStats(page);
    assert.ok(on.colored > 1000, `the overlay is drawn (${on.colored} coloured pixels)`);
    const label = await page.locator('[data-testid="viewer-canvas"]').getAttribute('data-heatmap');
    const top = await page.locator('[data-testid="finding-row"]').first().getAttribute('data-label');
    assert.equal(label, top, 'by default the heatmap is of the top condition');
    await art.shot(page, 'heatmap');
    await page.keyboard.press('h');
    await nextFrames(page);
    assert.equal((await canvasStats(page)).colored, 0, 'and removed');
  });

  test('an unreadable file shows its reason in the viewer, not a blank canvas', async () => {
    const path = join(study, 'bad', 'test-SR.dcm');
    await openFromTree(page, path);
    const msg = page.locator('[data-testid="error-message"]');
    await msg.waitFor({ state: 'visible', timeout: 30_000 });
    const text = (await msg.textContent()) ?? '';
    assert.match(text, /cannot be shown/);
    assert.ok(text.includes('test-SR.dcm'), 'names the file');
    const reason = await page.locator(`[data-testid="unreadable-item"][data-path="${path}"] .reason`).textContent();
    assert.ok(reason && text.includes(reason), `the viewer gives the reason (${reason})`);
    assert.ok(!(await page.locator('[data-testid="viewer-canvas"]').isVisible()), 'no canvas in its place');
    await art.shot(page, 'unreadable');
  });

  test('batch scan: progress, cancel at once, then one row per image equal to the CLI scan, and an export', async () => {
    await page.keyboard.press('b');
    await page.locator('[data-testid="batch-folder"]').fill(study);
    // A TenCrop run is slow enough to be cancelled mid-way.
    await page.locator('[data-testid="batch-tencrop"]').check();
    await page.locator('[data-testid="batch-start"]').click();
    const progress = page.locator('[data-testid="batch-progress"]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="batch-progress"]')?.dataset.done) >= 1, null, { timeout: 120_000 });
    assert.equal(await progress.getAttribute('data-state'), 'running');
    assert.match((await page.locator('[data-testid="batch-progress-text"]').textContent()) ?? '', /\d+ \/ \d+ · .*img\/s · ETA/);
    await art.shot(page, 'batch-running');
    const cancelAt = Date.now();
    await page.locator('[data-testid="batch-cancel"]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="batch-progress"]')?.dataset.state === 'cancelled', null, { timeout: 30_000 });
    metrics.batchCancelMs = Date.now() - cancelAt;
    assert.ok(Number(await progress.getAttribute('data-done')) < cliCenter.length, 'stopped before the end');
    await art.shot(page, 'batch-cancelled');

    await page.locator('[data-testid="batch-tencrop"]').uncheck();
    await page.keyboard.press('Space');
    try {
      await page.waitForFunction(() => document.querySelector('[data-testid="batch-progress"]')?.dataset.state === 'done', null, { timeout: 300_000 });
    } catch (err) {
      await art.shot(page, 'batch-timeout');
      throw err;
    }
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="batch-results"]')?.dataset.rowCount) === n, cliCenter.length, { timeout: 30_000 });
    const labels = JSON.parse((await page.locator('[data-testid="batch-results"]').getAttribute('data-labels'))!) as string[];
    const rows = await page.$$eval('[data-testid="batch-row"]', (els) =>
      els.map((e) => {
        const d = (e as unknown as PageElement).dataset;
        return { path: d.path!, frame: Number(d.frame), probabilities: d.probabilities ? (JSON.parse(d.probabilities) as number[]) : null, error: d.error ?? '' };
      }),
    );
    assert.equal(rows.length, cliCenter.length, 'one row per image (per frame), as the CLI');
    for (const c of cliCenter) {
      const r = rows.find((x) => x.path === c.path && x.frame === c.frame);
      assert.ok(r, `${c.path} [${c.frame}] is in the table`);
      if (c.probabilities === null) {
        assert.equal(r.probabilities, null, `${c.path} failed in both`);
        assert.equal(r.error, c.errorCode, `${c.path}: same error`);
      } else {
        assert.ok(r.probabilities, `${c.path} has probabilities`);
        labels.forEach((l, i) => assert.ok(Math.abs(r.probabilities![i]! - c.probabilities![l]!) <= TOLERANCE, `${c.path} ${l}: ${r.probabilities![i]} vs CLI ${c.probabilities![l]}`));
      }
    }
    await art.shot(page, 'batch-done');

    // Sorting by a label puts its highest probability first.
    await page.locator('[data-testid="sort-label-0"]').click();
    await nextFrames(page);
    const firstSorted = await page.locator('[data-testid="batch-row"]').first().getAttribute('data-probabilities');
    const best = Math.max(...rows.filter((r) => r.probabilities).map((r) => r.probabilities![0]!));
    assert.equal((JSON.parse(firstSorted!) as number[])[0], best);

    await page.locator('[data-testid="export-format"]').selectOption('json');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="export-button"]').click()]);
    const file = art.path(download.suggestedFilename());
    await download.saveAs(file);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { trained: boolean; note?: string; rows: CliRow[] };
    assert.equal(doc.trained, false);
    assert.match(doc.note ?? '', /UNTRAINED/);
    assert.equal(doc.rows.length, cliCenter.length);
    for (const c of cliCenter) {
      const r = doc.rows.find((x) => x.path === c.path && x.frame === c.frame);
      assert.ok(r, `${c.path} exported`);
      if (c.probabilities) for (const l of labels) assert.ok(Math.abs(r.probabilities![l]! - c.probabilities[l]!) <= TOLERANCE);
    }

    // A click on a row opens that image.
    const target = join(study, 'cxr', CXR[1]!);
    await page.locator(`[data-testid="batch-row"][data-path="${target}"]`).click();
    await waitForImage(page, target);

    // After a restart (same CHEXDESK_HOME), the last batch is shown again.
    await served.stop();
    served = await startServe({ folder: study, modelDir: modelDir(), home: join(work.dir, 'home') });
    await page.goto(served.url);
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="batch-results"]')?.dataset.rowCount) === n, cliCenter.length, { timeout: 60_000 });
    assert.match((await page.locator('[data-testid="batch-compact-status"]').textContent()) ?? '', /done/);
    await page.waitForSelector('[data-testid="image-item"]');
  });

  test('speed: W/L frames per second on a 2500x2048 16-bit image, click to findings (printed, not asserted)', async () => {
    const perf = join(work.dir, 'perf');
    mkdirSync(perf);
    const large = join(perf, 'large-16bit.dcm');
    writeLargeRadiograph(large);
    copyFileSync(sharedPath('fixtures', 'cxr', '00000211_000.png'), join(perf, 'a.png'));
    copyFileSync(sharedPath('fixtures', 'cxr', 'streptococcus-pneumoniae-pneumonia-1.jpg'), join(perf, 'b.jpg'));
    await page.locator('[data-testid="open-folder-input"]').fill(perf);
    await page.locator('[data-testid="open-folder-input"]').press('Enter');
    await openFromTree(page, large);
    await waitForImage(page, large);
    await findingsFor(page, large, 'center');
    const before = await canvasStats(page, 0.4);
    await rightDrag(page, 200, 100, 20);
    await nextFrames(page);
    const after = await canvasStats(page, 0.4);
    assert.notEqual(after.hash, before.hash, 'the large image re-rendered with the new window');
    // At fit the frame is shown at under half size, so a drag remaps a half-resolution copy; at 1:1
    // every pixel is remapped. Both are measured.
    const wl = await measureWindowLevel(page);
    await page.locator('[data-testid="actual-size"]').click();
    const wlFull = await measureWindowLevel(page);
    await page.locator('[data-testid="fit-button"]').click();
    metrics.wlFullResolution = { image: '2500x2048 16-bit at 1:1', ...wlFull };
    metrics.wl = { image: '2500x2048 16-bit at fit', ...wl };
    await art.shot(page, 'large-image-wl');

    // Click to findings, center then TenCrop, each on a file the core has not seen before.
    const timeClick = async (path: string, mode: 'center' | 'tencrop') => {
      const t = Date.now();
      await openFromTree(page, path);
      await findingsFor(page, path, mode);
      return Date.now() - t;
    };
    const clicks: Record<string, number> = {};
    clicks.center = await timeClick(join(perf, 'a.png'), 'center');
    await page.keyboard.press('t');
    await findingsFor(page, join(perf, 'a.png'), 'tencrop');
    clicks.tencrop = await timeClick(join(perf, 'b.jpg'), 'tencrop');
    metrics.clickToFindingsMs = clicks;
    await art.shot(page, 'click-to-findings-tencrop');
    await page.keyboard.press('t');
    console.log(`W/L on 2500x2048 16-bit, fit: ${wl.fps.toFixed(1)} frames/s (${wl.paints} paints in ${Math.round(wl.elapsedMs)} ms; ${wl.meanPaintScriptMs.toFixed(1)} ms of script per paint)`);
    console.log(`W/L on 2500x2048 16-bit, 1:1: ${wlFull.fps.toFixed(1)} frames/s (${wlFull.paints} paints in ${Math.round(wlFull.elapsedMs)} ms; ${wlFull.meanPaintScriptMs.toFixed(1)} ms of script per paint)`);
    console.log(`click to findings: center ${clicks.center} ms, TenCrop ${clicks.tencrop} ms`);
    assert.deepEqual(browser.problems, [], 'no script errors in the page');
  });
});

/** Two animation frames: whatever the last input changed is painted. */
async function nextFrames(page: Page): Promise<void> {
  await page.evaluate(() => new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))));
}

/**
 * W/L speed, measured in the page: one pointer move per animation frame for 3 s, as a right-drag
 * delivers them, counting the paints that made it and their script time.
 */
async function measureWindowLevel(page: Page): Promise<{ moves: number; paints: number; elapsedMs: number; fps: number; meanPaintScriptMs: number }> {
  return page.evaluate(async () => {
    const stage = document.querySelector('[data-testid="viewer-stage"]') as unknown as PageStage;
    const canvas = document.querySelector('[data-testid="viewer-canvas"]')!;
    const r = stage.getBoundingClientRect();
    const x0 = r.left + r.width / 2;
    const y0 = r.top + r.height / 2;
    const ev = (type: string, x: number, y: number, buttons: number) => new PointerEvent(type, { bubbles: true, clientX: x, clientY: y, button: 2, buttons, pointerId: 1, pointerType: 'mouse', isPrimary: true });
    const paints0 = Number(canvas.dataset.paints);
    const ms0 = Number(canvas.dataset.paintMsTotal);
    stage.dispatchEvent(ev('pointerdown', x0, y0, 2));
    const t0 = performance.now();
    let moves = 0;
    await new Promise<void>((done) => {
      const step = () => {
        moves++;
        stage.dispatchEvent(ev('pointermove', x0 + (moves % 200) * 2, y0 + (moves % 100), 2));
        if (performance.now() - t0 < 3000) requestAnimationFrame(step);
        else done();
      };
      requestAnimationFrame(step);
    });
    const elapsed = performance.now() - t0;
    stage.dispatchEvent(ev('pointerup', x0, y0, 0));
    const paints = Number(canvas.dataset.paints) - paints0;
    return { moves, paints, elapsedMs: elapsed, fps: (paints * 1000) / elapsed, meanPaintScriptMs: (Number(canvas.dataset.paintMsTotal) - ms0) / paints };
  });
}

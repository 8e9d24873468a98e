/**
 * What the end-to-end tests need around the app: `chexdesk serve` started on a port of its own with a
 * throw-away CHEXDESK_HOME, Debian's Chromium driven by playwright-core (never a downloaded browser),
 * the CLI run for reference numbers, and screenshots saved as artifacts under test-results/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { PageCanvas, PageDocument } from './page-dom';

// canvasStats runs in the page; this only gives it types (see page-dom.ts).
declare const document: PageDocument;

export const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const CLI = join(REPO, 'dist', 'cli.js');
export const CHROMIUM = process.env.CHEXDESK_CHROMIUM ?? '/usr/bin/chromium';

/** `false` when the app is built and Chromium is installed, else why the e2e suite cannot run. */
export const skipWithoutBrowser: false | string =
  !existsSync(CHROMIUM) ? `needs Chromium at ${CHROMIUM} (apt-get install chromium)`
  : !existsSync(CLI) || !existsSync(join(REPO, 'dist', 'renderer', 'index.html')) ? 'needs the built app (npm run build)'
  : false;

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Served {
  url: string;
  process: ChildProcess;
  /** Everything the server printed (for a failing test's message). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts `chexdesk serve <folder> --port 0 --model <dir>` and waits for its Listening line. */
export async function startServe(opts: { folder?: string; modelDir?: string; home: string; timeoutMs?: number }): Promise<Served> {
  const args = [CLI, 'serve'];
  if (opts.folder) args.push(opts.folder);
  args.push('--port', '0');
  if (opts.modelDir) args.push('--model', opts.modelDir);
  const child = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, CHEXDESK_HOME: opts.home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (out += d));
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve did not print its address within ${opts.timeoutMs ?? 60_000} ms:\n${out}`)), opts.timeoutMs ?? 60_000);
    child.stdout!.on('data', (d: string) => {
      out += d;
      const m = /Listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`serve exited with code ${code} before listening:\n${out}`));
    });
  });
  return {
    url,
    process: child,
    log: () => out,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(kill);
          done();
        });
        child.kill('SIGTERM');
      }),
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far. */
  problems: string[];
  close(): Promise<void>;
}

/** Debian's Chromium, headless, without a GPU, in a fresh profile. */
export async function launchBrowser(opts: { width?: number; height?: number; deviceScaleFactor?: number } = {}): Promise<Browser> {
  const profile = tempDir('chexdesk-chromium-');
  const context = await chromium.launchPersistentContext(profile.dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: opts.width ?? 1600, height: opts.height ?? 1000 },
    deviceScaleFactor: opts.deviceScaleFactor ?? 1,
    acceptDownloads: true,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  // tsx compiles test files with esbuild's keepNames, which wraps named functions in __name(); callbacks
  // that page.evaluate serialises into the page need it to exist there.
  await context.addInitScript({ content: 'globalThis.__name ??= (f) => f;' });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Failed API calls are logged by Chromium as resource errors; the app shows those itself.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return {
    context,
    page,
    problems,
    close: async () => {
      await context.close();
      profile.remove();
    },
  };
}

/** Runs the CLI and returns its exit code and output. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', fail);
    child.once('exit', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/** One row of `chexdesk scan --out x.jsonl`. */
export interface CliRow {
  path: string;
  frame: number;
  frames: number;
  mode: string;
  probabilities: Record<string, number> | null;
  topLabel: string | null;
  error: string | null;
  errorCode?: string;
}

export function readJsonl(path: string): CliRow[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as CliRow);
}

/** Screenshots of each step, numbered in order, under test-results/<suite>/. */
export class Artifacts {
  readonly dir: string;
  private n = 0;
  constructor(suite: string) {
    this.dir = join(REPO, 'test-results', suite);
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
  }

  async shot(page: Page, step: string): Promise<string> {
    const file = join(this.dir, `${String(++this.n).padStart(2, '0')}-${step}.png`);
    await page.screenshot({ path: file });
    return file;
  }

  path(name: string): string {
    return join(this.dir, name);
  }
}

export interface CanvasStats {
  width: number;
  height: number;
  /** Mean gray (average of R, G, B) over the region. */
  mean: number;
  /** Distinct red values among sampled pixels. */
  distinct: number;
  /** Pixels whose channels differ clearly (colour, e.g. a heatmap). */
  colored: number;
  hash: number;
}

/**
 * Statistics of the viewer canvas' pixels, read in the page (the canvas is same-origin, never
 * tainted). `region` is the central fraction of the canvas to look at (1 = all of it).
 */
export async function canvasStats(page: Page, region = 1): Promise<CanvasStats> {
  return page.evaluate((region) => {
    const c = document.querySelector<PageCanvas>('[data-testid="viewer-canvas"]')!;
    const w = Math.max(1, Math.round(c.width * region));
    const h = Math.max(1, Math.round(c.height * region));
    const d = c.getContext('2d')!.getImageData(Math.floor((c.width - w) / 2), Math.floor((c.height - h) / 2), w, h).data;
    let sum = 0;
    let colored = 0;
    let hash = 2166136261;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) {
      sum += d[i]! + d[i + 1]! + d[i + 2]!;
      if (Math.abs(d[i]! - d[i + 1]!) > 24 || Math.abs(d[i + 1]! - d[i + 2]!) > 24) colored++;
      if ((i & 63) === 0) {
        seen.add(d[i]!);
        hash = Math.imul(hash ^ (d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16)), 16777619);
      }
    }
    return { width: c.width, height: c.height, mean: sum / (d.length / 4) / 3, distinct: seen.size, colored, hash: hash >>> 0 };
  }, region);
}

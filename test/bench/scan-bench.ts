/**
 * The scan benchmark (issue 3, §6): `chexdesk scan` against the PyTorch reference pipeline
 * (../shared/reference/pytorch_pipeline.py, see ../shared/reference/BASELINE.md), on the shared chest
 * X-rays with the stand-in model, or on synthetic chest images with the demo model when ../shared is
 * absent (then the PyTorch comparison is skipped: the reference script needs the shared weights).
 *
 * Sections:
 *   e2e      whole-process runs of both pipelines over the same flat folder, alternated, per mode;
 *            medians of wall time -> images/s and the ratio; also each pipeline's own rate (without
 *            process start and model load) and the in-pipeline split from the scan's JSONL timings
 *   latency  one image at a time in this process (model loaded once): openImage -> render8 ->
 *            preprocess -> infer, p50/p95 and the decode/preprocess/inference medians per mode
 *   memory   peak RSS of a center scan of 12 vs 1,200 images, and RSS sampled during the 1,200 run
 *   variants the scan's own rate with other --jobs/--threads, to see what helps
 *
 * Every scan runs from a copy of dist/ taken at the start, so another `npm run build` in the same tree
 * (which deletes dist/) cannot break or change the build being measured.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import type { Mode } from '../../main/api';
import { openImage } from '../../main/image/open-image';
import { render8 } from '../../main/image/render8';
import { SeededRandom } from '../../main/model/seeded-random';
import { syntheticChestGray } from '../../main/model/synthetic-chest';
import { infer } from '../../main/model/predict';
import { preprocess } from '../../main/preprocess/preprocess';
import { loadModel, releaseAllModels } from '../../main/model/session';
import { SHARED, sharedPath } from '../support/shared';

export type ScanSection = 'e2e' | 'latency' | 'memory' | 'variants';
export const SCAN_SECTIONS: readonly ScanSection[] = ['e2e', 'latency', 'memory', 'variants'];

export interface ScanBenchOptions {
  sections: readonly ScanSection[];
  /** Whole-process runs per pipeline and mode (e2e), and rounds per variant. */
  runs: number;
  /** The repository root (holds dist/ and bench-results/). */
  repo: string;
  log(line: string): void;
}

const MODES: readonly Mode[] = ['center', 'tencrop'];
/** Copies of the 12 images in the e2e folders: enough that the run is not all process start. */
const E2E_COPIES: Record<Mode, number> = { center: 4, tencrop: 2 };
/** In-process latency: passes over the images after one warm-up pass. */
const LATENCY_ROUNDS: Record<Mode, number> = { center: 5, tencrop: 2 };
const MEMORY_COPIES = 100;
const RSS_SAMPLE_MS = 250;
const REFERENCE_PYTHON = '/usr/bin/python3';
const MARKER = '@@chexdesk-bench maxrss-kb=';

// ───────────────────────── results ─────────────────────────

export interface ProcRun {
  wallMs: number;
  images: number;
  /** images / whole-process seconds */
  rate: number;
  /** The rate the program reports for itself (after start-up and model load). */
  selfRate: number | null;
  /** Exact peak RSS (getrusage at exit) for the scan; the highest VmHWM seen by polling for Python. */
  peakRssMb: number | null;
  peakExact: boolean;
  load1: number;
  /** Scan only: medians of this run's row timings (a run slow in every step points at the machine). */
  split?: Split;
}

export interface ModeE2E {
  mode: Mode;
  images: number;
  ours: ProcRun[];
  pytorch: ProcRun[];
  oursMedianRate: number;
  oursMedianSelfRate: number | null;
  pytorchMedianRate: number | null;
  pytorchMedianSelfRate: number | null;
  /** ours / pytorch, whole process */
  ratio: number | null;
  selfRatio: number | null;
  /** Medians of the scan rows' own timings (decode and preprocess in workers, inference on the main thread). */
  pipelineSplit: Split | null;
  /** Share of the scan's own time that the session spent in inference (median over runs). */
  sessionBusy: number | null;
}

export interface Split {
  decodeMs: number;
  preprocessMs: number;
  inferenceMs: number;
}

export interface ModeLatency {
  mode: Mode;
  samples: number;
  p50Ms: number;
  p95Ms: number;
  split: Split;
  perImageMedianMs: Record<string, number>;
}

export interface RssSample {
  tMs: number;
  rssMb: number;
  rows: number;
}

export interface MemoryRun {
  images: number;
  wallMs: number;
  selfRate: number | null;
  peakRssMb: number;
  samples: RssSample[];
}

export interface VariantRun {
  mode: Mode;
  label: string;
  args: string[];
  selfRates: number[];
  medianSelfRate: number;
}

export interface ScanBenchResult {
  setup: { model: string; images: string[]; source: 'shared' | 'synthetic'; pytorch: string | null; cores: number };
  e2e?: ModeE2E[];
  latency?: { threads: number; modes: ModeLatency[] };
  /** ratio = large / small peak; medium (120 images) shows where the plateau starts. */
  memory?: { small: MemoryRun; medium: MemoryRun; large: MemoryRun; ratio: number };
  variants?: VariantRun[];
  loadDuring: number[];
  /** Markdown rows for the closing summary table. */
  summary: string[];
  /** Sections that failed, with the reason. */
  errors: string[];
}

// ───────────────────────── small helpers ─────────────────────────

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Nearest-rank percentile. */
const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};

const f1 = (x: number): string => x.toFixed(1);
const f2 = (x: number): string => x.toFixed(2);
const load1 = (): number => loadavg()[0]!;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ───────────────────────── processes ─────────────────────────

interface ProcOutcome {
  code: number | null;
  wallMs: number;
  stdout: string;
  stderr: string;
  /** From the preload's getrusage at exit (node children only). */
  maxRssKb: number | null;
  /** Highest VmHWM read from /proc while polling. */
  hwmKb: number | null;
  samples: { tMs: number; rssKb: number; outBytes: number }[];
  load1: number;
}

function readStatusKb(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return rss && hwm ? { rss: Number(rss[1]), hwm: Number(hwm[1]) } : null;
  } catch {
    return null;
  }
}

/** Runs a whole process, timing it from spawn to exit and polling its RSS (and the size of watchFile). */
function runProcess(cmd: string, args: string[], watchFile?: string, onSample?: (tMs: number) => void): Promise<ProcOutcome> {
  return new Promise((resolvePromise, reject) => {
    const load = load1();
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const samples: ProcOutcome['samples'] = [];
    let hwm: number | null = null;
    const poll = () => {
      if (child.pid === undefined) return;
      const s = readStatusKb(child.pid);
      if (!s) return;
      hwm = Math.max(hwm ?? 0, s.hwm);
      let outBytes = 0;
      if (watchFile) {
        try {
          outBytes = statSync(watchFile).size;
        } catch {
          outBytes = 0;
        }
      }
      samples.push({ tMs: performance.now() - started, rssKb: s.rss, outBytes });
      onSample?.(performance.now() - started);
    };
    const timer = setInterval(poll, RSS_SAMPLE_MS);
    child.on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      clearInterval(timer);
      let maxRssKb: number | null = null;
      const at = stderr.lastIndexOf(MARKER);
      if (at >= 0) {
        maxRssKb = Number(stderr.slice(at + MARKER.length).split('\n')[0]);
        stderr = stderr.slice(0, at).trimEnd();
      }
      resolvePromise({ code, wallMs, stdout, stderr, maxRssKb, hwmKb: hwm, samples, load1: load });
    });
  });
}

// ───────────────────────── setup ─────────────────────────

interface Setup {
  tmp: string;
  cli: string;
  preload: string;
  modelDir: string;
  images: string[];
  source: 'shared' | 'synthetic';
  /** Why the PyTorch comparison is skipped, or null when it runs. */
  pytorchSkip: string | null;
  pytorchScript: string | null;
}

function snapshotDist(repo: string, to: string): string {
  const from = join(repo, 'dist');
  if (!existsSync(join(from, 'cli.js')) || !existsSync(join(from, 'decode-worker.js'))) {
    throw new Error('dist/cli.js or dist/decode-worker.js is missing: run `npm run build` first (`npm run bench` does)');
  }
  // Inside the repo, so the bundle still resolves its external packages from the repo's node_modules.
  mkdirSync(to, { recursive: true });
  for (const f of ['cli.js', 'decode-worker.js']) copyFileSync(join(from, f), join(to, f));
  return join(to, 'cli.js');
}

async function writeSyntheticImages(dir: string): Promise<string[]> {
  const rng = new SeededRandom(20260311);
  const sizes = [1024, 896, 1024, 768];
  const out: string[] = [];
  for (let i = 0; i < 12; i++) {
    const size = sizes[i % sizes.length]!;
    const gray = syntheticChestGray(rng, size);
    const u8 = new Uint8Array(gray.length);
    for (let j = 0; j < gray.length; j++) u8[j] = Math.round(gray[j]! * 255);
    const img = sharp(u8, { raw: { width: size, height: size, channels: 1 } });
    const file = join(dir, `synthetic-${String(i).padStart(2, '0')}.${i % 3 === 2 ? 'jpg' : 'png'}`);
    await (i % 3 === 2 ? img.jpeg({ quality: 92 }) : img.png()).toFile(file);
    out.push(file);
  }
  return out;
}

async function prepareSetup(opts: ScanBenchOptions, tmp: string, cli: string): Promise<Setup> {
  const preload = join(tmp, 'maxrss-preload.mjs');
  // getrusage at exit: the whole process's peak RSS (decode worker threads included), no extra package.
  writeFileSync(
    preload,
    `import { writeSync } from 'node:fs';\nprocess.on('exit', () => { writeSync(2, '\\n${MARKER}' + process.resourceUsage().maxRSS + '\\n'); });\n`,
  );
  if (SHARED) {
    const dir = sharedPath('fixtures', 'cxr');
    const images = readdirSync(dir)
      .filter((f) => /\.(png|jpe?g)$/i.test(f))
      .sort()
      .map((f) => join(dir, f));
    const script = sharedPath('reference', 'pytorch_pipeline.py');
    let pytorchSkip: string | null = null;
    if (!existsSync(REFERENCE_PYTHON)) pytorchSkip = `${REFERENCE_PYTHON} not found`;
    else {
      const check = spawnSync(REFERENCE_PYTHON, ['-c', 'import torch, torchvision, PIL'], { encoding: 'utf8' });
      if (check.status !== 0) pytorchSkip = `${REFERENCE_PYTHON} cannot import torch/torchvision/PIL (${(check.stderr || '').trim().split('\n').pop()})`;
    }
    return { tmp, cli, preload, modelDir: sharedPath('models', 'chexnet-standin'), images, source: 'shared', pytorchSkip, pytorchScript: pytorchSkip ? null : script };
  }
  opts.log('../shared not found: making the demo model and 12 synthetic chest images (PyTorch comparison skipped: the reference script needs the shared weights)');
  const modelDir = join(tmp, 'demo-model');
  const made = spawnSync(process.execPath, [cli, 'demo-model', modelDir], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`demo-model failed: ${made.stderr.trim()}`);
  const imageDir = join(tmp, 'synthetic');
  mkdirSync(imageDir);
  const images = await writeSyntheticImages(imageDir);
  return { tmp, cli, preload, modelDir, images, source: 'synthetic', pytorchSkip: '../shared is absent (the reference script needs the shared weights)', pytorchScript: null };
}

/** A folder of symlinks: `copies` of every image under different names, flat or in subfolders of `perFolder`. */
function linkFolder(dir: string, images: readonly string[], copies: number, layout: 'flat' | 'subfolders'): number {
  mkdirSync(dir, { recursive: true });
  let n = 0;
  for (let c = 0; c < copies; c++) {
    const sub = layout === 'flat' ? dir : join(dir, `part-${String(c).padStart(3, '0')}`);
    mkdirSync(sub, { recursive: true });
    for (const image of images) {
      symlinkSync(image, join(sub, `c${String(c).padStart(3, '0')}-${basename(image)}`));
      n++;
    }
  }
  return n;
}

// ───────────────────────── one scan / one PyTorch run ─────────────────────────

interface ScanRunOutcome extends ProcRun {
  rows: ScanJsonRow[];
  samples: RssSample[];
}

interface ScanJsonRow {
  error: unknown;
  timings?: Split;
}

let outCounter = 0;

async function runScanProcess(
  setup: Setup,
  folder: string,
  mode: Mode,
  expected: number,
  extra: string[] = [],
  progress?: (rowsDone: () => number, tMs: number) => void,
): Promise<ScanRunOutcome> {
  const out = join(setup.tmp, `out-${outCounter++}.jsonl`);
  const args = ['--import', pathToFileURL(setup.preload).href, setup.cli, 'scan', folder, '--model', setup.modelDir, '--out', out, ...extra];
  if (mode === 'tencrop') args.push('--tencrop');
  // Not --quiet: the summary line on stderr carries the scan's own images/s (a non-TTY gets a
  // progress line only every 5 s, so this costs nothing measurable).
  const countRows = () => {
    try {
      return readFileSync(out, 'utf8').split('\n').length - 1;
    } catch {
      return 0;
    }
  };
  const r = await runProcess(process.execPath, args, out, progress && ((tMs) => progress(countRows, tMs)));
  const text = existsSync(out) ? readFileSync(out, 'utf8') : '';
  rmSync(out, { force: true });
  const lines = text.split('\n').filter((l) => l.length > 0);
  const rows = lines.map((l) => JSON.parse(l) as ScanJsonRow);
  const failed = rows.filter((row) => row.error != null).length;
  // A scan that failed or skipped images would look fast: refuse to report it.
  if (r.code !== 0 || rows.length !== expected || failed > 0) {
    throw new Error(`scan of ${folder} (${mode}) exited ${r.code} with ${rows.length}/${expected} rows, ${failed} failed:\n${r.stderr.slice(-2000)}`);
  }
  const self = /\(([\d.]+) images\/s, (?:center|tencrop)\)/.exec(r.stderr);
  // Row ends in bytes, to turn each sample's output-file size into rows done.
  const ends: number[] = [];
  let offset = 0;
  for (const l of lines) {
    offset += Buffer.byteLength(l) + 1;
    ends.push(offset);
  }
  const rowsAt = (bytes: number) => {
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]! <= bytes) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const timed = rows.map((row) => row.timings).filter((t): t is Split => t !== undefined);
  return {
    ...(timed.length ? { split: { decodeMs: median(timed.map((t) => t.decodeMs)), preprocessMs: median(timed.map((t) => t.preprocessMs)), inferenceMs: median(timed.map((t) => t.inferenceMs)) } } : {}),
    wallMs: r.wallMs,
    images: rows.length,
    rate: (rows.length * 1000) / r.wallMs,
    selfRate: self ? Number(self[1]) : null,
    peakRssMb: r.maxRssKb !== null ? r.maxRssKb / 1024 : r.hwmKb !== null ? r.hwmKb / 1024 : null,
    peakExact: r.maxRssKb !== null,
    load1: r.load1,
    rows,
    samples: r.samples.map((s) => ({ tMs: s.tMs, rssMb: s.rssKb / 1024, rows: rowsAt(s.outBytes) })),
  };
}

async function runPytorchProcess(setup: Setup, folder: string, mode: Mode, expected: number): Promise<ProcRun> {
  const r = await runProcess(REFERENCE_PYTHON, [setup.pytorchScript!, folder, mode]);
  const m = /(\d+) images in ([\d.]+) s \(([\d.]+) images\/s\)/.exec(r.stdout);
  if (r.code !== 0 || !m || Number(m[1]) !== expected) {
    throw new Error(`the PyTorch reference on ${folder} (${mode}) exited ${r.code}: ${(r.stdout + r.stderr).slice(-2000)}`);
  }
  return {
    wallMs: r.wallMs,
    images: expected,
    rate: (expected * 1000) / r.wallMs,
    selfRate: Number(m[3]),
    peakRssMb: r.hwmKb !== null ? r.hwmKb / 1024 : null,
    peakExact: false,
    load1: r.load1,
  };
}

function describeRun(who: string, r: ProcRun): string {
  const peak = r.peakRssMb === null ? '-' : `${r.peakExact ? '' : '~'}${r.peakRssMb.toFixed(0)} MB`;
  const self = r.selfRate === null ? '-' : f2(r.selfRate);
  const split = r.split ? `  rows: ${f1(r.split.decodeMs)}/${f1(r.split.preprocessMs)}/${f1(r.split.inferenceMs)} ms` : '';
  return `${who.padEnd(8)} ${r.images} images  ${(r.wallMs / 1000).toFixed(2).padStart(6)} s  ${f2(r.rate).padStart(6)} img/s whole process  (own rate ${self} img/s)  peak RSS ${peak}  load ${f1(r.load1)}${split}`;
}

// ───────────────────────── sections ─────────────────────────

async function benchE2E(setup: Setup, opts: ScanBenchOptions, loads: number[]): Promise<ModeE2E[]> {
  const { log } = opts;
  const hasTorch = setup.pytorchScript !== null;
  log(`\n== end to end: whole processes, ${opts.runs} runs each, alternated${hasTorch ? '' : ` (PyTorch skipped: ${setup.pytorchSkip})`} ==`);
  log(`ours:    node dist/cli.js scan DIR --model ${setup.modelDir} [--tencrop] --out RUN.jsonl`);
  if (hasTorch) log(`PyTorch: ${REFERENCE_PYTHON} ${setup.pytorchScript} DIR center|tencrop`);
  log('wall time = spawn to exit (process start, imports, model load, every image); "own rate" = what each program reports, without start-up and model load;');
  log('rows = medians of the scan rows\' decode/preprocess/inference ms in that run');

  const warm = join(setup.tmp, 'e2e-warmup');
  const warmN = linkFolder(warm, setup.images, 1, 'flat');
  log('warm-up (not counted): one run of each over the 12 images');
  await runScanProcess(setup, warm, 'center', warmN);
  if (hasTorch) await runPytorchProcess(setup, warm, 'center', warmN);

  const results: ModeE2E[] = [];
  for (const mode of MODES) {
    const folder = join(setup.tmp, `e2e-${mode}`);
    const n = linkFolder(folder, setup.images, E2E_COPIES[mode], 'flat');
    log(`\n${mode}: ${n} images (${E2E_COPIES[mode]} x the ${setup.images.length} images, one flat folder of symlinks)`);
    const ours: ScanRunOutcome[] = [];
    const pytorch: ProcRun[] = [];
    for (let i = 0; i < opts.runs; i++) {
      // ABBA order, so a drift in the machine's load does not favour one side.
      const order: ('ours' | 'pytorch')[] = i % 2 === 0 ? ['pytorch', 'ours'] : ['ours', 'pytorch'];
      for (const who of order) {
        if (who === 'pytorch' && !hasTorch) continue;
        if (who === 'ours') {
          const r = await runScanProcess(setup, folder, mode, n);
          ours.push(r);
          loads.push(r.load1);
          log(`  [${i + 1}/${opts.runs}] ${describeRun('CheXDesk', r)}`);
        } else {
          const r = await runPytorchProcess(setup, folder, mode, n);
          pytorch.push(r);
          loads.push(r.load1);
          log(`  [${i + 1}/${opts.runs}] ${describeRun('PyTorch', r)}`);
        }
      }
    }
    const oursWall = median(ours.map((r) => r.wallMs));
    const oursRate = (n * 1000) / oursWall;
    const oursSelf = ours.every((r) => r.selfRate !== null) ? median(ours.map((r) => r.selfRate!)) : null;
    const torchRate = hasTorch ? (n * 1000) / median(pytorch.map((r) => r.wallMs)) : null;
    const torchSelf = hasTorch ? median(pytorch.map((r) => r.selfRate!)) : null;
    const timed = ours.flatMap((r) => r.rows.map((row) => row.timings).filter((t): t is Split => t !== undefined));
    const pipelineSplit = timed.length
      ? { decodeMs: median(timed.map((t) => t.decodeMs)), preprocessMs: median(timed.map((t) => t.preprocessMs)), inferenceMs: median(timed.map((t) => t.inferenceMs)) }
      : null;
    // Row inferenceMs is the batch's time shared among its images, so the sum is the session's busy time.
    const busy = ours.map((r) => (r.selfRate ? r.rows.reduce((sum, row) => sum + (row.timings?.inferenceMs ?? 0), 0) / ((r.images / r.selfRate) * 1000) : NaN)).filter(Number.isFinite);
    const sessionBusy = busy.length ? median(busy) : null;
    const e: ModeE2E = {
      mode,
      images: n,
      ours: ours.map(({ rows: _rows, samples: _samples, ...rest }) => rest),
      pytorch,
      oursMedianRate: oursRate,
      oursMedianSelfRate: oursSelf,
      pytorchMedianRate: torchRate,
      pytorchMedianSelfRate: torchSelf,
      ratio: torchRate ? oursRate / torchRate : null,
      selfRatio: torchSelf && oursSelf ? oursSelf / torchSelf : null,
      pipelineSplit,
      sessionBusy,
    };
    const spread = (xs: number[]) => (xs.length > 1 ? ` (runs spread ${f2(Math.max(...xs) / Math.min(...xs))}x)` : '');
    log(`  median: CheXDesk ${f2(oursRate)} img/s${spread(ours.map((r) => r.wallMs))}` + (torchRate ? `, PyTorch ${f2(torchRate)} img/s${spread(pytorch.map((r) => r.wallMs))} -> ratio ${f2(e.ratio!)}x (target >= 1.5x)` : ''));
    if (oursSelf !== null) log(`  own rates: CheXDesk ${f2(oursSelf)} img/s` + (torchSelf ? `, PyTorch ${f2(torchSelf)} img/s -> ${f2(e.selfRatio!)}x` : ''));
    if (pipelineSplit) {
      log(
        `  in the scan (row timings, medians): decode ${f1(pipelineSplit.decodeMs)} ms + preprocess ${f1(pipelineSplit.preprocessMs)} ms in the decode worker, inference ${f1(pipelineSplit.inferenceMs)} ms` +
          (mode === 'center' ? ' (per image: batch time / batch size)' : ''),
      );
    }
    if (sessionBusy !== null) log(`  the session ran inference ${(sessionBusy * 100).toFixed(0)}% of the scan's own time (sum of row inferenceMs / (images / own rate)); the rest it waited for decoded images or did other work`);
    results.push(e);
  }
  return results;
}

async function benchLatency(setup: Setup, log: (line: string) => void): Promise<{ threads: number; modes: ModeLatency[] }> {
  log('\n== one image at a time, in process (model loaded once): openImage -> render8 -> preprocess -> infer ==');
  const model = await loadModel(setup.modelDir);
  log(`session: ${model.threads} intra-op threads; decode = read + decode + render8, preprocess = resize + crop + normalise, inference = session.run`);
  const modes: ModeLatency[] = [];
  try {
    for (const mode of MODES) {
      const rounds = LATENCY_ROUNDS[mode];
      const totals: number[] = [];
      const decode: number[] = [];
      const prep: number[] = [];
      const inference: number[] = [];
      const perImage = new Map<string, number[]>();
      for (let round = -1; round < rounds; round++) {
        for (const path of setup.images) {
          const a = performance.now();
          const opened = await openImage(path);
          const image8 = render8(await opened.frame(0));
          const b = performance.now();
          const p = preprocess(image8, model.manifest, mode);
          const c = performance.now();
          await infer(model, p.tensor, p.dims);
          const d = performance.now();
          if (round < 0) continue; // warm-up pass
          totals.push(d - a);
          decode.push(b - a);
          prep.push(c - b);
          inference.push(d - c);
          const name = basename(path);
          perImage.set(name, [...(perImage.get(name) ?? []), d - a]);
        }
        if (round >= 0) log(`  ${mode}: pass ${round + 1}/${rounds} done (load ${f1(load1())})`);
      }
      const m: ModeLatency = {
        mode,
        samples: totals.length,
        p50Ms: percentile(totals, 50),
        p95Ms: percentile(totals, 95),
        split: { decodeMs: median(decode), preprocessMs: median(prep), inferenceMs: median(inference) },
        perImageMedianMs: Object.fromEntries([...perImage].map(([k, v]) => [k, median(v)])),
      };
      modes.push(m);
    }
  } finally {
    await releaseAllModels();
  }
  log(
    table(
      ['mode', 'images', 'p50 ms', 'p95 ms', 'decode ms', 'preprocess ms', 'inference ms'],
      modes.map((m) => [m.mode, String(m.samples), f1(m.p50Ms), f1(m.p95Ms), f1(m.split.decodeMs), f1(m.split.preprocessMs), f1(m.split.inferenceMs)]),
    ),
  );
  log(`(${setup.images.length} images x ${MODES.map((m) => `${LATENCY_ROUNDS[m]} ${m}`).join(' / ')} passes after a warm-up pass; split = medians of each step)`);
  const slowest = (m: ModeLatency) => Object.entries(m.perImageMedianMs).sort((a, b) => b[1] - a[1])[0];
  for (const m of modes) {
    const s = slowest(m);
    if (s) log(`  slowest image (${m.mode}): ${s[0]} ${f1(s[1])} ms median`);
  }
  return { threads: model.threads, modes };
}

async function benchMemory(setup: Setup, log: (line: string) => void, loads: number[]): Promise<NonNullable<ScanBenchResult['memory']>> {
  log(`\n== memory: center scans of 12, 120 and ${12 * MEMORY_COPIES} images (symlinks in ${MEMORY_COPIES} subfolders), peak RSS from getrusage at exit ==`);
  const smallDir = join(setup.tmp, 'mem-12');
  const largeDir = join(setup.tmp, `mem-${12 * MEMORY_COPIES}`);
  const mediumDir = join(setup.tmp, 'mem-120');
  const nSmall = linkFolder(smallDir, setup.images, 1, 'subfolders');
  const nMedium = linkFolder(mediumDir, setup.images, 10, 'subfolders');
  const nLarge = linkFolder(largeDir, setup.images, MEMORY_COPIES, 'subfolders');
  const toRun = (r: ScanRunOutcome): MemoryRun => ({ images: r.images, wallMs: r.wallMs, selfRate: r.selfRate, peakRssMb: r.peakRssMb!, samples: r.samples });
  const small = toRun(await runScanProcess(setup, smallDir, 'center', nSmall));
  log(`  ${nSmall} images: peak RSS ${small.peakRssMb.toFixed(0)} MB, ${(small.wallMs / 1000).toFixed(1)} s`);
  // A middle size shows whether a difference between 12 and 1,200 is growth or a one-off warm-up.
  const medium = toRun(await runScanProcess(setup, mediumDir, 'center', nMedium));
  log(`  ${nMedium} images: peak RSS ${medium.peakRssMb.toFixed(0)} MB, ${(medium.wallMs / 1000).toFixed(1)} s`);
  log(`  ${nLarge} images: running...`);
  let nextMark = 0.25;
  let lastLook = 0;
  const largeOutcome = await runScanProcess(setup, largeDir, 'center', nLarge, [], (rowsDone, tMs) => {
    if (tMs - lastLook < 3_000) return;
    lastLook = tMs;
    const done = rowsDone();
    if (done < nextMark * nLarge) return;
    log(`    ${done}/${nLarge} rows after ${f1(tMs / 1000)} s (load ${f1(load1())})`);
    while (nextMark <= done / nLarge) nextMark += 0.25;
  });
  loads.push(largeOutcome.load1);
  const large = toRun(largeOutcome);
  const ratio = large.peakRssMb / small.peakRssMb;
  log(`  ${nLarge} images: peak RSS ${large.peakRssMb.toFixed(0)} MB, ${(large.wallMs / 1000).toFixed(1)} s, own rate ${large.selfRate === null ? '-' : f2(large.selfRate)} img/s`);
  log(`  peak RSS ratio ${nLarge} / ${nSmall} images = ${f2(ratio)}x, ${nLarge} / ${nMedium} = ${f2(large.peakRssMb / medium.peakRssMb)}x`);
  // RSS as the scan goes: by rows written, so growth with the number of images would show as a slope.
  const marks = [0.1, 0.25, 0.5, 0.75, 0.9, 1];
  const rows = marks.map((f) => {
    const want = Math.round(f * nLarge);
    const s = large.samples.find((x) => x.rows >= want) ?? large.samples[large.samples.length - 1];
    return [f === 1 ? 'last sample' : `${Math.round(f * 100)}%`, s ? String(s.rows) : '-', s ? f1(s.tMs / 1000) : '-', s ? s.rssMb.toFixed(0) : '-'];
  });
  log(`RSS sampled every ${RSS_SAMPLE_MS} ms (VmRSS), against rows written:`);
  log(table(['rows done', 'rows', 't s', 'RSS MB'], rows));
  const mid = large.samples.filter((s) => s.rows >= 0.1 * nLarge && s.rows <= 0.95 * nLarge);
  if (mid.length > 2) {
    const first = mid.slice(0, Math.max(1, Math.floor(mid.length / 4)));
    const last = mid.slice(-Math.max(1, Math.floor(mid.length / 4)));
    const a = median(first.map((s) => s.rssMb));
    const b = median(last.map((s) => s.rssMb));
    log(`  RSS between 10% and 95% of rows: min ${Math.min(...mid.map((s) => s.rssMb)).toFixed(0)} MB, max ${Math.max(...mid.map((s) => s.rssMb)).toFixed(0)} MB; median of the first quarter of samples ${a.toFixed(0)} MB vs last quarter ${b.toFixed(0)} MB (${b >= a ? '+' : ''}${(b - a).toFixed(0)} MB over ${mid[mid.length - 1]!.rows - mid[0]!.rows} images)`);
  }
  return { small, medium, large, ratio };
}

async function benchVariants(setup: Setup, opts: ScanBenchOptions, loads: number[]): Promise<VariantRun[]> {
  const { log } = opts;
  const cores = availableParallelism();
  log(`\n== variants: the scan's own rate (excluding start-up) with other settings; defaults are --jobs ${Math.max(1, cores - 1)} --threads ${cores} ==`);
  const centerDir = join(setup.tmp, 'var-center');
  const tencropDir = join(setup.tmp, 'var-tencrop');
  const nCenter = linkFolder(centerDir, setup.images, E2E_COPIES.center, 'flat');
  const nTencrop = linkFolder(tencropDir, setup.images, 1, 'flat');
  const variants: { mode: Mode; label: string; args: string[] }[] = [
    { mode: 'center', label: 'default', args: [] },
    { mode: 'center', label: '--jobs 2', args: ['--jobs', '2'] },
    { mode: 'center', label: '--threads 1', args: ['--threads', '1'] },
    { mode: 'tencrop', label: 'default', args: [] },
    { mode: 'tencrop', label: '--jobs 2', args: ['--jobs', '2'] },
    { mode: 'tencrop', label: '--threads 1', args: ['--threads', '1'] },
  ];
  const rounds = Math.max(2, Math.min(opts.runs, 3));
  const rates = variants.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    // Interleaved rounds, so load changes hit every variant alike.
    for (let i = 0; i < variants.length; i++) {
      const v = variants[i]!;
      const r = await runScanProcess(setup, v.mode === 'center' ? centerDir : tencropDir, v.mode, v.mode === 'center' ? nCenter : nTencrop, v.args);
      loads.push(r.load1);
      if (r.selfRate !== null) rates[i]!.push(r.selfRate);
    }
    log(`  round ${round + 1}/${rounds} done (load ${f1(load1())})`);
  }
  const out = variants.map((v, i): VariantRun => ({ ...v, selfRates: rates[i]!, medianSelfRate: median(rates[i]!) }));
  log(
    table(
      ['mode', 'setting', 'images', 'own img/s (median)', 'runs', 'vs default'],
      out.map((v) => {
        const base = out.find((d) => d.mode === v.mode && d.label === 'default')!;
        return [v.mode, v.label, String(v.mode === 'center' ? nCenter : nTencrop), f2(v.medianSelfRate), v.selfRates.map(f2).join(' '), `${f2(v.medianSelfRate / base.medianSelfRate)}x`];
      }),
    ),
  );
  return out;
}

// ───────────────────────── entry ─────────────────────────

export async function runScanBench(opts: ScanBenchOptions): Promise<ScanBenchResult> {
  const { log } = opts;
  const tmp = mkdtempSync(join(tmpdir(), 'chexdesk-scan-bench-'));
  const distCopy = join(opts.repo, 'bench-results', `.dist-${process.pid}`);
  const cleanUp = () => {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(distCopy, { recursive: true, force: true });
  };
  let setup: Setup;
  try {
    setup = await prepareSetup(opts, tmp, snapshotDist(opts.repo, distCopy));
  } catch (err) {
    cleanUp();
    throw err;
  }
  const loads: number[] = [load1()];
  const result: ScanBenchResult = {
    setup: {
      model: setup.modelDir,
      images: setup.images.map((p) => basename(p)),
      source: setup.source,
      pytorch: setup.pytorchScript,
      cores: availableParallelism(),
    },
    loadDuring: loads,
    summary: [],
    errors: [],
  };
  try {
    log(`model: ${setup.modelDir}`);
    log(`images: ${setup.images.length} ${setup.source === 'shared' ? 'shared chest X-rays (../shared/fixtures/cxr)' : 'synthetic chest images'}: ${setup.images.map((p) => `${basename(p)}`).join(', ')}`);
    log(`scan build: ${setup.cli} (a copy of dist/ made at the start)`);
    if (setup.pytorchSkip) log(`PyTorch comparison skipped: ${setup.pytorchSkip}`);
    // A section that fails is reported and the others still run.
    const section = async (name: ScanSection, body: () => Promise<void>) => {
      if (!opts.sections.includes(name)) return;
      try {
        await body();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        result.errors.push(`${name}: ${message}`);
        log(`\n${name} FAILED: ${message}`);
      }
    };
    await section('e2e', async () => void (result.e2e = await benchE2E(setup, opts, loads)));
    await section('latency', async () => void (result.latency = await benchLatency(setup, log)));
    await section('memory', async () => void (result.memory = await benchMemory(setup, log, loads)));
    await section('variants', async () => void (result.variants = await benchVariants(setup, opts, loads)));
    loads.push(load1());
  } finally {
    cleanUp();
  }
  result.summary = summaryRows(result);
  return result;
}

function summaryRows(r: ScanBenchResult): string[] {
  const rows: string[] = [];
  const label = (m: Mode) => (m === 'center' ? 'center crop' : 'TenCrop');
  for (const e of r.e2e ?? []) {
    const torch = e.pytorchMedianRate === null ? 'skipped' : `${f2(e.pytorchMedianRate)} img/s`;
    const ratio = e.ratio === null ? '-' : `**${f2(e.ratio)}x**`;
    rows.push(`| ${label(e.mode)}, whole process (${e.images} images, median of ${e.ours.length}) | ${f2(e.oursMedianRate)} img/s | ${torch} | ${ratio} |`);
    if (e.oursMedianSelfRate !== null) {
      const ts = e.pytorchMedianSelfRate === null ? '-' : `${f2(e.pytorchMedianSelfRate)} img/s`;
      rows.push(`| ${label(e.mode)}, own rate (no start-up / model load) | ${f2(e.oursMedianSelfRate)} img/s | ${ts} | ${e.selfRatio === null ? '-' : `${f2(e.selfRatio)}x`} |`);
    }
  }
  for (const m of r.latency?.modes ?? []) {
    rows.push(`| ${label(m.mode)}, one image p50 / p95 (in process) | ${f1(m.p50Ms)} / ${f1(m.p95Ms)} ms | | |`);
    rows.push(`| ${label(m.mode)}, split decode / preprocess / inference (medians) | ${f1(m.split.decodeMs)} / ${f1(m.split.preprocessMs)} / ${f1(m.split.inferenceMs)} ms | | |`);
  }
  if (r.memory) {
    const { small, medium, large, ratio } = r.memory;
    rows.push(
      `| peak RSS, center scan of ${small.images} / ${medium.images} / ${large.images} images | ${small.peakRssMb.toFixed(0)} / ${medium.peakRssMb.toFixed(0)} / ${large.peakRssMb.toFixed(0)} MB (${large.images} vs ${small.images}: ${f2(ratio)}x, vs ${medium.images}: ${f2(large.peakRssMb / medium.peakRssMb)}x) | | |`,
    );
    if (large.selfRate !== null) rows.push(`| center, own rate over ${large.images} images | ${f2(large.selfRate)} img/s | | |`);
  }
  const loads = r.loadDuring;
  if (loads.length) rows.push(`| load average (1 min) during the runs, ${r.setup.cores} cores | ${f1(Math.min(...loads))} – ${f1(Math.max(...loads))} | | |`);
  return rows;
}


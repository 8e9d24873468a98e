/**
 * `npm run bench [-- SECTION ...] [--runs N]`: runs the benchmark sections in turn, prints one readable
 * report, and writes it (text and figures) as JSON to bench-results/bench-<time>.json.
 *
 * Sections: decode (DICOM decode, test/bench/decode-bench.ts), and the scan's e2e, latency, memory and
 * variants (test/bench/scan-bench.ts); `scan` means all four. Default: everything.
 * --runs N: whole-process runs per pipeline and mode (default 3).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDecodeBench } from './decode-bench';
import { runScanBench, SCAN_SECTIONS, type ScanBenchResult, type ScanSection } from './scan-bench';

const USAGE = `usage: npm run bench [-- SECTION ...] [--runs N]
  sections: decode, scan (= ${SCAN_SECTIONS.join(' + ')}), ${SCAN_SECTIONS.join(', ')}; default: all`;

type Section = 'decode' | ScanSection;
const ALL: readonly Section[] = ['decode', ...SCAN_SECTIONS];

function parseArgs(argv: string[]): { sections: Section[]; runs: number } | null {
  const chosen = new Set<Section>();
  let runs = 3;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--runs') {
      runs = Number(argv[++i]);
      if (!(Number.isInteger(runs) && runs >= 1)) return null;
    } else if (a === 'scan') SCAN_SECTIONS.forEach((s) => chosen.add(s));
    else if ((ALL as readonly string[]).includes(a)) chosen.add(a as Section);
    else return null;
  }
  return { sections: chosen.size ? ALL.filter((s) => chosen.has(s)) : [...ALL], runs };
}

const repo = fileURLToPath(new URL('../..', import.meta.url));
const args = parseArgs(process.argv.slice(2));
if (!args) {
  process.stderr.write(USAGE + '\n');
  process.exit(1);
}

// Everything printed (ours and the decode bench's) is also kept for the JSON file.
let report = '';
const write = process.stdout.write.bind(process.stdout);
// Typed loosely because stdout.write has several overloads; every call passes through unchanged.
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  report += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stdout.write;
const log = (line: string) => process.stdout.write(line + '\n');

function gitHead(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repo, encoding: 'utf8' }).trim().length > 0;
    return `${head}${dirty ? ' (+ uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}

const version = (pkg: string): string => {
  try {
    return (JSON.parse(readFileSync(join(repo, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
};

const started = new Date();
const meta = {
  date: started.toISOString(),
  commit: gitHead(),
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  onnxruntime: version('onnxruntime-node'),
  sharp: version('sharp'),
  loadAtStart: loadavg(),
  sections: args.sections,
  runs: args.runs,
};
log(`CheXDesk benchmark, ${meta.date}, commit ${meta.commit}`);
log(`machine: ${meta.cpu}, ${meta.cores} cores, ${meta.memoryGb} GB; node ${meta.node}, onnxruntime-node ${meta.onnxruntime}, sharp ${meta.sharp}`);
log(`load average at start: ${meta.loadAtStart.map((l) => l.toFixed(2)).join(' ')} (other work on the machine slows every figure, PyTorch's most)`);
log(`sections: ${args.sections.join(', ')}`);

const results: { decode?: { ok: boolean; error?: string }; scan?: ScanBenchResult; scanError?: string } = {};
const t0 = performance.now();

if (args.sections.includes('decode')) {
  log('\n==================== DICOM decode ====================');
  try {
    await runDecodeBench();
    results.decode = { ok: true };
  } catch (err) {
    results.decode = { ok: false, error: err instanceof Error ? err.message : String(err) };
    log(`decode benchmark failed: ${results.decode.error}`);
  }
}

const scanSections = args.sections.filter((s): s is ScanSection => s !== 'decode');
if (scanSections.length) {
  log('\n==================== scan vs the PyTorch reference ====================');
  try {
    results.scan = await runScanBench({ sections: scanSections, runs: args.runs, repo, log });
  } catch (err) {
    results.scanError = err instanceof Error ? err.message : String(err);
    log(`scan benchmark failed: ${results.scanError}`);
  }
}

const minutes = (performance.now() - t0) / 60_000;
const loadAtEnd = loadavg();
log(`\nfinished in ${minutes.toFixed(1)} min; load average at end: ${loadAtEnd.map((l) => l.toFixed(2)).join(' ')}`);
if (results.scan?.summary.length) {
  log('\n==================== summary ====================');
  log('| measure | CheXDesk | PyTorch reference | ratio |');
  log('|---|---|---|---|');
  for (const row of results.scan.summary) log(row);
  const { setup } = results.scan;
  const data = setup.source === 'shared' ? 'the 12 shared chest X-rays, stand-in model' : '12 synthetic chest images, UNTRAINED demo model (no ../shared: no PyTorch comparison)';
  for (const e of results.scan.errors) log(`FAILED: ${e}`);
  log(`(${data}; ${meta.cpu}, ${meta.cores} cores, node ${meta.node}, onnxruntime-node ${meta.onnxruntime}; commit ${meta.commit}; ratio target >= 1.5x)`);
}

mkdirSync(join(repo, 'bench-results'), { recursive: true });
const stamp = started.toISOString().replace(/[:.]/g, '-').replace(/-\d+Z$/, 'Z');
const file = join(repo, 'bench-results', `bench-${stamp}.json`);
writeFileSync(file, JSON.stringify({ meta: { ...meta, loadAtEnd, minutes }, results, report }, null, 1) + '\n');
process.stderr.write(`report written to ${file}\n`);
process.exitCode = results.scanError || results.scan?.errors.length || results.decode?.ok === false ? 1 : 0;

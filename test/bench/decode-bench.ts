/**
 * DICOM decode cost: milliseconds per frame and peak memory for a 2500x2048 12-in-16-bit chest
 * radiograph in every transfer syntax we decode, and for the large radiographs of
 * ../shared/fixtures/dicom compared with native GDCM (through pydicom) on these machines.
 *
 * Inputs are made here: the shared RG1_J2KI radiograph (or a synthetic one without ../shared)
 * upscaled to 2048 columns x 2500 rows and reduced to 12 bits, written with dcmjs, then compressed
 * by DCMTK (dcmconv, dcmcrle, dcmcjpeg, dcmcjpls) and by the codecs' own WASM encoders (J2K, HTJ2K).
 * Each file is decoded in a fresh child process, so "first" includes loading and compiling the codec
 * (what a one-shot CLI pays) and the peak RSS is that file's alone; "warm" is the median of further
 * decodes in the same process (what a viewer or a batch scan pays per frame).
 *
 *   node --import tsx test/bench/decode-bench.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openImage } from '../../main/image/open-image';
import { SHARED, sharedPath } from '../support/shared';

const ROWS = 2500;
const COLUMNS = 2048;
const WARM_RUNS = 5;
const CHILD_FLAG = '--decode-bench-child';

/** Native GDCM (python3-gdcm via pydicom) on these machines, from the task brief, in ms. */
const GDCM_MS: Record<string, number> = { 'RG1_J2KI.dcm': 150, 'RG3_J2KR.dcm': 112, 'RG2_JLSN.dcm': 92 };

interface ChildResult {
  openMs: number;
  firstMs: number;
  warmMs: number;
  bestMs: number;
  maxRssMb: number;
  error?: string;
}

async function childMain(file: string): Promise<void> {
  const out: ChildResult = { openMs: 0, firstMs: 0, warmMs: 0, bestMs: 0, maxRssMb: 0 };
  try {
    let t = performance.now();
    const image = await openImage(file);
    out.openMs = performance.now() - t;
    t = performance.now();
    await image.frame(0);
    out.firstMs = performance.now() - t;
    const times: number[] = [];
    for (let i = 0; i < WARM_RUNS; i++) {
      t = performance.now();
      await image.frame(0);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    out.warmMs = times[Math.floor(times.length / 2)]!;
    out.bestMs = times[0]!;
  } catch (err) {
    out.error = err instanceof Error ? err.message : String(err);
  }
  out.maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify(out) + '\n');
}

const here = fileURLToPath(import.meta.url);

function measure(file: string): ChildResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', here, CHILD_FLAG, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ChildResult;
  } catch {
    return { openMs: 0, firstMs: 0, warmMs: 0, bestMs: 0, maxRssMb: 0, error: (r.stderr || 'child failed').trim().split('\n')[0]! };
  }
}

/** Bilinear resampling of a 16-bit image (enough to make a realistic larger radiograph). */
function resize(src: ArrayLike<number>, sw: number, sh: number, dw: number, dh: number, shift: number): Uint16Array {
  const out = new Uint16Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    const fy = ((y + 0.5) * sh) / dh - 0.5;
    const y0 = Math.max(0, Math.floor(fy));
    const y1 = Math.min(sh - 1, y0 + 1);
    const wy = Math.min(Math.max(fy - y0, 0), 1);
    for (let x = 0; x < dw; x++) {
      const fx = ((x + 0.5) * sw) / dw - 0.5;
      const x0 = Math.max(0, Math.floor(fx));
      const x1 = Math.min(sw - 1, x0 + 1);
      const wx = Math.min(Math.max(fx - x0, 0), 1);
      const top = src[y0 * sw + x0]! * (1 - wx) + src[y0 * sw + x1]! * wx;
      const bottom = src[y1 * sw + x0]! * (1 - wx) + src[y1 * sw + x1]! * wx;
      out[y * dw + x] = Math.round(top * (1 - wy) + bottom * wy) >> shift;
    }
  }
  return out;
}

async function sourceRadiograph(): Promise<{ pixels: Uint16Array; origin: string }> {
  if (SHARED) {
    const image = await openImage(sharedPath('fixtures', 'dicom', 'RG1_J2KI.dcm'));
    const f = await image.frame(0);
    if (f.kind === 'gray') {
      // 15-bit stored values -> 12 bits, the depth of most CR/DX and the most JPEG Extended carries.
      return { pixels: resize(f.stored, f.columns, f.rows, COLUMNS, ROWS, 3), origin: 'shared RG1_J2KI.dcm upscaled' };
    }
  }
  const pixels = new Uint16Array(COLUMNS * ROWS);
  let seed = 1;
  for (let y = 0; y < ROWS; y++) {
    for (let x = 0; x < COLUMNS; x++) {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      const body = 1800 + 1200 * Math.exp(-(((x - COLUMNS / 2) / (COLUMNS / 3)) ** 2)) * Math.cos((y / ROWS) * 3);
      pixels[y * COLUMNS + x] = Math.max(0, Math.min(4095, Math.round(body + (seed >>> 27))));
    }
  }
  return { pixels, origin: 'synthetic (../shared absent)' };
}

interface Input {
  label: string;
  file: string | null;
  note?: string;
}

function hasTool(tool: string): boolean {
  return spawnSync(tool, ['--version']).status === 0;
}

async function makeInputs(dir: string, pixels: Uint16Array): Promise<Input[]> {
  // Loaded here, not at the top: the child processes that measure decoding must not carry dcmjs.
  const { encodeFrame, writeDicom, TS } = await import('../support/dicom-files');
  const base = { rows: ROWS, columns: COLUMNS, bitsStored: 12, photometric: 'MONOCHROME2' };
  const native = join(dir, 'explicit-le.dcm');
  writeFileSync(native, writeDicom({ ...base, pixels }));
  const eight = join(dir, 'explicit-le-8bit.dcm');
  writeFileSync(eight, writeDicom({ ...base, bitsAllocated: 8, bitsStored: 8, pixels: Uint8Array.from(pixels, (v) => v >> 4) }));
  const inputs: Input[] = [{ label: 'Explicit VR Little Endian', file: native }];
  const dcmtk = hasTool('dcmconv');
  const viaDcmtk = (label: string, tool: string, args: string[], from = native, note?: string): void => {
    const out = join(dir, `${label.replace(/[^a-z0-9]+/gi, '-')}.dcm`);
    const ok = dcmtk && spawnSync(tool, [...args, from, out]).status === 0;
    inputs.push({ label, file: ok ? out : null, note: ok ? note : `${tool} unavailable or failed` });
  };
  viaDcmtk('Implicit VR Little Endian', 'dcmconv', ['+ti']);
  viaDcmtk('Explicit VR Big Endian', 'dcmconv', ['+tb']);
  viaDcmtk('Deflated Explicit VR LE', 'dcmconv', ['+td']);
  viaDcmtk('RLE Lossless', 'dcmcrle', []);
  viaDcmtk('JPEG Baseline 8-bit', 'dcmcjpeg', ['+eb'], eight, 'same image at 8 bits');
  viaDcmtk('JPEG Extended 12-bit', 'dcmcjpeg', ['+ee']);
  viaDcmtk('JPEG Lossless P14 (SV1)', 'dcmcjpeg', ['+e1']);
  viaDcmtk('JPEG Lossless P14 (SV6)', 'dcmcjpeg', ['+el', '+sv', '6']);
  viaDcmtk('JPEG-LS Lossless', 'dcmcjpls', ['+el']);
  viaDcmtk('JPEG-LS Near-Lossless', 'dcmcjpls', ['+en']);
  const layout = { width: COLUMNS, height: ROWS, bitsPerSample: 12, components: 1 as const };
  for (const [label, kind, ts, note] of [
    ['JPEG 2000 Lossless', 'j2k', TS.j2kLossless, undefined],
    ['JPEG 2000 (irreversible 9/7)', 'j2k-lossy', '1.2.840.10008.1.2.4.91', "OpenJPEG encoder's full rate"],
    ['HTJ2K Lossless', 'htj2k', TS.htj2kLossless, undefined],
  ] as const) {
    const file = join(dir, `${kind}.dcm`);
    writeFileSync(file, writeDicom({ ...base, transferSyntax: ts, encodedFrames: [await encodeFrame(kind, pixels, layout)] }));
    inputs.push({ label, file, note });
  }
  return inputs;
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export async function runDecodeBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'chexdesk-decode-bench-'));
  try {
    const { pixels, origin } = await sourceRadiograph();
    process.stdout.write(`DICOM decode benchmark: ${COLUMNS}x${ROWS}, 12 bits stored in 16 (${origin}); node ${process.version}\n`);
    process.stdout.write(`first = first frame in a fresh process (codec load + compile + decode); warm = median of ${WARM_RUNS} more, best = fastest of them; RSS = peak of that process\n`);
    process.stdout.write(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine inflates every number)\n\n`);
    const baseline = measure('--baseline');
    const inputs = await makeInputs(dir, pixels);
    const rows: string[][] = [];
    for (const input of inputs) {
      if (!input.file) {
        rows.push([input.label, '-', '-', '-', '-', '-', input.note ?? '']);
        continue;
      }
      const r = measure(input.file);
      if (r.error) rows.push([input.label, '-', '-', '-', '-', '-', `error: ${r.error}`]);
      else rows.push([input.label, fmt(r.openMs), fmt(r.firstMs), fmt(r.warmMs), fmt(r.bestMs), r.maxRssMb.toFixed(0), input.note ?? '']);
    }
    process.stdout.write(table(['transfer syntax', 'open ms', 'first ms', 'warm ms', 'best ms', 'peak RSS MB', 'note'], rows) + '\n');
    process.stdout.write(`(a child that only starts, loads the modules and exits peaks at ${baseline.maxRssMb.toFixed(0)} MB RSS)\n\n`);

    if (!SHARED) {
      process.stdout.write('shared radiographs: skipped (../shared not found)\n');
      return;
    }
    const shared: string[][] = [];
    for (const file of ['RG1_J2KI.dcm', 'RG3_J2KR.dcm', 'RG2_JLSN.dcm']) {
      const image = await openImage(sharedPath('fixtures', 'dicom', file));
      const r = measure(sharedPath('fixtures', 'dicom', file));
      const gdcm = GDCM_MS[file]!;
      shared.push([
        `${file} (${image.info.dicom!.transferSyntax.name.replace(/ Image Compression/, '')}, ${image.info.columns}x${image.info.rows})`,
        fmt(r.firstMs),
        fmt(r.warmMs),
        fmt(r.bestMs),
        r.maxRssMb.toFixed(0),
        String(gdcm),
        `${(r.firstMs / gdcm).toFixed(2)}x`,
        `${(r.warmMs / gdcm).toFixed(2)}x`,
        `${(r.bestMs / gdcm).toFixed(2)}x`,
      ]);
    }
    process.stdout.write(table(['shared radiograph', 'first ms', 'warm ms', 'best ms', 'peak RSS MB', 'GDCM ms', 'first/GDCM', 'warm/GDCM', 'best/GDCM'], shared) + '\n');
    process.stdout.write('target: within 1.5x of native GDCM\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const childIndex = process.argv.indexOf(CHILD_FLAG);
if (childIndex >= 0) {
  const file = process.argv[childIndex + 1]!;
  if (file === '--baseline') {
    process.stdout.write(JSON.stringify({ openMs: 0, firstMs: 0, warmMs: 0, bestMs: 0, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
  } else {
    await childMain(file);
  }
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runDecodeBench();
}

/**
 * chexdesk scan: the headless main job. Every image under a folder through the model, one row per
 * image (per frame of a multi-frame DICOM), written the moment it exists.
 */
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { CheXDeskError } from '../errors';
import { loadModel } from '../model/session';
import { CONVERSION_HELP, ModelStore } from '../model/model-store';
import { DecodePool } from '../scan/decode-pool';
import { outputFormatFor, ResumeMismatchError, ScanOutput, type DoneSet } from '../scan/output-file';
import { runScan } from '../scan/scan-runner';
import { csvCells, csvHeader, csvLine, UNTRAINED_NOTE, type ScanModelInfo } from '../scan/scan-row';
import { ProgressReporter } from './progress-reporter';
import { intOption, parseCommandArgs, UsageError } from './usage';

const USAGE = `usage: chexdesk scan <folder> [--model DIR] [--tencrop] [--out FILE.csv|.json|.jsonl] [--resume]
                     [--jobs N] [--threads N] [--quiet]
  --model DIR    model folder (default: the installed model, see chexdesk model list)
  --tencrop      TenCrop test-time augmentation (10 crops, probabilities averaged); default: center crop
  --out FILE     write rows to FILE (.csv, .json or .jsonl); default: CSV on stdout
  --resume       skip images already in --out FILE
  --jobs N       decode worker threads (default: cores - 1, at least 1)
  --threads N    onnxruntime threads (default: every core)
  --quiet        no progress and no summary on stderr`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      model: { type: 'string' },
      tencrop: { type: 'boolean' },
      out: { type: 'string' },
      resume: { type: 'boolean' },
      jobs: { type: 'string' },
      threads: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'give the folder to scan' : `one folder only (got ${positionals.length})`, USAGE);
  const folder = resolve(positionals[0]!);
  const folderStat = await stat(folder).catch(() => null);
  if (!folderStat?.isDirectory()) throw new UsageError(`${folder} is not a folder`, USAGE);
  const jobs = intOption(values.jobs, '--jobs', USAGE, 1) ?? Math.max(1, availableParallelism() - 1);
  const threads = intOption(values.threads, '--threads', USAGE, 1);
  if (values.resume && !values.out) throw new UsageError('--resume needs --out FILE', USAGE);
  if (values.out && !outputFormatFor(values.out)) throw new UsageError(`--out must end in .csv, .json or .jsonl (got ${values.out})`, USAGE);
  const mode = values.tencrop ? 'tencrop' : 'center';
  const quiet = Boolean(values.quiet);

  const resolved = await new ModelStore().resolve(values.model);
  if (!resolved) {
    throw new UsageError(`no model installed.\n${CONVERSION_HELP}`);
  }
  let model;
  try {
    model = await loadModel(resolved.dir, threads ? { threads } : {});
  } catch (err) {
    if (err instanceof CheXDeskError) throw new UsageError(`cannot use the model: ${err.message}\n${CONVERSION_HELP}`);
    throw err;
  }
  const m = model.manifest;
  const info: ScanModelInfo = { name: m.name, version: m.version, trained: m.trained, labels: m.labels, operatingPoints: m.operatingPoints ?? null };
  if (!m.trained && !quiet) process.stderr.write(`warning: ${m.name}: ${UNTRAINED_NOTE}\n`);

  let output: ScanOutput | null = null;
  let done: DoneSet = new Map();
  if (values.out) {
    try {
      ({ output, done } = await ScanOutput.open(resolve(values.out), info, mode, Boolean(values.resume)));
    } catch (err) {
      if (err instanceof ResumeMismatchError) throw new UsageError(err.message, USAGE);
      throw new CheXDeskError('FileUnreadable', `cannot write the output (${err instanceof Error ? err.message : String(err)})`, values.out);
    }
  } else {
    process.stdout.write(csvLine(csvHeader(info)));
  }

  const reporter = new ProgressReporter(quiet ? 'quiet' : process.stderr.isTTY ? 'bar' : 'lines');
  const pool = new DecodePool(jobs);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let summary;
  try {
    summary = await runScan({
      root: folder,
      mode,
      model,
      pool,
      signal: abort.signal,
      reuse: (file) => {
        const prior = done.get(file.path);
        if (!prior) return null;
        return { skipFrames: [...prior.done], skipFile: prior.done.size >= prior.frames, images: prior.done.size };
      },
      onRow: async (row) => {
        if (output) await output.write(row);
        else process.stdout.write(csvLine(csvCells(row, info)));
      },
      onProgress: (p) => reporter.update(p),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pool.close();
    await output?.close();
    reporter.finish();
  }
  if (!quiet) {
    const s = summary;
    const parts = [`${s.ok} ok`, `${s.failed} failed`];
    if (s.reused > 0) parts.push(`${s.reused} already done`);
    process.stderr.write(
      `${s.cancelled ? 'cancelled after' : 'scanned'} ${s.images} image${s.images === 1 ? '' : 's'} in ${(s.elapsedMs / 1000).toFixed(1)} s: ${parts.join(', ')} (${s.rate.toFixed(2)} images/s, ${mode})${values.out ? ` -> ${values.out}` : ''}\n`,
    );
    if (s.images === 0) process.stderr.write(`no DICOM, PNG or JPEG images under ${folder}\n`);
  }
  if (summary.cancelled) return 130;
  return summary.failed > 0 ? 2 : 0;
}

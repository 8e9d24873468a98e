/**
 * chexdesk demo-model <dir>: writes the UNTRAINED DenseNet121 demo model folder, so a machine without
 * trained weights can still run the pipeline and the benchmarks on the real architecture.
 */
import { resolve } from 'node:path';
import { DEFAULT_DEMO_SEED, writeDemoModel } from '../model/demo-model';
import { intOption, parseCommandArgs, UsageError } from './usage';

const USAGE = `usage: chexdesk demo-model <dir> [--seed N] [--force]

Writes <dir>/model.onnx and <dir>/model.json: DenseNet121 with CheXNet's 14-label classifier and
deterministic UNTRAINED weights (manifest "trained": false). Its outputs are not findings.

  --seed N   weight seed (default ${DEFAULT_DEMO_SEED}); the same seed writes the same bytes
  --force    write even if <dir> holds other files or a model that is not an untrained demo`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { seed: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing <dir>' : `expected one <dir>, got ${positionals.length}`, USAGE);
  const seed = intOption(values.seed, '--seed', USAGE, 0);
  if (seed !== undefined && seed > 0xffffffff) throw new UsageError(`--seed must be at most ${0xffffffff}`, USAGE);
  const dir = resolve(positionals[0]!);

  const result = await writeDemoModel(dir, { seed, force: values.force ?? false });
  const mb = (result.onnx.byteLength / 1e6).toFixed(1);
  process.stdout.write(`wrote ${result.dir} (model.onnx ${mb} MB, sha256 ${result.sha256.slice(0, 12)}…, model.json) in ${result.seconds.toFixed(1)} s\n`);
  process.stderr.write('warning: this model is UNTRAINED (random weights); its outputs are not findings.\n');
  return 0;
}

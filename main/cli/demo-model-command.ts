/**
 * chexdesk demo-model [dir]: writes the UNTRAINED DenseNet121 demo model folder, so a machine without
 * trained weights can still run the pipeline and the benchmarks on the real architecture. Without a
 * folder it goes into the model store, where scan and the app find it.
 */
import { resolve } from 'node:path';
import { DEFAULT_DEMO_SEED, writeDemoModel } from '../model/demo-model';
import { ModelStore } from '../model/model-store';
import { intOption, parseCommandArgs, UsageError } from './usage';

const USAGE = `usage: chexdesk demo-model [dir] [--seed N] [--force]

Writes <dir>/model.onnx and <dir>/model.json: DenseNet121 with CheXNet's 14-label classifier and
deterministic UNTRAINED weights (manifest "trained": false). Its outputs are not findings.
Without <dir> it is installed in the model store (see chexdesk model list) and used by scan and the
app, unless a trained model is installed.

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
  if (positionals.length > 1) throw new UsageError(`expected at most one <dir>, got ${positionals.length}`, USAGE);
  const seed = intOption(values.seed, '--seed', USAGE, 0);
  if (seed !== undefined && seed > 0xffffffff) throw new UsageError(`--seed must be at most ${0xffffffff}`, USAGE);
  if (positionals.length === 0) {
    if (seed !== undefined || values.force) throw new UsageError('--seed and --force need a <dir>; the store always holds the default demo model', USAGE);
    const { model, selected } = await new ModelStore().installDemo();
    process.stdout.write(`installed the demo model as "${model.id}" (${model.dir})\n`);
    process.stdout.write(selected ? 'it is now the model in use\n' : `a trained model is installed and stays in use; switch with: chexdesk model use ${model.id}\n`);
    process.stderr.write('warning: this model is UNTRAINED (random weights); its outputs are not findings.\n');
    return 0;
  }
  const dir = resolve(positionals[0]!);

  const result = await writeDemoModel(dir, { seed, force: values.force ?? false });
  const mb = (result.onnx.byteLength / 1e6).toFixed(1);
  process.stdout.write(`wrote ${result.dir} (model.onnx ${mb} MB, sha256 ${result.sha256.slice(0, 12)}…, model.json) in ${result.seconds.toFixed(1)} s\n`);
  process.stderr.write('warning: this model is UNTRAINED (random weights); its outputs are not findings.\n');
  return 0;
}

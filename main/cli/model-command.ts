/**
 * chexdesk model list | import <folder|model.onnx> [--manifest FILE] | use <id>
 * The same store the app's Model dialog shows.
 */
import { CONVERSION_HELP, ModelStore } from '../model/model-store';
import { intOption, parseCommandArgs, UsageError } from './usage';

const USAGE = `usage: chexdesk model list
       chexdesk model import <folder|model.onnx> [--manifest model.json] [--threads N]
       chexdesk model use <id>`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { manifest: { type: 'string' }, threads: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, USAGE);
  const [action, ...rest] = positionals;
  if (values.help || !action) {
    process.stdout.write(USAGE + '\n');
    return values.help ? 0 : 1;
  }
  const store = new ModelStore();
  switch (action) {
    case 'list': {
      if (rest.length > 0) throw new UsageError('list takes no arguments', USAGE);
      const models = await store.list();
      const current = await store.resolve();
      if (models.length === 0) {
        process.stdout.write(`no models installed in ${store.root}\n${CONVERSION_HELP}\n`);
        return 0;
      }
      for (const m of models) {
        const mark = current?.id === m.id ? '*' : ' ';
        const trained = m.manifest.trained ? 'trained' : 'UNTRAINED';
        process.stdout.write(`${mark} ${m.id}\t${m.manifest.name} ${m.manifest.version}\t${trained}\t${m.manifest.labels.length} labels\t${m.dir}\n`);
      }
      return 0;
    }
    case 'import': {
      if (rest.length !== 1) throw new UsageError('import takes one folder or .onnx file', USAGE);
      const threads = intOption(values.threads, '--threads', USAGE, 1);
      const opts: { manifest?: string; threads?: number } = {};
      if (values.manifest) opts.manifest = values.manifest;
      if (threads) opts.threads = threads;
      const m = await store.import(rest[0]!, opts);
      process.stdout.write(`imported ${m.manifest.name} ${m.manifest.version} as "${m.id}" (${m.dir}); it is now the model in use\n`);
      if (!m.manifest.trained) process.stdout.write('warning: this model is UNTRAINED: its outputs are not findings\n');
      return 0;
    }
    case 'use': {
      if (rest.length !== 1) throw new UsageError('use takes one model id (see chexdesk model list)', USAGE);
      const m = await store.select(rest[0]!);
      process.stdout.write(`now using ${m.id} (${m.manifest.name} ${m.manifest.version})\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown action "${action}"`, USAGE);
  }
}

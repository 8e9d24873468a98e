/**
 * chexdesk serve [folder]: the app in a browser, over 127.0.0.1 only. Prints one line with the URL
 * (its #token fragment is the key) and serves until interrupted.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CoreService } from '../service/core-service';
import { startHttpHost } from '../serve/http-host';
import { rendererDir } from '../serve/renderer-dir';
import { intOption, parseCommandArgs, UsageError } from './usage';

const USAGE = `usage: chexdesk serve [folder] [--port N] [--model DIR] [--threads N] [--jobs N]
  folder       a study folder to open at start (more can be opened from the page)
  --port N     port on 127.0.0.1 (default: a free one)
  --model DIR  model folder (default: the installed model)`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { port: { type: 'string' }, model: { type: 'string' }, threads: { type: 'string' }, jobs: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('one folder at most', USAGE);
  const port = intOption(values.port, '--port', USAGE, 0) ?? 0;
  if (port > 65535) throw new UsageError('--port must be at most 65535', USAGE);
  const folder = positionals[0] ? resolve(positionals[0]) : undefined;
  if (folder && !(await stat(folder).catch(() => null))?.isDirectory()) throw new UsageError(`${folder} is not a folder`, USAGE);
  const staticDir = rendererDir();

  const opts: Parameters<typeof CoreService.create>[0] = { host: { kind: 'serve' } };
  if (values.model) opts.modelDir = resolve(values.model);
  const threads = intOption(values.threads, '--threads', USAGE, 1);
  if (threads) opts.threads = threads;
  const jobs = intOption(values.jobs, '--jobs', USAGE, 1);
  if (jobs) opts.jobs = jobs;
  const core = await CoreService.create(opts);
  if (folder) await core.grantFolder(folder);
  const host = await startHttpHost(core, { port, staticDir });
  process.stdout.write(`Listening on ${host.url}\n`);

  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await host.close();
  await core.close();
  return 0;
}

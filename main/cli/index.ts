/**
 * chexdesk: the headless host. Each command lives in its own module and returns an exit code;
 * this file only dispatches and turns failures into one line on stderr (never a stack trace).
 */
import { CheXDeskError } from '../errors';
import { UsageError } from './usage';

interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const commands: Record<string, Command> = {
  scan: { summary: 'run the model on every image under a folder and write a results table', load: () => import('./scan-command') },
  decode: { summary: 'decode one DICOM/PNG/JPEG file and print what it holds as JSON', load: () => import('./decode-command') },
  serve: { summary: 'serve the app to a browser on 127.0.0.1', load: () => import('./serve-command') },
  model: { summary: 'list, import or choose the installed models', load: () => import('./model-command') },
  'demo-model': { summary: 'write an UNTRAINED DenseNet121 demo model folder', load: () => import('./demo-model-command') },
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'usage: chexdesk <command> [options]   (chexdesk <command> --help for its options)',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"`, help());
  const mod = await command.load();
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`chexdesk: ${err.message}\n${err.usage ? err.usage + '\n' : ''}`);
      process.exitCode = 1;
    } else if (err instanceof CheXDeskError) {
      process.stderr.write(`chexdesk: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`chexdesk: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
      if (process.env.CHEXDESK_DEBUG) console.error(err);
      process.exitCode = 2;
    }
  },
);

/**
 * Argument parsing shared by every command: node's parseArgs in strict mode, with its errors turned
 * into a UsageError (exit code 1) that repeats the command's usage line.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  constructor(message: string, readonly usage?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type CliOptions = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<O extends CliOptions>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.replace(/\. To specify.*$/s, '') : String(err), usage);
  }
}

/** Parses an integer option, refusing anything else with a usage error. */
export function intOption(value: string | undefined, name: string, usage: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer >= ${min} (got "${value}")`, usage);
  return n;
}

/**
 * Where the shared fixtures live (../shared beside the project, or $CHEXDESK_SHARED). Suites that need
 * them pass `skipWithoutShared` as the test's skip option: when the folder is absent they are reported
 * as skipped with the reason, never silently green.
 */
import { existsSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const candidate = resolve(process.env.CHEXDESK_SHARED ?? join(here, '..', '..', '..', 'shared'));

/** Absolute path of the shared folder, or null when it is not there. */
export const SHARED: string | null = existsSync(join(candidate, 'fixtures')) ? candidate : null;

/** `false` when ../shared is present, else the skip reason (node:test's `skip` option). */
export const skipWithoutShared: false | string = SHARED ? false : `needs ../shared (not found at ${candidate}); CI always has it`;

export function sharedPath(...parts: string[]): string {
  if (!SHARED) throw new Error(String(skipWithoutShared));
  return join(SHARED, ...parts);
}

/** Reads a tab-separated file with a header line into objects keyed by column name. */
export function parseTsv(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const header = lines[0]!.split('\t');
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}

/**
 * Every shared DICOM fixture cut at 10 %, 50 % and 90 % of its length must give a typed error naming
 * the file (never a crash, a hang, an Internal error or an image), through openImage as every caller.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { CheXDeskError, type ErrorCode } from '../../main/errors';
import { openImage } from '../../main/image/open-image';
import { scratchDir } from '../support/dicom-files';
import { sharedPath, skipWithoutShared } from '../support/shared';

const files = skipWithoutShared ? [] : readdirSync(sharedPath('fixtures', 'dicom')).filter((f) => f.endsWith('.dcm')).sort();
const EXPECTED: ErrorCode[] = ['Truncated', 'CorruptData', 'NotDicom', 'NotAnImage', 'NoPixelData'];

test('DICOM bad input: shared fixtures truncated at 10/50/90 %', { skip: skipWithoutShared }, async (t) => {
  const scratch = scratchDir();
  const codes = new Map<string, number>();
  try {
    for (const file of files) {
      const bytes = readFileSync(sharedPath('fixtures', 'dicom', file));
      for (const pct of [10, 50, 90]) {
        const name = `${file.replace(/\.dcm$/, '')}_${pct}.dcm`;
        await t.test(name, { timeout: 5000 }, async () => {
          const path = scratch.write(name, bytes.subarray(0, Math.floor((bytes.length * pct) / 100)));
          const err = await openImage(path).then(
            (image) => image.frame(0).then(() => null, (e: unknown) => e),
            (e: unknown) => e,
          );
          assert.ok(err instanceof CheXDeskError, `expected a typed error, got ${err === null ? 'an image' : String(err)}`);
          assert.equal(err.file, path, 'names the file');
          assert.ok(EXPECTED.includes(err.code), `${err.code}: ${err.reason}`);
          assert.ok(!/\n\s+at /.test(err.reason), 'no stack trace in the reason');
          codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
        });
      }
    }
  } finally {
    scratch.remove();
  }
  t.diagnostic(`error codes: ${[...codes].map(([c, n]) => `${c} ${n}`).join(', ')}`);
});

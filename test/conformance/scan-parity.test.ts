/**
 * The headless main job end to end: `chexdesk scan` (the built CLI: decode workers, one onnxruntime
 * session, JSON Lines output) on the shared chest X-rays with the stand-in model gives the PyTorch
 * reference pipeline's probabilities, in both modes. parity.test.ts proves the same for the
 * in-process pipeline; this proves nothing on the way through the scan changes them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseTsv, sharedPath, skipWithoutShared } from '../support/shared';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');

for (const mode of ['center', 'tencrop'] as const) {
  test(`chexdesk scan ${mode} on ../shared/fixtures/cxr equals the PyTorch reference`, { skip: skipWithoutShared }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'chexdesk-scan-parity-'));
    try {
      const out = join(dir, 'rows.jsonl');
      const args = [CLI, 'scan', sharedPath('fixtures', 'cxr'), '--model', sharedPath('models', 'chexnet-standin'), '--out', out, '--quiet'];
      if (mode === 'tencrop') args.push('--tencrop');
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, CHEXDESK_HOME: join(dir, 'home') } });
      assert.equal(r.status, 0, r.stderr);
      const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { path: string; probabilities: Record<string, number> });
      const reference = parseTsv(readFileSync(sharedPath('reference', 'standin-probabilities.tsv'), 'utf8')).filter((row) => row.mode === mode);
      assert.equal(rows.length, reference.length);
      let worst = 0;
      for (const ref of reference) {
        const row = rows.find((x) => basename(x.path) === ref.image);
        assert.ok(row, `a row for ${ref.image}`);
        const labels = Object.keys(row.probabilities);
        assert.equal(labels.length, 14);
        for (const label of labels) {
          assert.ok(ref[label] !== undefined, `reference column ${label}`);
          worst = Math.max(worst, Math.abs(row.probabilities[label]! - Number(ref[label])));
        }
      }
      console.log(`scan ${mode}: max |diff| vs PyTorch over ${rows.length} images x 14 labels = ${worst.toExponential(2)}`);
      assert.ok(worst <= 0.005, `max |diff| ${worst}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

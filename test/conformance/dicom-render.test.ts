/**
 * The 8-bit rendering the model receives for a DICOM radiograph (render8 of the decoded frame: the
 * default VOI, MONOCHROME1 inverted — what ChestX-ray14's PNGs are), checked against references that
 * share no code with it: the PS3.3 C.11.2.1.2 LINEAR formula evaluated here from the manifest's window,
 * and DCMTK's dcmj2pnm.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { openImage } from '../../main/image/open-image';
import { render8 } from '../../main/image/render8';
import { isDicomImage } from '../../main/dicom/open-dicom';
import { scratchDir } from '../support/dicom-files';
import { parseTsv, sharedPath, skipWithoutShared } from '../support/shared';

const manifest = skipWithoutShared ? [] : parseTsv(readFileSync(sharedPath('fixtures', 'dicom', 'MANIFEST.tsv'), 'utf8'));
const hasDcmtk = spawnSync('dcmj2pnm', ['--version']).status === 0;

/** PS3.3 C.11.2.1.2.1 LINEAR window to 0..255, then MONOCHROME1 inversion (PS3.3 C.7.6.3.1.2). */
function referencePixel(stored: number, slope: number, intercept: number, c: number, w: number, monochrome1: boolean): number {
  const x = stored * slope + intercept;
  let y: number;
  if (x <= c - 0.5 - (w - 1) / 2) y = 0;
  else if (x > c - 0.5 + (w - 1) / 2) y = 255;
  else y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255;
  y = Math.round(y);
  return monochrome1 ? 255 - y : y;
}

for (const file of ['RG1_J2KI.dcm', 'RG3_J2KR.dcm', 'dicomdirtests_CR1_6154.dcm', 'RG2_JLSN.dcm']) {
  test(`model rendering of ${file} equals the PS3.3 window formula on the manifest's window`, { skip: skipWithoutShared }, async () => {
    const row = manifest.find((r) => r.file === file)!;
    const image = await openImage(sharedPath('fixtures', 'dicom', file));
    assert.ok(isDicomImage(image));
    const { frame } = await image.decodeFrame(0);
    assert.equal(frame.kind, 'gray');
    if (frame.kind !== 'gray') return;
    const monochrome1 = row.photometric === 'MONOCHROME1';
    assert.equal(frame.invert, monochrome1);
    const img = render8(frame);
    assert.equal(img.channels, 1);
    const slope = row.rescale_slope ? Number(row.rescale_slope) : 1;
    const intercept = row.rescale_intercept ? Number(row.rescale_intercept) : 0;
    const c = Number(row.window_center);
    const w = Number(row.window_width);
    let maxDiff = 0;
    for (let i = 0; i < img.data.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(img.data[i]! - referencePixel(frame.stored[i]!, slope, intercept, c, w, monochrome1)));
    }
    assert.equal(maxDiff, 0, 'every pixel as the formula gives it');
    if (monochrome1) {
      // Inverted: in MONOCHROME1 the lowest stored value renders brightest.
      const lo = frame.stored.indexOf(frame.min);
      const hi = frame.stored.indexOf(frame.max);
      assert.ok(img.data[lo]! > img.data[hi]!, 'MONOCHROME1: low stored values are bright');
    }
  });
}

for (const file of ['dicomdirtests_CR1_6154.dcm', 'RG2_JLSN.dcm']) {
  test(`model rendering of ${file} agrees with DCMTK dcmj2pnm (first window, within 1 level)`, { skip: skipWithoutShared || (!hasDcmtk && 'dcmtk is not installed (CI installs it)') }, async () => {
    const scratch = scratchDir();
    try {
      let input = sharedPath('fixtures', 'dicom', file);
      if (file === 'RG2_JLSN.dcm') {
        // dcmj2pnm has no JPEG-LS codec; DCMTK's own dcmdjpls decompresses first.
        const plain = join(scratch.dir, 'plain.dcm');
        assert.equal(spawnSync('dcmdjpls', [input, plain]).status, 0, 'dcmdjpls');
        input = plain;
      }
      const out = join(scratch.dir, 'dcmtk.png');
      const r = spawnSync('dcmj2pnm', ['+Wi', '1', '+on', input, out]);
      assert.equal(r.status, 0, String(r.stderr));
      const ref = await sharp(out).toColourspace('b-w').raw().toBuffer();
      const image = await openImage(sharedPath('fixtures', 'dicom', file));
      const img = render8(await image.frame(0));
      assert.equal(ref.length, img.data.length);
      let maxDiff = 0;
      let sum = 0;
      for (let i = 0; i < ref.length; i++) {
        const d = Math.abs(ref[i]! - img.data[i]!);
        maxDiff = Math.max(maxDiff, d);
        sum += d;
      }
      // DCMTK truncates where PS3.3's formula (and we) round: at most one level apart.
      assert.ok(maxDiff <= 1, `max difference ${maxDiff}`);
      assert.ok(sum / ref.length < 0.6, `mean difference ${sum / ref.length}`);
    } finally {
      scratch.remove();
    }
  });
}

test('PALETTE COLOR rendering of OT-PAL-8-face.dcm equals DCMTK dcm2pnm', { skip: skipWithoutShared || (!hasDcmtk && 'dcmtk is not installed (CI installs it)') }, async () => {
  const scratch = scratchDir();
  try {
    const out = join(scratch.dir, 'dcmtk.png');
    // -f: the file is a bare data set (no File Meta).
    const r = spawnSync('dcm2pnm', ['-f', '+on', sharedPath('fixtures', 'dicom', 'OT-PAL-8-face.dcm'), out]);
    assert.equal(r.status, 0, String(r.stderr));
    const ref = await sharp(out).removeAlpha().toColourspace('srgb').raw().toBuffer();
    const frame = await (await openImage(sharedPath('fixtures', 'dicom', 'OT-PAL-8-face.dcm'))).frame(0);
    assert.equal(frame.kind, 'rgb');
    if (frame.kind === 'rgb') assert.deepEqual(Buffer.from(frame.rgb), ref);
  } finally {
    scratch.remove();
  }
});

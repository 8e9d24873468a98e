/**
 * Every file of ../shared/fixtures/dicom against MANIFEST.tsv (see its README for how the reference
 * was computed): compare=exact rows must hash to `frame0_sha256_bitsstored_normalized` (we normalise
 * to Bits Stored, as GDCM and pydicom 3 do), compare=tolerance rows must be within a mean absolute
 * difference of 1.0 of their reference PNG, and every undecodable row must give a typed error
 * without crashing or hanging. Everything goes through openImage, as every caller does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { CheXDeskError } from '../../main/errors';
import { isDicomImage, type DecodedFrame } from '../../main/dicom/open-dicom';
import { sha256Hex, valueStats } from '../../main/dicom/stored-bytes';
import { openImage } from '../../main/image/open-image';
import { parseTsv, sharedPath, skipWithoutShared } from '../support/shared';

const rows = skipWithoutShared ? [] : parseTsv(readFileSync(sharedPath('fixtures', 'dicom', 'MANIFEST.tsv'), 'utf8'));
const decodable = rows.filter((r) => r.decodable === 'yes');
const undecodable = rows.filter((r) => r.decodable.startsWith('no'));
const matched: string[] = [];

async function decode(file: string, frame = 0): Promise<DecodedFrame> {
  const image = await openImage(sharedPath('fixtures', 'dicom', file));
  assert.ok(isDicomImage(image), `${file} opens as DICOM`);
  return image.decodeFrame(frame);
}

/** The reference PNG's samples, as the README says to read them. */
async function referenceSamples(row: Record<string, string>): Promise<Float64Array> {
  const path = sharedPath('fixtures', 'dicom', row.ref_png!.split(' ')[0]!);
  const colour = Number(row.samples_per_pixel) === 3;
  const sixteen = Number(row.bits_allocated) === 16 && !colour;
  const img = sharp(path);
  if (sixteen) {
    const buf = await img.toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer();
    const u16 = new Uint16Array(buf.buffer, buf.byteOffset, buf.byteLength / 2);
    return Float64Array.from(Number(row.pixel_representation) === 1 ? new Int16Array(u16.buffer, u16.byteOffset, u16.length) : u16);
  }
  const buf = await (colour ? img.removeAlpha().toColourspace('srgb') : img.toColourspace('b-w')).raw().toBuffer();
  return Float64Array.from(buf);
}

test('DICOM conformance: decodable shared files match the manifest', { skip: skipWithoutShared }, async (t) => {
  for (const row of decodable) {
    await t.test(`${row.file} (${row.transfer_syntax_name || 'no File Meta'}, ${row.compare})`, async () => {
      const { stored, frame } = await decode(row.file!);
      assert.equal(stored.rows, Number(row.rows));
      assert.equal(stored.columns, Number(row.cols));
      assert.equal(stored.samplesPerPixel, Number(row.samples_per_pixel));
      assert.equal(stored.values.length, Number(row.rows) * Number(row.cols) * Number(row.samples_per_pixel));
      if (row.compare === 'exact') {
        assert.equal(sha256Hex(stored.values), row.frame0_sha256_bitsstored_normalized, 'frame 0 hash (Bits Stored normalised)');
        const [nmin, nmax, nmean] = row.frame0_normalized_min_max_mean ? row.frame0_normalized_min_max_mean.split(' ').map(Number) : [Number(row.frame0_min), Number(row.frame0_max), Number(row.frame0_mean)];
        const stats = valueStats(stored.values);
        assert.equal(stats.min, nmin);
        assert.equal(stats.max, nmax);
        assert.ok(Math.abs(stats.mean - nmean!) < 1e-5, `mean ${stats.mean} vs ${nmean}`);
        if (row.values_color_space?.startsWith('YBR')) assert.equal(stored.colorSpace, 'YBR', 'native YBR kept as YBR, as the manifest hashes it');
      } else {
        const ref = await referenceSamples(row);
        // For YBR rows the reference PNG is RGB; our JPEG values are RGB (libjpeg converts), YBR ones are converted first.
        const ours = stored.colorSpace === 'YBR' && frame.kind === 'rgb' ? frame.rgb : stored.values;
        assert.equal(ours.length, ref.length, 'sample count vs reference PNG');
        let sum = 0;
        for (let i = 0; i < ref.length; i++) sum += Math.abs(ours[i]! - ref[i]!);
        const mad = sum / ref.length;
        t.diagnostic(`${row.file}: mean absolute difference ${mad.toFixed(4)}`);
        assert.ok(mad <= 1.0, `mean absolute difference ${mad} > 1.0`);
      }
      if (row.rgb_frame0_sha256 && stored.colorSpace === 'YBR') {
        // Our YBR -> RGB uses pydicom's arithmetic, so the display RGB matches its hash exactly.
        assert.equal(frame.kind, 'rgb');
        if (frame.kind === 'rgb') assert.equal(sha256Hex(frame.rgb), row.rgb_frame0_sha256, 'display RGB equals pydicom convert_color_space');
      }
      matched.push(row.file!);
    });
  }
  t.diagnostic(`DICOM conformance: matched ${matched.length}/${decodable.length} decodable files`);
  console.log(`DICOM conformance: matched ${matched.length}/${decodable.length} decodable shared files`);
  assert.equal(matched.length, decodable.length);
});

test('DICOM conformance: every frame of the multi-frame files decodes', { skip: skipWithoutShared }, async () => {
  for (const row of decodable.filter((r) => Number(r.frames) > 1)) {
    const image = await openImage(sharedPath('fixtures', 'dicom', row.file!));
    assert.equal(image.info.frames, Number(row.frames));
    const hashes = new Set<string>();
    for (let i = 0; i < image.info.frames; i++) {
      assert.ok(isDicomImage(image));
      const { stored } = await image.decodeFrame(i);
      hashes.add(sha256Hex(stored.values));
    }
    assert.ok(hashes.size > 1, `${row.file}: frames are not all the same`);
    await assert.rejects(image.frame(image.info.frames), (e: unknown) => e instanceof CheXDeskError && e.code === 'FrameOutOfRange');
  }
});

test('DICOM conformance: DICOM attributes match the manifest', { skip: skipWithoutShared }, async () => {
  for (const row of decodable) {
    const image = await openImage(sharedPath('fixtures', 'dicom', row.file!));
    const d = image.info.dicom!;
    assert.equal(image.info.kind, 'dicom');
    if (row.transfer_syntax_uid) assert.equal(d.transferSyntax.uid, row.transfer_syntax_uid, row.file);
    if (row.transfer_syntax_uid) assert.equal(d.transferSyntax.name.replace(/&/g, 'and').replace(/[^a-z0-9]/gi, ''), row.transfer_syntax_name.replace(/&/g, 'and').replace(/[^a-z0-9]/gi, ''), row.file);
    assert.equal(d.photometric, row.photometric, row.file);
    assert.equal(image.info.frames, Number(row.frames), row.file);
    assert.equal(d.bitsAllocated, Number(row.bits_allocated), row.file);
    assert.equal(d.bitsStored, Number(row.bits_stored), row.file);
    assert.equal(d.pixelRepresentation, Number(row.pixel_representation), row.file);
    if (row.rescale_slope) assert.ok(Math.abs(d.rescale.slope - Number(row.rescale_slope)) < 1e-6, row.file);
    if (row.rescale_intercept) assert.ok(Math.abs(d.rescale.intercept - Number(row.rescale_intercept)) < 1e-6, row.file);
    if (row.window_center) assert.deepEqual(d.window, { center: Number(row.window_center), width: Number(row.window_width) }, row.file);
  }
});

test('DICOM conformance: undecodable files give a typed error', { skip: skipWithoutShared }, async (t) => {
  for (const row of undecodable) {
    await t.test(row.file!, { timeout: 5000 }, async () => {
      const err = await openImage(sharedPath('fixtures', 'dicom', row.file!)).then(
        (image) => image.frame(0).then(() => null, (e: unknown) => e),
        (e: unknown) => e,
      );
      assert.ok(err instanceof CheXDeskError, `${row.file}: expected a CheXDeskError, got ${String(err)}`);
      assert.ok(err.file?.endsWith(row.file!), 'the error names the file');
      assert.ok(err.reason.length > 10 && !/\n\s+at /.test(err.reason), 'a reason, not a stack');
      const expected = row.decodable.includes('truncated') ? 'Truncated' : row.decodable.includes('no Pixel Data') ? 'NotAnImage' : 'NotDicom';
      assert.equal(err.code, expected, `${row.file}: ${err.reason}`);
      t.diagnostic(`${row.file}: ${err.code}: ${err.reason}`);
    });
  }
});

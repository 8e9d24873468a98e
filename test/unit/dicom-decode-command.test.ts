/**
 * `chexdesk decode` as a user runs it (a child process through the CLI dispatcher): the JSON report,
 * --raw and --png outputs, and errors as one line on stderr with exit code 2.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { scratchDir, writeDicom } from '../support/dicom-files';

const root = fileURLToPath(new URL('../..', import.meta.url));
const scratch = scratchDir();
after(() => scratch.remove());

function chexdesk(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'main/cli/index.ts'), ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// MONOCHROME1, signed 12-in-16 with stray high bits, rescale, two windows, two frames.
const pixels = new Uint16Array([0xf800, 0x0001, 0x07ff, 0x1000 | 0x0100, 5, 6, 7, 8]);
const normalisedFrame0 = new Int16Array([-2048, 1, 2047, 256]);
const file = scratch.write(
  'cr.dcm',
  writeDicom({
    rows: 2,
    columns: 2,
    frames: 2,
    photometric: 'MONOCHROME1',
    bitsStored: 12,
    pixelRepresentation: 1,
    pixels,
    attributes: { RescaleSlope: 0.5, RescaleIntercept: 10, WindowCenter: [0, 99], WindowWidth: [2001, 1] },
  }),
);

test('decode prints the file, its pixel layout and frame 0 stored values as JSON', () => {
  const r = chexdesk('decode', file);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.transferSyntax, { uid: '1.2.840.10008.1.2.1', name: 'Explicit VR Little Endian' });
  assert.equal(report.rows, 2);
  assert.equal(report.columns, 2);
  assert.equal(report.frames, 2);
  assert.equal(report.photometric, 'MONOCHROME1');
  assert.equal(report.samplesPerPixel, 1);
  assert.equal(report.bitsAllocated, 16);
  assert.equal(report.bitsStored, 12);
  assert.equal(report.pixelRepresentation, 1);
  assert.deepEqual(report.rescale, { slope: 0.5, intercept: 10 });
  assert.deepEqual(report.window, { center: 0, width: 2001 });
  assert.equal(report.valuesColorSpace, 'MONOCHROME');
  assert.equal(report.dtype, '<i2');
  assert.equal(report.min, -2048);
  assert.equal(report.max, 2047);
  assert.equal(report.mean, (-2048 + 1 + 2047 + 256) / 4);
  const expected = createHash('sha256').update(new Uint8Array(normalisedFrame0.buffer)).digest('hex');
  assert.equal(report.sha256, expected, 'SHA-256 of int16 little-endian values normalised to 12 bits');
});

test('decode --frame 1 --raw writes that frame as the README serialises it, --png its 8-bit rendering', async () => {
  const raw = join(scratch.dir, 'f1.raw');
  const png = join(scratch.dir, 'f1.png');
  const r = chexdesk('decode', file, '--frame', '1', '--raw', raw, '--png', png);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).frame, 1);
  assert.deepEqual([...readFileSync(raw)], [5, 0, 6, 0, 7, 0, 8, 0]);
  assert.equal((await sharp(png).metadata()).channels, 1, 'a grayscale PNG');
  const { data, info } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 2);
  // Modality x = v/2 + 10 = 12.5 .. 14; LINEAR c=0 w=2001: ((x + 0.5)/2000 + 0.5) * 255 -> 129.2 .. 129.4 -> 129; MONOCHROME1 -> 126.
  assert.deepEqual([...data], [126, 126, 126, 126]);
});

test('decode errors: one line on stderr naming the file, exit code 2', () => {
  const missing = join(scratch.dir, 'missing.dcm');
  const r = chexdesk('decode', missing);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, new RegExp(`${missing.replace(/[.\\/]/g, '\\$&')}: file not found`));
  const text = scratch.write('notes.dcm', 'just some text\n');
  const t = chexdesk('decode', text);
  assert.equal(t.status, 2);
  assert.match(t.stderr, /notes\.dcm: not a DICOM, PNG or JPEG file/);
  const f = chexdesk('decode', file, '--frame', '5');
  assert.equal(f.status, 2);
  assert.match(f.stderr, /cr\.dcm: frame 5 does not exist \(the file has 2 frames/);
  assert.ok(!/\n\s+at /.test(r.stderr + t.stderr + f.stderr), 'no stack trace');
});

test('decode usage errors exit 1', () => {
  assert.equal(chexdesk('decode').status, 1);
  assert.equal(chexdesk('decode', file, '--frame', 'x').status, 1);
  assert.equal(chexdesk('decode', file, '--bogus').status, 1);
});

test('decode accepts a PNG through the same path', async () => {
  const png = join(scratch.dir, 'gray.png');
  await sharp(Buffer.from([0, 64, 128, 255]), { raw: { width: 2, height: 2, channels: 1 } }).toColourspace('b-w').png().toFile(png);
  const r = chexdesk('decode', png);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.kind, 'png');
  assert.equal(report.transferSyntax, null);
  assert.equal(report.photometric, 'MONOCHROME2');
  assert.equal(report.rows, 2);
  assert.equal(report.min, 0);
  assert.equal(report.max, 255);
  assert.equal(report.sha256, createHash('sha256').update(Buffer.from([0, 64, 128, 255])).digest('hex'));
});

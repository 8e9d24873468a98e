/**
 * JPEG Extended 12-bit, the one DCT path we decode by hand (main/dicom/codecs/jpeg12.ts): files the
 * test writes are compressed by DCMTK's dcmcjpeg (IJG libjpeg, 12-bit build) and our decode must equal
 * DCMTK's own dcmdjpeg decode of the same file sample for sample (both use libjpeg's islow IDCT).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openImage } from '../../main/image/open-image';
import { isDicomImage, type DicomImage } from '../../main/dicom/open-dicom';
import { scratchDir, writeDicom } from '../support/dicom-files';

const hasDcmtk = spawnSync('dcmcjpeg', ['--version']).status === 0;
const skip = hasDcmtk ? false : 'dcmtk is not installed (CI installs it)';
const scratch = scratchDir();
after(() => scratch.remove());

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args);
  assert.equal(r.status, 0, `${cmd}: ${String(r.stderr)}`);
}

/** A smooth 12-bit image with edges and noise: every DCT coefficient range gets exercised. */
function testImage(width: number, height: number, frames: number): Uint16Array {
  const out = new Uint16Array(width * height * frames);
  let seed = 7;
  for (let f = 0; f < frames; f++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        seed = (seed * 1664525 + 1013904223) >>> 0;
        const base = 2048 + 1500 * Math.sin((x + 13 * f) / 9) * Math.cos(y / 7);
        const edge = x > width / 2 ? 600 : 0;
        out[f * width * height + y * width + x] = Math.max(0, Math.min(4095, Math.round(base + edge + (seed >>> 28) * 8)));
      }
    }
  }
  return out;
}

/** DCMTK's decode of a DICOM file: the uncompressed Pixel Data as 16-bit little-endian samples. */
function dcmtkSamples(path: string, count: number): Uint16Array {
  const plain = path.replace(/\.dcm$/, '.plain.dcm');
  run('dcmdjpeg', [path, plain]);
  // dcmdjpeg writes explicit VR little endian with Pixel Data as the last element.
  const bytes = readFileSync(plain);
  const pixels = bytes.subarray(bytes.length - count * 2);
  return new Uint16Array(pixels.buffer.slice(pixels.byteOffset, pixels.byteOffset + count * 2));
}

for (const [label, width, height, frames] of [
  ['single frame, size not a multiple of 8', 203, 117, 1],
  ['multi-frame', 64, 48, 3],
] as const) {
  test(`JPEG Extended 12-bit (${label}) equals DCMTK's decode exactly`, { skip }, async () => {
    const pixels = testImage(width, height, frames);
    const source = scratch.write(`src-${width}.dcm`, writeDicom({ rows: height, columns: width, frames, bitsStored: 12, pixels }));
    const jpeg = join(scratch.dir, `jpeg12-${width}.dcm`);
    run('dcmcjpeg', ['+ee', '+q', '85', source, jpeg]);
    const opened = await openImage(jpeg);
    if (!isDicomImage(opened)) throw new Error('not opened as DICOM');
    const image: DicomImage = opened;
    assert.equal(image.info.dicom!.transferSyntax.uid, '1.2.840.10008.1.2.4.51');
    const reference = dcmtkSamples(jpeg, width * height * frames);
    let lossy = 0;
    for (let f = 0; f < frames; f++) {
      const { stored } = await image.decodeFrame(f);
      const ref = reference.subarray(f * width * height, (f + 1) * width * height);
      assert.deepEqual([...stored.values], [...ref], `frame ${f}`);
      for (let i = 0; i < ref.length; i++) lossy += Math.abs(ref[i]! - pixels[f * width * height + i]!);
    }
    assert.ok(lossy > 0, 'the compression was lossy, so the match is not a pass-through');
  });
}

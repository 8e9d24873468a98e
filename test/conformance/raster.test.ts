// The 12 shared chest X-rays decoded by us and by Pillow 9.4 (Image.open(f).convert('RGB'), run at test
// time): byte-identical, and the formats, modes and sizes of ../shared/reference/images.tsv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openRaster, sniffRaster } from '../../main/raster/open-raster';
import { render8 } from '../../main/image/render8';
import { parseTsv, sharedPath, skipWithoutShared } from '../support/shared';
import { runPython, skipWithoutPillow } from '../support/pillow';

const skip = skipWithoutShared || skipWithoutPillow;
const images = skipWithoutShared ? [] : parseTsv(readFileSync(sharedPath('reference', 'images.tsv'), 'utf8'));

const PIL_RGB = `
import sys
from PIL import Image
sys.stdout.buffer.write(Image.open(sys.argv[1]).convert('RGB').tobytes())
`;

test('the reference lists the 12 shared images', { skip: skipWithoutShared }, () => {
  assert.equal(images.length, 12);
});

for (const row of images) {
  test(`${row.image} decodes byte-identically to PIL convert('RGB')`, { skip }, async () => {
    const path = sharedPath('fixtures', 'cxr', row.image!);
    const bytes = new Uint8Array(readFileSync(path));
    const kind = sniffRaster(bytes);
    assert.equal(kind, row.format === 'PNG' ? 'png' : 'jpeg');
    const opened = await openRaster(bytes, path, kind!);
    assert.deepEqual([opened.info.columns, opened.info.rows], [Number(row.width), Number(row.height)]);
    // No shared image asks for a rotation (one JPEG has the tag, with value 1): parity is unaffected
    // by our applying EXIF orientation where PIL does not.
    assert.ok((opened.info.raster?.exifOrientation ?? 1) === 1, `orientation ${opened.info.raster?.exifOrientation}`);
    const frame = await opened.frame(0);
    // PIL mode L -> a gray frame; RGB and RGBA -> colour (alpha dropped).
    assert.equal(frame.kind, row.pil_mode === 'L' ? 'gray' : 'rgb');
    const image = render8(frame);
    const ours = image.channels === 3 ? image.data : Uint8Array.from({ length: image.data.length * 3 }, (_, i) => image.data[Math.floor(i / 3)]!);
    const pil = runPython(PIL_RGB, [path]);
    assert.equal(ours.length, pil.length);
    let differing = 0;
    let maxDiff = 0;
    for (let i = 0; i < pil.length; i++) {
      const d = Math.abs(ours[i]! - pil[i]!);
      if (d) {
        differing++;
        maxDiff = Math.max(maxDiff, d);
      }
    }
    assert.equal(differing, 0, `${differing} bytes differ from Pillow, by up to ${maxDiff} levels`);
  });
}

// PNG/JPEG decoding against Pillow 9.4 on files this test generates (every PNG colour type and bit
// depth, palette with and without transparency, gray/RGB/CMYK/progressive JPEG, all 8 EXIF
// orientations): 8-bit results must equal PIL's convert('RGB') byte for byte; 16-bit gray must keep the
// stored values the generator wrote.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRaster, sniffRaster } from '../../main/raster/open-raster';
import { render8 } from '../../main/image/render8';
import type { Frame, GrayFrame } from '../../main/image/types';
import { runPython, skipWithoutPillow } from '../support/pillow';

// Writes each test file, PIL's convert('RGB') of it (<name>.rgb; exif_transpose'd first for the
// orientation files) and, for 16-bit gray, the stored values it wrote (<name>.u16, little-endian).
const GENERATE = `
import io, struct, sys, zlib, numpy as np
from PIL import Image, ImageOps
out = sys.argv[1]
rng = np.random.default_rng(20240611)
w, h = 37, 23
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
def png(ct, bd, rows, extra=b''):
    raw = b''.join(b'\\x00' + r for r in rows)
    return (b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, bd, ct, 0, 0, 0)) + extra
            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
def rows(a): return [a[y].tobytes() for y in range(h)]
files = {}
def plain(name, ct, bd, bands, extra=b''):
    a = rng.integers(0, 2 ** bd, size=(h, w, bands)).astype('>u2' if bd == 16 else 'u1')
    files[name] = png(ct, bd, rows(a), extra)
    if bd == 16 and ct in (0, 4):
        open(f'{out}/{name}.u16', 'wb').write(a[:, :, 0].astype('<u2').tobytes())
plain('gray8.png', 0, 8, 1)
plain('gray16.png', 0, 16, 1)
plain('gray-alpha8.png', 4, 8, 2)
plain('gray-alpha16.png', 4, 16, 2)
plain('rgb8.png', 2, 8, 3)
plain('rgb16.png', 2, 16, 3)
plain('rgba8.png', 6, 8, 4)
plain('rgba16.png', 6, 16, 4)
plain('gray8-trns.png', 0, 8, 1, chunk(b'tRNS', b'\\x00\\x07'))
plain('rgb8-trns.png', 2, 8, 3, chunk(b'tRNS', b'\\x00\\x07\\x00\\x08\\x00\\x09'))
packed = rng.integers(0, 256, size=(h, (w + 1) // 2)).astype('u1')
files['gray1.png'] = png(0, 1, [packed[y, :(w + 7) // 8].tobytes() for y in range(h)])
files['gray2.png'] = png(0, 2, [packed[y, :(w + 3) // 4].tobytes() for y in range(h)])
files['gray4.png'] = png(0, 4, rows(packed))
pal = rng.integers(0, 256, size=(16, 3)).astype('u1')
idx = rng.integers(0, 16, size=(h, w)).astype('u1')
files['palette8.png'] = png(3, 8, rows(idx), chunk(b'PLTE', pal.tobytes()))
files['palette8-trns.png'] = png(3, 8, rows(idx), chunk(b'PLTE', pal.tobytes()) + chunk(b'tRNS', bytes(range(0, 160, 10))))
files['palette4.png'] = png(3, 4, rows(packed), chunk(b'PLTE', pal.tobytes()))
files['palette-gray.png'] = png(3, 8, rows(idx), chunk(b'PLTE', np.repeat(np.arange(0, 256, 17, dtype='u1')[:, None], 3, 1).tobytes()))
base = Image.fromarray(rng.integers(0, 256, size=(h, w, 3)).astype('u1'), 'RGB')
def jpeg(name, im, **kw):
    b = io.BytesIO(); im.save(b, 'JPEG', **kw); files[name] = b.getvalue()
jpeg('rgb.jpg', base, quality=90)
jpeg('gray.jpg', base.convert('L'), quality=90)
jpeg('cmyk.jpg', base.convert('CMYK'), quality=90)
jpeg('progressive-422.jpg', base, quality=85, progressive=True, subsampling=1)
for o in range(1, 9):
    exif = Image.Exif(); exif[0x0112] = o
    jpeg(f'orientation{o}.jpg', base, quality=90, exif=exif.tobytes())
for name, data in files.items():
    open(f'{out}/{name}', 'wb').write(data)
    im = Image.open(io.BytesIO(data))
    if name.startswith('orientation'):
        im = ImageOps.exif_transpose(im)
    rgb = im.convert('RGB')
    open(f'{out}/{name}.rgb', 'wb').write(rgb.tobytes())
    open(f'{out}/{name}.size', 'w').write(f'{rgb.width} {rgb.height} {im.mode}')
print('\\n'.join(files))
`;

let dir = '';
let names: string[] = [];

before(() => {
  if (skipWithoutPillow) return;
  dir = mkdtempSync(join(tmpdir(), 'chexdesk-raster-'));
  names = runPython(GENERATE, [dir]).toString('utf8').trim().split('\n');
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function decode(name: string): Promise<{ frame: Frame; info: Awaited<ReturnType<typeof openRaster>>['info'] }> {
  const bytes = new Uint8Array(readFileSync(join(dir, name)));
  const kind = sniffRaster(bytes);
  assert.ok(kind, `${name} not sniffed as PNG/JPEG`);
  const opened = await openRaster(bytes, join(dir, name), kind);
  return { frame: await opened.frame(0), info: opened.info };
}

function pillowRgb(name: string): { rgb: Uint8Array; width: number; height: number; mode: string } {
  const [width, height, mode] = readFileSync(join(dir, `${name}.size`), 'utf8').split(' ');
  return { rgb: new Uint8Array(readFileSync(join(dir, `${name}.rgb`))), width: Number(width), height: Number(height), mode: mode! };
}

/** Our frame as interleaved RGB, the way PIL's convert('RGB') would replicate a gray image. */
function asRgb(frame: Frame): Uint8Array {
  const image = render8(frame);
  if (image.channels === 3) return image.data;
  const out = new Uint8Array(image.data.length * 3);
  for (let i = 0; i < image.data.length; i++) out.fill(image.data[i]!, i * 3, i * 3 + 3);
  return out;
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return `first difference at byte ${i}: ours ${a[i]}, Pillow ${b[i]}`;
  return 'equal';
}

const gray8 = ['gray8.png', 'gray-alpha8.png', 'gray8-trns.png', 'gray1.png', 'gray2.png', 'gray4.png', 'gray.jpg'];
const color = ['rgb8.png', 'rgb16.png', 'rgba8.png', 'rgba16.png', 'rgb8-trns.png', 'palette8.png', 'palette8-trns.png', 'palette4.png', 'palette-gray.png', 'rgb.jpg', 'cmyk.jpg', 'progressive-422.jpg'];

for (const name of gray8) {
  test(`8-bit gray ${name}: a GrayFrame with the identity window, equal to PIL convert('RGB')`, { skip: skipWithoutPillow }, async () => {
    const { frame } = await decode(name);
    assert.equal(frame.kind, 'gray');
    const g = frame as GrayFrame;
    assert.ok(g.stored instanceof Uint8Array);
    assert.deepEqual(g.modality, { kind: 'linear', slope: 1, intercept: 0 });
    assert.deepEqual(g.voi, { kind: 'window', center: 128, width: 256, fn: 'LINEAR', source: 'full-range' });
    assert.equal(g.invert, false);
    // The identity window: render8 gives back exactly the stored values.
    assert.deepEqual(render8(g).data, g.stored);
    const ref = pillowRgb(name);
    assert.deepEqual([g.columns, g.rows], [ref.width, ref.height]);
    const ours = asRgb(frame);
    assert.ok(Buffer.compare(Buffer.from(ours), Buffer.from(ref.rgb)) === 0, firstDifference(ours, ref.rgb));
  });
}

for (const name of color) {
  test(`colour ${name}: a ColorFrame equal to PIL convert('RGB') (alpha dropped, palette applied)`, { skip: skipWithoutPillow }, async () => {
    const { frame, info } = await decode(name);
    assert.equal(frame.kind, 'rgb');
    const ref = pillowRgb(name);
    assert.deepEqual([frame.columns, frame.rows], [ref.width, ref.height]);
    const ours = asRgb(frame);
    assert.ok(Buffer.compare(Buffer.from(ours), Buffer.from(ref.rgb)) === 0, firstDifference(ours, ref.rgb));
    assert.equal(info.raster?.palette, name.startsWith('palette'));
    assert.equal(info.raster?.bitDepth, name.includes('16') ? 16 : 8);
  });
}

for (const name of ['gray16.png', 'gray-alpha16.png']) {
  test(`16-bit gray ${name}: stored values kept, min/max window, alpha dropped`, { skip: skipWithoutPillow }, async () => {
    const { frame, info } = await decode(name);
    assert.equal(frame.kind, 'gray');
    const g = frame as GrayFrame;
    assert.ok(g.stored instanceof Uint16Array);
    assert.equal(g.bitsStored, 16);
    const raw = readFileSync(join(dir, `${name}.u16`));
    const want = new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    assert.deepEqual(g.stored, want);
    const min = Math.min(...want);
    const max = Math.max(...want);
    assert.deepEqual([g.min, g.max], [min, max]);
    assert.equal(g.voi.kind === 'window' && g.voi.source, 'minmax');
    const image = render8(g);
    assert.equal(image.data[want.indexOf(min)], 0);
    assert.equal(image.data[want.indexOf(max)], 255);
    assert.equal(info.raster?.bitDepth, 16);
    assert.equal(info.raster?.hasAlpha, name.includes('alpha'));
  });
}

for (let o = 1; o <= 8; o++) {
  test(`EXIF orientation ${o} is applied like PIL's ImageOps.exif_transpose`, { skip: skipWithoutPillow }, async () => {
    const name = `orientation${o}.jpg`;
    const { frame, info } = await decode(name);
    const ref = pillowRgb(name);
    assert.equal(info.raster?.exifOrientation, o);
    // Orientations 5 to 8 swap width and height (37x23 stored).
    assert.deepEqual([info.columns, info.rows], o >= 5 ? [23, 37] : [37, 23]);
    assert.deepEqual([frame.columns, frame.rows], [ref.width, ref.height]);
    const ours = asRgb(frame);
    assert.ok(Buffer.compare(Buffer.from(ours), Buffer.from(ref.rgb)) === 0, firstDifference(ours, ref.rgb));
  });
}

test('the generator produced every file the tests read', { skip: skipWithoutPillow }, () => {
  for (const n of [...gray8, ...color, 'gray16.png', 'gray-alpha16.png']) assert.ok(names.includes(n), n);
});

test('sniffRaster: magic bytes, not extensions', () => {
  assert.equal(sniffRaster(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])), 'png');
  assert.equal(sniffRaster(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])), 'jpeg');
  assert.equal(sniffRaster(new Uint8Array([0x89, 0x50, 0x4e, 0x47])), null);
  assert.equal(sniffRaster(new Uint8Array([0xff, 0xd8])), null);
  assert.equal(sniffRaster(new Uint8Array(132).fill(0)), null);
  assert.equal(sniffRaster(new TextEncoder().encode('GIF89a....')), null);
});

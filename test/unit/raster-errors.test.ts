// Damaged PNG/JPEG files: each is a CheXDeskError with the right code, naming the file, never a crash.
// The files are made here from sharp-encoded noise and then cut, garbled or given a giant header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { CheXDeskError } from '../../main/errors';
import { jpegTruncation, openRaster, pngTruncation, sniffRaster } from '../../main/raster/open-raster';

const W = 64;
const H = 48;

async function encoded(format: 'png' | 'jpeg'): Promise<Uint8Array> {
  const raw = Buffer.alloc(W * H * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7919 + (i >> 5) * 13) & 255;
  const s = sharp(raw, { raw: { width: W, height: H, channels: 3 } });
  return new Uint8Array(format === 'png' ? await s.png({ compressionLevel: 0 }).toBuffer() : await s.jpeg({ quality: 90 }).toBuffer());
}

/** Opens and decodes; returns the CheXDeskError it must throw. */
async function failure(bytes: Uint8Array, path: string): Promise<CheXDeskError> {
  try {
    const kind = sniffRaster(bytes);
    assert.ok(kind, 'still recognised as PNG/JPEG');
    const opened = await openRaster(bytes, path, kind);
    await opened.frame(0);
  } catch (err) {
    assert.ok(err instanceof CheXDeskError, `not a CheXDeskError: ${String(err)}`);
    assert.equal(err.file, path);
    assert.ok(!/\n/.test(err.reason), 'one-line reason');
    return err;
  }
  assert.fail('decoded without an error');
}

/** Rewrites the IHDR's width and height (and its CRC). */
function withSize(png: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(png);
  const view = new DataView(out.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  view.setUint32(29, crc32(out.subarray(12, 29)) >>> 0);
  return out;
}

test('the intact files decode', async () => {
  for (const format of ['png', 'jpeg'] as const) {
    const bytes = await encoded(format);
    const opened = await openRaster(bytes, `ok.${format}`, format);
    const frame = await opened.frame(0);
    assert.deepEqual([frame.columns, frame.rows, frame.kind], [W, H, 'rgb']);
  }
});

test('a JPEG with a long trailer after its end marker still decodes (not mistaken for truncation)', async () => {
  const jpeg = await encoded('jpeg');
  const withTrailer = new Uint8Array(jpeg.length + 2000);
  withTrailer.set(jpeg);
  withTrailer.fill(0x41, jpeg.length);
  const opened = await openRaster(withTrailer, 'trailer.jpg', 'jpeg');
  const frame = await opened.frame(0);
  assert.deepEqual([frame.columns, frame.rows], [W, H]);
});

test('a PNG cut in half is Truncated', async () => {
  const png = await encoded('png');
  const err = await failure(png.subarray(0, Math.floor(png.length / 2)), '/data/half.png');
  assert.equal(err.code, 'Truncated');
  assert.match(err.reason, /PNG ends/);
});

test('a PNG without its IEND chunk is Truncated', async () => {
  const png = await encoded('png');
  const err = await failure(png.subarray(0, png.length - 12), '/data/no-iend.png');
  assert.equal(err.code, 'Truncated');
});

test('a PNG cut inside its header is Truncated', async () => {
  const png = await encoded('png');
  assert.equal((await failure(png.subarray(0, 20), 'head.png')).code, 'Truncated');
  assert.equal((await failure(png.subarray(0, 8), 'magic-only.png')).code, 'Truncated');
});

test('a JPEG cut in half is Truncated', async () => {
  const jpeg = await encoded('jpeg');
  const err = await failure(jpeg.subarray(0, Math.floor(jpeg.length / 2)), '/data/half.jpg');
  assert.equal(err.code, 'Truncated');
  assert.match(err.reason, /JPEG ends/);
  assert.equal((await failure(jpeg.subarray(0, 3), 'magic-only.jpg')).code, 'Truncated');
});

test('a PNG with garbled image data is CorruptData', async () => {
  const png = await encoded('png');
  const bad = new Uint8Array(png);
  // Inside the IDAT (the first ~100 bytes are signature and header chunks).
  for (let i = 200; i < 400; i++) bad[i] = bad[i]! ^ 0x5a;
  const err = await failure(bad, 'garbled.png');
  assert.equal(err.code, 'CorruptData');
  assert.match(err.reason, /PNG data is damaged/);
});

test('a PNG whose header CRC is wrong is CorruptData', async () => {
  const png = new Uint8Array(await encoded('png'));
  png[29] = png[29]! ^ 1;
  assert.equal((await failure(png, 'crc.png')).code, 'CorruptData');
});

test('a JPEG with garbled entropy-coded data is CorruptData', async () => {
  const jpeg = new Uint8Array(await encoded('jpeg'));
  for (let i = jpeg.length - 600; i < jpeg.length - 300; i++) jpeg[i] = jpeg[i]! ^ 0x5a;
  const err = await failure(jpeg, 'garbled.jpg');
  assert.equal(err.code, 'CorruptData');
});

test("a PNG declaring more pixels than sharp's limit is TooLarge (refused from the header alone)", async () => {
  const png = await encoded('png');
  const err = await failure(withSize(png, 20000, 20000), '/data/huge.png');
  assert.equal(err.code, 'TooLarge');
});

test('frame 1 of a PNG is FrameOutOfRange', async () => {
  const png = await encoded('png');
  const opened = await openRaster(png, 'one.png', 'png');
  await assert.rejects(opened.frame(1), { name: 'FrameOutOfRange' });
  assert.equal(opened.info.frames, 1);
});

test('pngTruncation / jpegTruncation read the structure, not the decoder', () => {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  const iend = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
  assert.equal(pngTruncation(new Uint8Array([...sig, ...iend])), null);
  assert.match(pngTruncation(new Uint8Array([...sig, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2])) ?? '', /inside its IHDR chunk/);
  assert.equal(jpegTruncation(new Uint8Array([0xff, 0xd8, 0xff, 0xd9])), null);
  assert.equal(jpegTruncation(new Uint8Array([0xff, 0xd8, 0xff, 0xd9, 0, 0, 0])), null); // bytes after EOI
  assert.match(jpegTruncation(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2])) ?? '', /without its end-of-image marker/);
});

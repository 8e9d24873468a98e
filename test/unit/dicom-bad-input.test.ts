/**
 * Bad input the tests generate, through openImage as every caller: each must end in a typed
 * CheXDeskError naming the file with a reason a person understands — no crash, no hang, and no
 * allocation of a size the header merely claims.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openImage } from '../../main/image/open-image';
import { CheXDeskError, type ErrorCode } from '../../main/errors';
import { encodeFrame, scratchDir, TS, writeDicom, type DicomSpec } from '../support/dicom-files';

const scratch = scratchDir();
after(() => scratch.remove());
let n = 0;

/** Opens and decodes frame 0; returns the error (or fails if an image came out). */
async function failure(bytes: Uint8Array | string, name = `bad${n++}.dcm`): Promise<CheXDeskError> {
  const path = scratch.write(name, bytes);
  const before = process.memoryUsage().arrayBuffers;
  const err = await openImage(path).then(
    (image) => image.frame(0).then(() => null, (e: unknown) => e),
    (e: unknown) => e,
  );
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(err instanceof CheXDeskError, `expected a typed error, got ${err === null ? 'an image' : String(err)}`);
  assert.equal(err.file, path, 'the error names the file');
  assert.ok(err.reason.length > 8 && !/\n\s+at /.test(err.reason), `a readable reason: ${err.reason}`);
  assert.ok(grown < 200 * 1024 * 1024, `no allocation of the claimed size (array buffers grew by ${grown} bytes)`);
  return err;
}

function expectCode(err: CheXDeskError, ...codes: ErrorCode[]): void {
  assert.ok(codes.includes(err.code), `${err.code} (${err.reason}) is not one of ${codes.join(', ')}`);
}

const small = (over: Partial<DicomSpec> = {}): DicomSpec => ({ rows: 4, columns: 4, pixels: new Uint16Array(16), ...over });

test('zero-length file', { timeout: 5000 }, async () => {
  const err = await failure(new Uint8Array(0));
  expectCode(err, 'NotDicom');
  assert.match(err.reason, /empty/);
});

test('a text file named .dcm is not DICOM', { timeout: 5000 }, async () => {
  const err = await failure('This is not a DICOM file, whatever its name says.\n'.repeat(10));
  expectCode(err, 'NotDicom');
});

test('rows x columns x frames far beyond the bytes present', { timeout: 5000 }, async () => {
  // 1000 frames of 2048x2048x16 bits = 8 GiB claimed, 32 bytes present.
  const err = await failure(writeDicom(small({ rows: 2048, columns: 2048, frames: 1000 })));
  expectCode(err, 'Truncated', 'CorruptData');
  assert.match(err.reason, /Pixel Data holds 32 bytes/);
});

test('one frame beyond 2^31 bytes is refused as too large', { timeout: 5000 }, async () => {
  // 65535 x 65535 x 3 samples x 16 bits = 25.8 GB.
  const err = await failure(writeDicom(small({ rows: 65535, columns: 65535, samplesPerPixel: 3, pixels: new Uint16Array(48) })));
  expectCode(err, 'TooLarge');
  assert.match(err.reason, /bytes, more than/);
});

test('frames whose total passes 2^31 bytes, each frame small', { timeout: 5000 }, async () => {
  const err = await failure(writeDicom(small({ rows: 256, columns: 256, frames: 2 ** 20 })));
  expectCode(err, 'Truncated', 'CorruptData');
});

test('a compressed frame claiming a huge image is refused before the codec allocates', { timeout: 5000 }, async () => {
  const encoded = await encodeFrame('j2k', Uint16Array.from({ length: 64 * 64 }, (_, i) => i % 4096), { width: 64, height: 64, bitsPerSample: 12, components: 1 });
  // 30000 x 30000 x 8 bits = 900 MB: under the frame limit, so only the codestream check stands between.
  const err = await failure(writeDicom({ rows: 30000, columns: 30000, bitsAllocated: 8, transferSyntax: TS.j2kLossless, encodedFrames: [encoded] }));
  expectCode(err, 'CorruptData');
  assert.match(err.reason, /64x64x1 but the DICOM header says 30000x30000x1/);
});

test('Pixel Data shorter than Rows x Columns needs', { timeout: 5000 }, async () => {
  const err = await failure(writeDicom(small({ pixels: new Uint16Array(10) })));
  expectCode(err, 'Truncated', 'CorruptData');
  assert.match(err.reason, /holds 20 bytes but 1 frame\(s\) of 4x4x1 at 16 bits need 32/);
});

test('a Pixel Data length field claiming more than the file holds', { timeout: 5000 }, async () => {
  const bytes = writeDicom(small());
  // The OW length is the 4 bytes before the 32 pixel bytes at the end of the file.
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(bytes.length - 32 - 4, 0x7ffffff0, true);
  const err = await failure(bytes);
  expectCode(err, 'Truncated');
  assert.match(err.reason, /declares 2147483632 bytes but only 32 remain/);
});

test('an encapsulated fragment length running past the end of the file', { timeout: 5000 }, async () => {
  const encoded = await encodeFrame('jpeg-ls', new Uint16Array(64).fill(7), { width: 8, height: 8, bitsPerSample: 12, components: 1 });
  const bytes = writeDicom({ rows: 8, columns: 8, bitsStored: 12, transferSyntax: TS.jpegLs, encodedFrames: [encoded] });
  // Layout at the end: fragment item (FFFE,E000) length, data (padded even), then (FFFE,E0DD) 0.
  const padded = encoded.length + (encoded.length % 2);
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(bytes.length - 8 - padded - 4, 0x10000000, true);
  const err = await failure(bytes);
  expectCode(err, 'Truncated', 'CorruptData');
});

test('corrupt codestream bytes give CorruptData, and the codec still works afterwards', { timeout: 5000 }, async () => {
  const pixels = Uint16Array.from({ length: 64 * 64 }, (_, i) => (i * 31) % 4096);
  const encoded = await encodeFrame('j2k', pixels, { width: 64, height: 64, bitsPerSample: 12, components: 1 });
  const broken = encoded.slice();
  for (let i = 60; i < broken.length; i += 3) broken[i] = 0xff;
  const err = await failure(writeDicom({ rows: 64, columns: 64, bitsStored: 12, transferSyntax: TS.j2kLossless, encodedFrames: [broken.subarray(0, 80)] }));
  expectCode(err, 'CorruptData');
  const good = await openImage(scratch.write('good.dcm', writeDicom({ rows: 64, columns: 64, bitsStored: 12, transferSyntax: TS.j2kLossless, encodedFrames: [encoded] })));
  const frame = await good.frame(0);
  assert.equal(frame.kind, 'gray');
  if (frame.kind === 'gray') assert.deepEqual([...frame.stored], [...pixels]);
});

test('an unknown transfer syntax UID is named in the error', { timeout: 5000 }, async () => {
  const err = await failure(writeDicom(small({ transferSyntax: '1.2.3.4.5.6.7.8', encodedFrames: [new Uint8Array(8)], pixels: undefined })));
  expectCode(err, 'UnsupportedTransferSyntax');
  assert.equal(err.detail?.uid, '1.2.3.4.5.6.7.8');
  assert.match(err.reason, /1\.2\.3\.4\.5\.6\.7\.8 \(unknown \(private\) transfer syntax\)/);
});

test('a known but undecodable transfer syntax (MPEG2) is named', { timeout: 5000 }, async () => {
  const err = await failure(writeDicom(small({ transferSyntax: '1.2.840.10008.1.2.4.100', encodedFrames: [new Uint8Array(8)], pixels: undefined })));
  expectCode(err, 'UnsupportedTransferSyntax');
  assert.equal(err.detail?.name, 'MPEG2 Main Profile / Main Level');
  assert.match(err.reason, /MPEG2 Main Profile \/ Main Level/);
});

test('an unsupported photometric interpretation and bit depth are typed errors', { timeout: 5000 }, async () => {
  expectCode(await failure(writeDicom(small({ photometric: 'CMYK', samplesPerPixel: 3, pixels: new Uint16Array(48) }))), 'UnsupportedImage');
  const err = await failure(writeDicom(small({ bitsStored: 20 })));
  expectCode(err, 'CorruptData');
  assert.match(err.reason, /Bits Stored 20/);
});

/**
 * The DICOM decoder on files these tests write with dcmjs (test/support/dicom-files.ts): every
 * photometric interpretation, Bits Stored normalisation, signed data with rescale, MONOCHROME1,
 * multi-frame, planar configuration, window vs min/max, VOI LUT functions, LUT sequences, padding,
 * the file layouts (no preamble, no File Meta) and each codec path. Expected values are worked out by
 * hand from the pixels the test wrote.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openImage } from '../../main/image/open-image';
import { isDicomImage, type DicomImage } from '../../main/dicom/open-dicom';
import { render8 } from '../../main/image/render8';
import type { GrayFrame, ColorFrame } from '../../main/image/types';
import { CheXDeskError } from '../../main/errors';
import {
  encodeFrame,
  encodeRle,
  scratchDir,
  TS,
  withoutBasicOffsetTable,
  withoutFileMeta,
  withoutPreamble,
  writeDicom,
  type DicomSpec,
} from '../support/dicom-files';

const scratch = scratchDir();
after(() => scratch.remove());
let counter = 0;

async function openBytes(bytes: Uint8Array, name = `f${counter++}.dcm`): Promise<DicomImage> {
  const image = await openImage(scratch.write(name, bytes));
  assert.ok(isDicomImage(image));
  return image;
}

const open = (spec: DicomSpec) => openBytes(writeDicom(spec));

async function gray(image: DicomImage, i = 0): Promise<GrayFrame> {
  const f = await image.frame(i);
  assert.equal(f.kind, 'gray');
  return f as GrayFrame;
}

async function rgb(image: DicomImage, i = 0): Promise<ColorFrame> {
  const f = await image.frame(i);
  assert.equal(f.kind, 'rgb');
  return f as ColorFrame;
}

test('MONOCHROME2 unsigned 12-in-16: bits above Bits Stored are masked off', async () => {
  // 0x1005 has a stray bit 12 set: its 12-bit value is 5. 0xF123 -> 0x123.
  const image = await open({ rows: 1, columns: 4, bitsStored: 12, pixels: new Uint16Array([0x1005, 0xf123, 4095, 0]) });
  const { stored } = await image.decodeFrame(0);
  assert.ok(stored.values instanceof Uint16Array);
  assert.deepEqual([...stored.values], [5, 0x123, 4095, 0]);
  assert.equal(stored.colorSpace, 'MONOCHROME');
  const f = await gray(image);
  assert.equal(f.min, 0);
  assert.equal(f.max, 4095);
  assert.equal(f.invert, false);
  assert.equal(image.info.dicom!.transferSyntax.name, 'Explicit VR Little Endian');
});

test('signed 12-in-16 with rescale: sign-extended from bit 11, modality LUT from slope/intercept', async () => {
  // 0x0800 in 12 bits is -2048; 0xFFFF is -1; 0x07FF is 2047; 0xF001: low 12 bits 0x001 -> 1.
  const image = await open({
    rows: 2,
    columns: 2,
    bitsStored: 12,
    pixelRepresentation: 1,
    pixels: new Uint16Array([0x0800, 0xffff, 0x07ff, 0xf001]),
    attributes: { RescaleSlope: 2, RescaleIntercept: -1000 },
  });
  const { stored } = await image.decodeFrame(0);
  assert.ok(stored.values instanceof Int16Array);
  assert.deepEqual([...stored.values], [-2048, -1, 2047, 1]);
  const f = await gray(image);
  assert.deepEqual(f.modality, { kind: 'linear', slope: 2, intercept: -1000 });
  assert.equal(f.signed, true);
  // No window in the file: min/max of the modality values, -2048*2-1000 = -5096 .. 2047*2-1000 = 3094.
  assert.deepEqual(f.voi, { kind: 'window', center: (-5096 + 3094) / 2, width: 3094 + 5096, fn: 'LINEAR_EXACT', source: 'minmax' });
  const img = render8(f);
  assert.deepEqual([...img.data], [0, Math.round(((-2 - 1000 + 5096) / 8190) * 255), 255, Math.round(((2 - 1000 + 5096) / 8190) * 255)]);
  assert.deepEqual(image.info.dicom!.rescale, { slope: 2, intercept: -1000 });
});

test('MONOCHROME1 is inverted after the window', async () => {
  const image = await open({
    rows: 1,
    columns: 3,
    photometric: 'MONOCHROME1',
    pixels: new Uint16Array([0, 500, 1000]),
    attributes: { WindowCenter: 500, WindowWidth: 1001 },
  });
  const f = await gray(image);
  assert.equal(f.invert, true);
  // LINEAR, c=500 w=1001: x=0 -> 0, x=500 -> (500-499.5)/1000+0.5 = 0.5005 -> 128, x=1000 -> 1; inverted.
  assert.deepEqual([...render8(f).data], [255, 255 - 128, 0]);
});

test('the first Window Center/Width pair is the default, with its VOI LUT Function', async () => {
  const image = await open({
    rows: 1,
    columns: 2,
    pixels: new Uint16Array([10, 20]),
    attributes: { WindowCenter: [40, 1000], WindowWidth: [80, 2000], VOILUTFunction: 'SIGMOID', WindowCenterWidthExplanation: ['SOFT', 'BONE'] },
  });
  const f = await gray(image);
  assert.deepEqual(f.voi, { kind: 'window', center: 40, width: 80, fn: 'SIGMOID', source: 'tags', explanation: 'SOFT' });
  assert.deepEqual(image.info.dicom!.window, { center: 40, width: 80 });
  // SIGMOID: 255 / (1 + exp(-4 (x - 40) / 80)); x = 10 -> 255/(1+e^1.5) = 46.5 -> 47; x = 20 -> 255/(1+e^1) = 68.6 -> 69.
  assert.deepEqual([...render8(f).data], [47, 69]);
});

test('LINEAR_EXACT window from the file', async () => {
  const image = await open({ rows: 1, columns: 3, bitsAllocated: 8, pixels: new Uint8Array([0, 75, 100]), attributes: { WindowCenter: 50, WindowWidth: 100, VOILUTFunction: 'LINEAR_EXACT' } });
  const f = await gray(image);
  assert.equal(f.voi.kind === 'window' && f.voi.fn, 'LINEAR_EXACT');
  // (x - 50)/100 + 0.5: 0 -> 0, 75 -> 0.75 -> 191, 100 -> 1 -> 255
  assert.deepEqual([...render8(f).data], [0, 191, 255]);
});

test('Modality LUT Sequence maps stored values through its table', async () => {
  const image = await open({
    rows: 1,
    columns: 4,
    pixels: new Uint16Array([0, 1, 2, 9]),
    attributes: { ModalityLUTSequence: [{ LUTDescriptor: [3, 1, 16], ModalityLUTType: 'OD', LUTData: [100, 200, 300], _vrMap: { LUTDescriptor: 'US', LUTData: 'US' } }] },
  });
  const f = await gray(image);
  assert.equal(f.modality.kind, 'table');
  if (f.modality.kind !== 'table') return;
  assert.equal(f.modality.firstMapped, 1);
  assert.deepEqual([...f.modality.table], [100, 200, 300]);
  // min/max window over modality values: stored 0 -> 100 (below first mapped), 9 -> 300 (past the end).
  assert.deepEqual(f.voi, { kind: 'window', center: 200, width: 200, fn: 'LINEAR_EXACT', source: 'minmax' });
  assert.deepEqual([...render8(f).data], [0, 0, 128, 255]);
});

test('VOI LUT Sequence is the default when there is no window', async () => {
  const image = await open({
    rows: 1,
    columns: 3,
    bitsAllocated: 8,
    pixels: new Uint8Array([5, 6, 7]),
    attributes: { VOILUTSequence: [{ LUTDescriptor: [3, 5, 8], LUTData: [0, 128, 255], LUTExplanation: 'TEST', _vrMap: { LUTDescriptor: 'US', LUTData: 'US' } }] },
  });
  const f = await gray(image);
  assert.equal(f.voi.kind, 'table');
  if (f.voi.kind !== 'table') return;
  assert.equal(f.voi.firstMapped, 5);
  assert.equal(f.voi.bits, 8);
  assert.deepEqual([...render8(f).data], [0, 128, 255]);
});

test('Pixel Padding Value is left out of min/max and the fallback window', async () => {
  const image = await open({ rows: 1, columns: 4, pixels: new Uint16Array([0, 100, 200, 0]), attributes: { PixelPaddingValue: 0 } });
  const f = await gray(image);
  assert.equal(f.paddingValue, 0);
  assert.equal(f.min, 100);
  assert.equal(f.max, 200);
  assert.deepEqual(f.voi, { kind: 'window', center: 150, width: 100, fn: 'LINEAR_EXACT', source: 'minmax' });
  assert.deepEqual([...render8(f).data], [0, 0, 255, 0]);
});

test('multi-frame native: every frame addressable, out of range is a typed error', async () => {
  const pixels = new Uint16Array(3 * 4).map((_, i) => i * 10);
  const image = await open({ rows: 2, columns: 2, frames: 3, pixels });
  assert.equal(image.info.frames, 3);
  for (let i = 0; i < 3; i++) {
    const { stored } = await image.decodeFrame(i);
    assert.deepEqual([...stored.values], [0, 1, 2, 3].map((k) => (i * 4 + k) * 10));
  }
  await assert.rejects(image.frame(3), (e: unknown) => e instanceof CheXDeskError && e.code === 'FrameOutOfRange' && /frame 3/.test(e.reason));
});

test('RGB planar configuration 0 and 1 give the same interleaved values', async () => {
  const interleaved = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
  const planar = new Uint8Array([255, 0, 0, 10, 0, 255, 0, 20, 0, 0, 255, 30]);
  const a = await open({ rows: 2, columns: 2, samplesPerPixel: 3, bitsAllocated: 8, pixels: interleaved });
  const b = await open({ rows: 2, columns: 2, samplesPerPixel: 3, bitsAllocated: 8, planarConfiguration: 1, pixels: planar });
  for (const image of [a, b]) {
    const { stored, frame } = await image.decodeFrame(0);
    assert.equal(stored.colorSpace, 'RGB');
    assert.deepEqual([...stored.values], [...interleaved]);
    assert.deepEqual([...(frame as ColorFrame).rgb], [...interleaved]);
    const img = render8(frame);
    assert.equal(img.channels, 3);
  }
});

test('YBR_FULL: stored values stay Y/Cb/Cr, the display frame is RGB by PS3.3 C.7.6.3.1.2', async () => {
  // (128,128,128) is mid gray; (76, 85, 255) is red: R = 76 + 1.402*127 = 254.1, G = 76 + 0.3441*43 - 0.7141*127 = 0.1, B = 76 - 1.772*43 = -0.2.
  const image = await open({ rows: 1, columns: 2, samplesPerPixel: 3, bitsAllocated: 8, photometric: 'YBR_FULL', pixels: new Uint8Array([128, 128, 128, 76, 85, 255]) });
  const { stored, frame } = await image.decodeFrame(0);
  assert.equal(stored.colorSpace, 'YBR');
  assert.deepEqual([...stored.values], [128, 128, 128, 76, 85, 255]);
  assert.deepEqual([...(frame as ColorFrame).rgb], [128, 128, 128, 254, 0, 0]);
});

test('YBR_FULL_422 native: one Cb/Cr pair per two pixels is expanded', async () => {
  // Y1 Y2 Cb Cr for pixels (0,1), then for (2,3).
  const image = await open({ rows: 1, columns: 4, samplesPerPixel: 3, bitsAllocated: 8, photometric: 'YBR_FULL_422', pixels: new Uint8Array([10, 20, 128, 128, 30, 40, 128, 128]) });
  const { stored, frame } = await image.decodeFrame(0);
  assert.deepEqual([...stored.values], [10, 128, 128, 20, 128, 128, 30, 128, 128, 40, 128, 128]);
  assert.deepEqual([...(frame as ColorFrame).rgb], [10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40]);
});

test('PALETTE COLOR: stored values are indices; 16-bit palette entries scale to 8 bits', async () => {
  const red = new Uint16Array([0, 65535, 32896, 0]); // 128 * 257: widened the x * 257 way
  const green = new Uint16Array([0, 0, 65535, 1 << 8]); // widened the x << 8 way
  const blue = new Uint16Array([65535, 0, 0, 2 << 8]);
  const image = await open({
    rows: 1,
    columns: 4,
    bitsAllocated: 8,
    photometric: 'PALETTE COLOR',
    pixels: new Uint8Array([10, 11, 12, 13]),
    attributes: {
      RedPaletteColorLookupTableDescriptor: [4, 10, 16],
      GreenPaletteColorLookupTableDescriptor: [4, 10, 16],
      BluePaletteColorLookupTableDescriptor: [4, 10, 16],
      RedPaletteColorLookupTableData: red.buffer,
      GreenPaletteColorLookupTableData: green.buffer,
      BluePaletteColorLookupTableData: blue.buffer,
    },
    vrs: {
      RedPaletteColorLookupTableDescriptor: 'US',
      GreenPaletteColorLookupTableDescriptor: 'US',
      BluePaletteColorLookupTableDescriptor: 'US',
      RedPaletteColorLookupTableData: 'OW',
      GreenPaletteColorLookupTableData: 'OW',
      BluePaletteColorLookupTableData: 'OW',
    },
  });
  const { stored, frame } = await image.decodeFrame(0);
  assert.equal(stored.colorSpace, 'PALETTE');
  assert.deepEqual([...stored.values], [10, 11, 12, 13]);
  // High bytes: 65535 -> 255, 32896 -> 128, 257 -> 1, 514 -> 2.
  assert.deepEqual([...(frame as ColorFrame).rgb], [0, 0, 255, 255, 0, 0, 128, 255, 0, 0, 1, 2]);
});

const SAMPLE16 = new Uint16Array([0, 1, 1000, 4095, 2048, 7, 300, 12]);

for (const [label, ts] of [
  ['Implicit VR Little Endian', TS.implicitLE],
  ['Explicit VR Big Endian', TS.explicitBE],
] as const) {
  test(`${label}: 16-bit values read in the right byte order`, async () => {
    const image = await open({ rows: 2, columns: 4, bitsStored: 12, transferSyntax: ts, pixels: SAMPLE16, attributes: { WindowCenter: 2048, WindowWidth: 4096 } });
    assert.equal(image.info.dicom!.transferSyntax.uid, ts);
    const f = await gray(image);
    assert.deepEqual([...f.stored], [...SAMPLE16]);
    assert.deepEqual(image.info.dicom!.window, { center: 2048, width: 4096 });
  });
}

test('File Meta without the preamble, and a bare implicit data set without File Meta', async () => {
  const file = writeDicom({ rows: 2, columns: 4, transferSyntax: TS.implicitLE, pixels: SAMPLE16 });
  for (const bytes of [withoutPreamble(file), withoutFileMeta(file)]) {
    const image = await openBytes(bytes);
    assert.deepEqual([...(await gray(image)).stored], [...SAMPLE16]);
  }
  const bare = await openBytes(withoutFileMeta(file));
  assert.equal(bare.info.dicom!.transferSyntax.uid, TS.implicitLE, 'no File Meta: implicit VR LE (PS3.10 default)');
});

test('DicomInfo carries the identifying attributes', async () => {
  const image = await open({
    rows: 1,
    columns: 1,
    pixels: new Uint16Array([1]),
    attributes: { PatientName: 'Doe^Jane', StudyDate: '20240102', Modality: 'DX', ViewPosition: 'PA', ImagerPixelSpacing: [0.139, 0.14], SeriesNumber: '3', InstanceNumber: '7' },
  });
  const d = image.info.dicom!;
  assert.equal(d.patientName, 'Doe, Jane');
  assert.equal(d.patientId, 'TEST-1');
  assert.equal(d.studyDate, '20240102');
  assert.equal(d.modality, 'DX');
  assert.equal(d.viewPosition, 'PA');
  assert.deepEqual(d.pixelSpacing, [0.139, 0.14]);
  assert.equal(d.seriesNumber, 3);
  assert.equal(d.instanceNumber, 7);
});

/** Frames of noise: incompressible, so a large enough frame spans several of dcmjs' 20 KiB fragments. */
function noiseFrames(count: number, width: number, height: number, bits: number): Uint16Array[] {
  let seed = 12345;
  return Array.from({ length: count }, () =>
    Uint16Array.from({ length: width * height }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> (32 - bits);
    }),
  );
}

test('RLE Lossless multi-frame, 16-bit and RGB, with and without a Basic Offset Table', async () => {
  const frames = noiseFrames(3, 7, 5, 16);
  const encoded = frames.map((f) => encodeRle(new Uint8Array(f.buffer), 35, 1, 2));
  const file = writeDicom({ rows: 5, columns: 7, frames: 3, transferSyntax: TS.rle, encodedFrames: encoded });
  for (const bytes of [file, withoutBasicOffsetTable(file)]) {
    const image = await openBytes(bytes);
    for (let i = 0; i < 3; i++) assert.deepEqual([...(await image.decodeFrame(i)).stored.values], [...frames[i]!]);
  }
  const rgbPixels = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const image = await open({ rows: 2, columns: 2, samplesPerPixel: 3, bitsAllocated: 8, transferSyntax: TS.rle, encodedFrames: [encodeRle(rgbPixels, 4, 3, 1)] });
  assert.deepEqual([...(await rgb(image)).rgb], [...rgbPixels]);
});

for (const [kind, ts] of [
  ['jpeg-ls', TS.jpegLs],
  ['j2k', TS.j2kLossless],
  ['htj2k', TS.htj2kLossless],
] as const) {
  test(`${kind}: lossless multi-frame round trip, fragments spanning frames, with and without offset table`, async () => {
    const width = 200;
    const height = 150;
    const frames = noiseFrames(3, width, height, 12);
    const encoded = await Promise.all(frames.map((f) => encodeFrame(kind, f, { width, height, bitsPerSample: 12, components: 1 })));
    assert.ok(encoded.every((e) => e.length > 20 * 1024), 'each frame spans several 20 KiB fragments');
    const file = writeDicom({ rows: height, columns: width, frames: 3, bitsStored: 12, transferSyntax: ts, encodedFrames: encoded, splitFragments: true });
    for (const bytes of [file, withoutBasicOffsetTable(file)]) {
      const image = await openBytes(bytes);
      for (let i = 2; i >= 0; i--) assert.deepEqual([...(await image.decodeFrame(i)).stored.values], [...frames[i]!], `frame ${i}`);
    }
  });
}

test('a codestream whose size disagrees with Rows/Columns is refused before decoding', async () => {
  const frame = noiseFrames(1, 16, 16, 12)[0]!;
  const encoded = await encodeFrame('jpeg-ls', frame, { width: 16, height: 16, bitsPerSample: 12, components: 1 });
  const image = await open({ rows: 32, columns: 16, bitsStored: 12, transferSyntax: TS.jpegLs, encodedFrames: [encoded] });
  await assert.rejects(image.frame(0), (e: unknown) => e instanceof CheXDeskError && e.code === 'CorruptData' && /16x16x1.*16x32x1/.test(e.reason));
});

test('JPEG Baseline RGB: decoded by libjpeg-turbo close to the source', async () => {
  const width = 32;
  const height = 16;
  const src = new Uint8Array(width * height * 3).map((_, i) => (i % 3 === 0 ? 200 : i % 3 === 1 ? 100 : 50));
  const encoded = await encodeFrame('jpeg-baseline', src, { width, height, bitsPerSample: 8, components: 3 });
  const image = await open({ rows: height, columns: width, samplesPerPixel: 3, bitsAllocated: 8, photometric: 'YBR_FULL_422', transferSyntax: '1.2.840.10008.1.2.4.50', encodedFrames: [encoded] });
  const { stored, frame } = await image.decodeFrame(0);
  assert.equal(stored.colorSpace, 'RGB', 'libjpeg converts YCbCr to RGB while decoding');
  const out = (frame as ColorFrame).rgb;
  let maxDiff = 0;
  for (let i = 0; i < src.length; i++) maxDiff = Math.max(maxDiff, Math.abs(out[i]! - src[i]!));
  assert.ok(maxDiff <= 3, `flat colour survives lossy JPEG within 3 levels (got ${maxDiff})`);
});

test('a file offering several windows: the first is the default, all are listed with their explanations', async () => {
  const image = await open({
    rows: 2,
    columns: 2,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 1,
    photometric: 'MONOCHROME2',
    pixels: new Int16Array([-1000, 0, 40, 1000]),
    attributes: { Modality: 'CT', WindowCenter: [40, -600], WindowWidth: [400, 1500], WindowCenterWidthExplanation: ['SOFT TISSUE', 'LUNG'] },
  });
  assert.deepEqual(image.info.dicom!.window, { center: 40, width: 400 });
  assert.deepEqual(image.info.dicom!.windows, [
    { center: 40, width: 400, explanation: 'SOFT TISSUE' },
    { center: -600, width: 1500, explanation: 'LUNG' },
  ]);
  const frame = await gray(image);
  assert.equal(frame.voi.kind === 'window' && frame.voi.center, 40);
});

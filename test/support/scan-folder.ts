/**
 * Study folders for scan, serve and app tests, made on the fly: uniform-valued images whose model
 * outputs under a tiny model (test/support/tiny-models.ts) follow from the pixel value alone —
 * every resize, crop and flip of a uniform image is the same uniform image — plus broken files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { writeDicom } from './dicom-files';

/** 8-bit value a file's pixels are rendered to (what the model sees), by relative path. */
export type Expected8 = Map<string, number[]>;

export interface ScanFolder {
  root: string;
  /** Per image file: the 8-bit model-input value of each frame. */
  values: Expected8;
  /** Files that must come back as error rows, with the error code. */
  broken: Map<string, string>;
  /** Files that must be skipped silently. */
  ignored: string[];
}

async function put(root: string, rel: string, data: Uint8Array | string): Promise<string> {
  const path = join(root, rel);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
  return path;
}

export async function uniformPng(value: number, width = 40, height = 30, channels: 1 | 3 = 1): Promise<Uint8Array> {
  const data = new Uint8Array(width * height * channels).fill(value);
  return sharp(data, { raw: { width, height, channels } }).png().toBuffer();
}

/**
 * PS3.3 C.11.2.1.2 LINEAR window, rounded to 8 bits: written out here, independently of the decoder,
 * so the expected model input of a DICOM test file does not come from the code under test.
 */
export function linearWindow8(x: number, center: number, width: number): number {
  if (x <= center - 0.5 - (width - 1) / 2) return 0;
  if (x > center - 0.5 + (width - 1) / 2) return 255;
  return Math.round(((x - (center - 0.5)) / (width - 1) + 0.5) * 255);
}

export async function makeScanFolder(root: string): Promise<ScanFolder> {
  const values: Expected8 = new Map();
  const broken = new Map<string, string>();
  await put(root, 'png/gray-40.png', await uniformPng(40));
  values.set('png/gray-40.png', [40]);
  await put(root, 'png/rgb-200.png', await uniformPng(200, 33, 47, 3));
  values.set('png/rgb-200.png', [200]);
  const jpg = await sharp(new Uint8Array(64 * 48).fill(128), { raw: { width: 64, height: 48, channels: 1 } }).jpeg({ quality: 100 }).toBuffer();
  await put(root, 'jpeg/deep/mid.jpg', jpg);
  values.set('jpeg/deep/mid.jpg', [128]);

  // Window 1000/400 (LINEAR): stored 1100 renders to 192; MONOCHROME1 inverts it.
  const center = 1000;
  const width = 400;
  const cr = (photometric: string, stored: number[]) =>
    writeDicom({
      rows: 20,
      columns: 24,
      frames: stored.length,
      bitsAllocated: 16,
      bitsStored: 12,
      pixelRepresentation: 0,
      photometric,
      pixels: new Uint16Array(stored.flatMap((v) => new Array<number>(20 * 24).fill(v))),
      attributes: {
        WindowCenter: center,
        WindowWidth: width,
        Modality: 'CR',
        PatientName: 'Test^Patient',
        PatientID: 'P1',
        StudyInstanceUID: '1.2.826.0.1.3680043.8.498.1',
        SeriesInstanceUID: '1.2.826.0.1.3680043.8.498.1.1',
        SOPInstanceUID: `1.2.826.0.1.3680043.8.498.1.1.${stored.length}.${photometric.length}`,
      },
    });
  await put(root, 'dicom/IM0001', cr('MONOCHROME2', [1100]));
  values.set('dicom/IM0001', [linearWindow8(1100, center, width)]);
  await put(root, 'dicom/inverted.dcm', cr('MONOCHROME1', [1100]));
  values.set('dicom/inverted.dcm', [255 - linearWindow8(1100, center, width)]);
  await put(root, 'dicom/multi.dcm', cr('MONOCHROME2', [700, 1000, 1300]));
  values.set('dicom/multi.dcm', [700, 1000, 1300].map((v) => linearWindow8(v, center, width)));

  await put(root, 'broken/not-really.dcm', 'this is a text file, not DICOM\n');
  broken.set('broken/not-really.dcm', 'NotDicom');
  const png = await uniformPng(90, 200, 200);
  await put(root, 'broken/cut.png', png.subarray(0, Math.floor(png.length / 2)));
  broken.set('broken/cut.png', 'Truncated');
  const cut = cr('MONOCHROME2', [1100]);
  await put(root, 'broken/cut.dcm', cut.subarray(0, cut.length - 300));
  broken.set('broken/cut.dcm', 'Truncated');

  const ignored = ['notes.txt', 'png/.DS_Store'];
  await put(root, 'notes.txt', 'a radiologist wrote this');
  await put(root, 'png/.DS_Store', new Uint8Array([0, 0, 0, 1, 66, 117, 100, 49]));
  return { root, values, broken, ignored };
}

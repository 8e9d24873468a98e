/**
 * chexdesk decode <file> [--frame N] [--raw OUT] [--png OUT]
 *
 * Prints one JSON object: what the file is (transfer syntax, size, pixel layout, rescale, the default
 * window) and, for the chosen frame, statistics and the SHA-256 of its STORED values serialised as
 * ../shared/fixtures/dicom/README.md defines (normalised to Bits Stored, little-endian, interleaved;
 * `valuesColorSpace` says whether colour values are still YBR or RGB). --raw writes those bytes,
 * --png the 8-bit default rendering (the model's input). PNG/JPEG files go through the same path.
 */
import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { CheXDeskError, toCheXDeskError } from '../errors';
import { isDicomImage, type StoredFrame } from '../dicom/open-dicom';
import { littleEndianBytes, numpyDtype, sha256Hex, valueStats } from '../dicom/stored-bytes';
import { openImage } from '../image/open-image';
import { render8 } from '../image/render8';
import type { Frame, OpenedImage, StoredArray, Voi } from '../image/types';
import { intOption, parseCommandArgs, UsageError } from './usage';

const USAGE = 'usage: chexdesk decode <file> [--frame N] [--raw OUT] [--png OUT]';

interface FrameValues {
  values: StoredArray;
  colorSpace: string;
  samplesPerPixel: number;
}

/** The values the command reports: DICOM stored values, or a raster's decoded samples. */
function rasterValues(frame: Frame): FrameValues {
  if (frame.kind === 'gray') return { values: frame.stored, colorSpace: 'MONOCHROME', samplesPerPixel: 1 };
  return { values: frame.rgb, colorSpace: 'RGB', samplesPerPixel: 3 };
}

function windowOf(frame: Frame): { window: { center: number; width: number } | null; voi: Record<string, unknown> | null } {
  if (frame.kind !== 'gray') return { window: null, voi: null };
  const voi: Voi = frame.voi;
  if (voi.kind === 'window') {
    return { window: { center: voi.center, width: voi.width }, voi: { kind: 'window', function: voi.fn, source: voi.source } };
  }
  return { window: null, voi: { kind: 'table', source: voi.source, entries: voi.table.length, firstMapped: voi.firstMapped, bits: voi.bits } };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

async function decodeOne(image: OpenedImage, index: number): Promise<{ frame: Frame; values: FrameValues }> {
  if (index >= image.info.frames) {
    throw new CheXDeskError('FrameOutOfRange', `frame ${index} does not exist (the file has ${image.info.frames} frame${image.info.frames === 1 ? '' : 's'}, numbered from 0)`);
  }
  if (isDicomImage(image)) {
    const { stored, frame } = await image.decodeFrame(index);
    return { frame, values: storedValues(stored) };
  }
  const frame = await image.frame(index);
  return { frame, values: rasterValues(frame) };
}

function storedValues(stored: StoredFrame): FrameValues {
  return { values: stored.values, colorSpace: stored.colorSpace, samplesPerPixel: stored.samplesPerPixel };
}

async function writeOutput(out: string, write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CheXDeskError('FileUnreadable', `cannot write ${out} (${reason})`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values: opts, positionals } = parseCommandArgs(
    argv,
    { frame: { type: 'string' }, raw: { type: 'string' }, png: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    USAGE,
  );
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'decode needs a file' : 'decode takes one file', USAGE);
  }
  const file = positionals[0]!;
  const index = intOption(opts.frame, '--frame', USAGE, 0) ?? 0;
  try {
    const image = await openImage(file);
    const { frame, values } = await decodeOne(image, index);
    const stats = valueStats(values.values);
    const dicom = image.info.dicom;
    const gray = frame.kind === 'gray' ? frame : null;
    const rescale = dicom?.rescale ?? (gray?.modality.kind === 'linear' ? { slope: gray.modality.slope, intercept: gray.modality.intercept } : { slope: 1, intercept: 0 });
    const { window, voi } = windowOf(frame);
    const bitsAllocated = dicom?.bitsAllocated ?? values.values.BYTES_PER_ELEMENT * 8;
    const report = {
      file,
      kind: image.info.kind,
      transferSyntax: dicom ? dicom.transferSyntax : null,
      rows: image.info.rows,
      columns: image.info.columns,
      frames: image.info.frames,
      photometric: dicom?.photometric ?? (values.samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2'),
      samplesPerPixel: dicom?.samplesPerPixel ?? values.samplesPerPixel,
      bitsAllocated,
      bitsStored: dicom?.bitsStored ?? (gray ? gray.bitsStored : 8),
      pixelRepresentation: dicom?.pixelRepresentation ?? 0,
      rescale,
      modalityLut: gray?.modality.kind === 'table' ? 'table' : 'linear',
      window,
      voi,
      invert: gray?.invert ?? false,
      frame: index,
      valuesColorSpace: values.colorSpace,
      dtype: numpyDtype(values.values),
      min: stats.min,
      max: stats.max,
      mean: round6(stats.mean),
      sha256: sha256Hex(values.values),
    };
    if (opts.raw) await writeOutput(opts.raw, () => writeFile(opts.raw!, littleEndianBytes(values.values)));
    if (opts.png) {
      // The 8-bit default rendering: for DICOM what the model sees (default VOI, MONOCHROME1 inverted).
      const img = render8(frame);
      const raw = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
      await writeOutput(opts.png, () => (img.channels === 1 ? raw.toColourspace('b-w') : raw).png().toFile(opts.png!));
    }
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return 0;
  } catch (err) {
    throw toCheXDeskError(err, file);
  }
}

/**
 * PNG and JPEG through sharp (libvips with libspng/libpng and mozjpeg), decoded the way PIL's
 * `Image.open(f).convert('RGB')` decodes them, because that is what the reference CheXNet pipeline
 * (../shared/reference/README.md) fed its model:
 * - no colour management: `ignoreIcc` (PIL ignores embedded ICC profiles; honouring the one profile
 *   among the shared images moves its pixels by up to 19 levels);
 * - alpha DROPPED, not composited (PIL's convert('RGB') drops it): `removeAlpha()` / band 0 for gray;
 * - 16-bit colour reduced to its high byte (libvips' rgb16 -> srgb is >> 8, PIL's RGB;16B unpacker takes
 *   the most significant byte: identical);
 * - CMYK JPEG through PIL's own naive CMYK -> RGB formula (below), not libvips' ICC conversion.
 * Checked bit-identical to Pillow 9.4 on the 12 shared images and on generated PNG/JPEG of every colour
 * type (test/conformance/raster.test.ts, test/unit/raster-decode.test.ts).
 *
 * Two deliberate differences from PIL:
 * - EXIF orientation is applied (sharp's autoOrient): PIL's Image.open ignores it, but a viewer must show
 *   the image the way its author meant, and the model must see what the radiologist sees. None of the
 *   12 shared images carries a rotating orientation (covid-19-pneumonia-2.jpg has the tag, with value 1 =
 *   as stored), so parity with the reference is unaffected.
 * - 16-bit gray stays 16-bit (a GrayFrame with Uint16Array and a min/max window). PIL's convert('RGB')
 *   clips I;16 to 0..255, which turns a 12- or 16-bit X-ray into white noise; there is no reference
 *   output for 16-bit images to match, so we render them with their full range instead.
 */
import sharp, { type Metadata, type Sharp } from 'sharp';
import { CheXDeskError } from '../errors';
import { minMaxWindow, storedRange } from '../image/render8';
import type { ColorFrame, Frame, GrayFrame, OpenedImage, RasterInfo } from '../image/types';

export type RasterKind = 'png' | 'jpeg';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** PNG or JPEG by their magic bytes (never by extension), else null. */
export function sniffRaster(bytes: Uint8Array): RasterKind | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** How the file's pixels become a Frame. */
type Layout = 'gray8' | 'gray16' | 'rgb' | 'cmyk';

/**
 * Reads the header (dimensions, channels, depth) now and decodes the pixels when frame(0) is asked for.
 * A PNG whose chunk list ends early is refused here as Truncated, before any pixel work. A JPEG
 * without its end marker is only suspected: some writers append trailers after it, so it is called
 * Truncated only if the decoder then fails.
 */
export async function openRaster(bytes: Uint8Array, path: string, kind: RasterKind): Promise<OpenedImage> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const truncation = kind === 'png' ? pngTruncation(bytes) : jpegTruncation(bytes);
  let meta: Metadata;
  try {
    meta = await sharp(buffer).metadata();
  } catch (err) {
    throw sharpError(err, path, kind, truncation);
  }
  if (truncation && kind === 'png') throw new CheXDeskError('Truncated', truncation, path);
  if (meta.format !== kind) {
    throw new CheXDeskError('CorruptData', `starts like a ${kindName(kind)} but sharp reads it as ${String(meta.format)}`, path);
  }
  const layout = layoutOf(meta, path);
  const orientation = meta.orientation;
  const oriented = meta.autoOrient ?? { width: meta.width, height: meta.height };
  const raster: RasterInfo = {
    format: kind,
    channels: meta.channels,
    bitDepth: meta.depth === 'ushort' ? 16 : 8,
    hasAlpha: meta.hasAlpha,
    palette: meta.isPalette,
  };
  if (orientation !== undefined) raster.exifOrientation = orientation;
  return {
    info: { path, kind, rows: oriented.height, columns: oriented.width, frames: 1, raster },
    async frame(index: number): Promise<Frame> {
      if (index !== 0) throw new CheXDeskError('FrameOutOfRange', `frame ${index} asked for, but a ${kindName(kind)} file has 1 frame`, path);
      try {
        return await decode(buffer, layout);
      } catch (err) {
        throw sharpError(err, path, kind, truncation);
      }
    },
  };
}

function kindName(kind: RasterKind): string {
  return kind === 'png' ? 'PNG' : 'JPEG';
}

function layoutOf(meta: Metadata, path: string): Layout {
  switch (meta.space) {
    case 'b-w':
      return 'gray8';
    case 'grey16':
      return 'gray16';
    case 'srgb':
    case 'rgb16':
    case 'rgb':
      return 'rgb';
    case 'cmyk':
      return 'cmyk';
    default:
      throw new CheXDeskError('UnsupportedImage', `colour space "${meta.space}" is not supported (gray, RGB, palette or CMYK only)`, path);
  }
}

function pipeline(buffer: Buffer): Sharp {
  // failOn 'warning' (sharp's default, stated here on purpose): a damaged file is an error, never a
  // silently half-grey image fed to the model. PIL refuses truncated images too.
  return sharp(buffer, { ignoreIcc: true, failOn: 'warning' }).autoOrient();
}

async function decode(buffer: Buffer, layout: Layout): Promise<Frame> {
  if (layout === 'gray8') {
    // Band 0 of a gray(+alpha) image: the gray values as stored; without toColourspace('b-w') sharp
    // would widen the output to three sRGB bands.
    const { data, info } = await pipeline(buffer).extractChannel(0).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    return grayFrame8(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height);
  }
  if (layout === 'gray16') {
    const { data, info } = await pipeline(buffer).extractChannel(0).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    // sharp hands back native-endian 16-bit samples; copy so the Uint16Array is aligned.
    const stored = new Uint16Array(info.width * info.height);
    new Uint8Array(stored.buffer).set(new Uint8Array(data.buffer, data.byteOffset, stored.byteLength));
    return grayFrame16(stored, info.width, info.height);
  }
  if (layout === 'cmyk') {
    const { data, info } = await pipeline(buffer).pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true });
    return { kind: 'rgb', rows: info.height, columns: info.width, rgb: cmykToRgb(data, info.width * info.height, info.channels) };
  }
  const { data, info } = await pipeline(buffer).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new CheXDeskError('Internal', `sharp returned ${info.channels} bands for an RGB image`);
  const frame: ColorFrame = { kind: 'rgb', rows: info.height, columns: info.width, rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  return frame;
}

/**
 * 8-bit gray: the identity window (center 128, width 256, LINEAR maps v to v/255 exactly), so render8
 * gives back the stored values, which is what PIL's convert('RGB') replicates into R, G and B.
 */
export function grayFrame8(stored: Uint8Array, columns: number, rows: number): GrayFrame {
  const { min, max } = storedRange(stored);
  return {
    kind: 'gray',
    rows,
    columns,
    stored,
    bitsStored: 8,
    signed: false,
    modality: { kind: 'linear', slope: 1, intercept: 0 },
    voi: { kind: 'window', center: 128, width: 256, fn: 'LINEAR', source: 'full-range' },
    invert: false,
    min,
    max,
  };
}

/** 16-bit gray: shown and fed to the model through its min/max window (see the file comment for why not PIL's clip). */
export function grayFrame16(stored: Uint16Array, columns: number, rows: number): GrayFrame {
  const { min, max } = storedRange(stored);
  const modality = { kind: 'linear', slope: 1, intercept: 0 } as const;
  return {
    kind: 'gray',
    rows,
    columns,
    stored,
    bitsStored: 16,
    signed: false,
    modality,
    voi: minMaxWindow({ modality, min, max }),
    invert: false,
    min,
    max,
  };
}

/**
 * Pillow's cmyk2rgb (libImaging/Convert.c): R = nk - MULDIV255(C, nk) with nk = 255 - K, where
 * MULDIV255(a, b) = ((t >> 8) + t) >> 8 for t = a * b + 128. Written by hand because libvips converts
 * CMYK through an ICC profile, which gives other colours than the reference pipeline saw.
 */
export function cmykToRgb(cmyk: Uint8Array, pixels: number, bands: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let i = 0, j = 0, o = 0; i < pixels; i++, j += bands, o += 3) {
    const nk = 255 - cmyk[j + 3]!;
    for (let c = 0; c < 3; c++) {
      const t = cmyk[j + c]! * nk + 128;
      const v = nk - (((t >> 8) + t) >> 8);
      out[o + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

/**
 * Walks the PNG chunk list: a reason when the file ends before its IEND chunk, else null. sharp reports
 * a truncated and a corrupt PNG with the same "libpng read error", so the structure tells them apart.
 */
export function pngTruncation(bytes: Uint8Array): string | null {
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const length = ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
    const type = String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!, bytes[offset + 6]!, bytes[offset + 7]!);
    const end = offset + 12 + length;
    if (end > bytes.length) return `the PNG ends inside its ${type} chunk (${bytes.length} bytes, the chunk needs ${end})`;
    if (type === 'IEND') return null;
    offset = end;
  }
  return `the PNG ends after ${bytes.length} bytes, before its IEND chunk`;
}

/**
 * A reason when the JPEG lacks its end-of-image marker (FFD9) in its last 64 bytes (some writers pad
 * after it), else null. Used to name a decoder failure: a cut-off file versus damaged data.
 */
export function jpegTruncation(bytes: Uint8Array): string | null {
  for (let i = bytes.length - 2; i >= Math.max(2, bytes.length - 64); i--) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return null;
  }
  return `the JPEG ends after ${bytes.length} bytes without its end-of-image marker`;
}

/** sharp's errors (libvips messages) -> CheXDeskError naming the file. */
function sharpError(err: unknown, path: string, kind: RasterKind, truncation: string | null): CheXDeskError {
  if (err instanceof CheXDeskError) return err.withFile(path);
  const message = err instanceof Error ? err.message : String(err);
  if (/exceeds pixel limit/i.test(message)) {
    return new CheXDeskError('TooLarge', `the ${kindName(kind)} declares more pixels than the 268 million (16383 x 16383) we decode`, path);
  }
  if (truncation) return new CheXDeskError('Truncated', truncation, path);
  if (/premature end|truncated|unexpected end/i.test(message) && kind === 'png') {
    return new CheXDeskError('Truncated', `the PNG ends early (${firstLine(message)})`, path);
  }
  return new CheXDeskError('CorruptData', `the ${kindName(kind)} data is damaged (${firstLine(message)})`, path);
}

function firstLine(message: string): string {
  const line = message.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? 'no reason given';
  return line.length > 160 ? line.slice(0, 157) + '...' : line;
}

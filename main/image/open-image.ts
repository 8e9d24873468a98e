/**
 * The single entry from a path to an image: reads the file, recognises it by content (never by
 * extension) and hands it to the DICOM or the PNG/JPEG decoder.
 */
import { open } from 'node:fs/promises';
import { CheXDeskError, toCheXDeskError } from '../errors';
import { isDicom, openDicom } from '../dicom/open-dicom';
import { sniffRaster, openRaster } from '../raster/open-raster';
import type { OpenedImage, SourceKind } from './types';

/** Larger files are refused before anything is allocated: no chest X-ray study file comes near it. */
export const MAX_FILE_BYTES = 2 ** 31 - 1;

/** Reads the first bytes only: enough to tell DICOM, PNG and JPEG apart. */
export async function sniffFile(path: string): Promise<SourceKind | null> {
  const handle = await open(path, 'r');
  try {
    const head = new Uint8Array(1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return sniffBytes(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

export function sniffBytes(bytes: Uint8Array): SourceKind | null {
  const raster = sniffRaster(bytes);
  if (raster) return raster;
  return isDicom(bytes) ? 'dicom' : null;
}

export async function readImageFile(path: string): Promise<Uint8Array> {
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size > MAX_FILE_BYTES) throw new CheXDeskError('TooLarge', `file is ${size} bytes, more than the ${MAX_FILE_BYTES} we read`, path);
      if (size === 0) throw new CheXDeskError('NotDicom', 'file is empty', path);
      const bytes = new Uint8Array(size);
      let offset = 0;
      while (offset < size) {
        const { bytesRead } = await handle.read(bytes, offset, size - offset, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
      }
      return offset === size ? bytes : bytes.subarray(0, offset);
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw toCheXDeskError(err, path);
  }
}

/** Opens any supported image file. Throws CheXDeskError naming the file. */
export async function openImage(path: string): Promise<OpenedImage> {
  const bytes = await readImageFile(path);
  return openImageBytes(bytes, path);
}

export async function openImageBytes(bytes: Uint8Array, path: string): Promise<OpenedImage> {
  try {
    const raster = sniffRaster(bytes);
    if (raster) return await openRaster(bytes, path, raster);
    if (isDicom(bytes)) return await openDicom(bytes, path);
    throw new CheXDeskError('NotDicom', 'not a DICOM, PNG or JPEG file', path);
  } catch (err) {
    throw toCheXDeskError(err, path);
  }
}

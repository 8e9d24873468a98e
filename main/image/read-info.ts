/**
 * What a file is (kind, size, frames, DICOM attributes) without decoding its pixels: the study
 * browser reads this for every file of a folder, so for DICOM only the first part of the file is
 * read (the attributes before Pixel Data), and the whole file only when the header is longer.
 */
import { open } from 'node:fs/promises';
import { readDicomInfo } from '../dicom/open-dicom';
import { CheXDeskError, toCheXDeskError } from '../errors';
import { openImageBytes, readImageFile, sniffBytes } from './open-image';
import type { ImageInfo } from './types';

const HEAD_BYTES = 256 * 1024;

export async function readImageInfo(path: string): Promise<ImageInfo> {
  let head: Uint8Array;
  let complete: boolean;
  let size: number;
  try {
    const handle = await open(path, 'r');
    try {
      size = (await handle.stat()).size;
      head = new Uint8Array(Math.min(size, HEAD_BYTES));
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      head = head.subarray(0, bytesRead);
      complete = bytesRead >= size;
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw toCheXDeskError(err, path);
  }
  if (sniffBytes(head) === 'dicom') {
    try {
      return readDicomInfo(head, path, size);
    } catch (err) {
      // A long header (or a deflated data set) does not fit in the first bytes: read it all.
      if (complete || !(err instanceof CheXDeskError) || (err.code !== 'Truncated' && err.code !== 'CorruptData') || /Pixel Data \(7FE0,0010\) declares/.test(err.reason)) throw err;
    }
  }
  const bytes = complete ? head : await readImageFile(path);
  return (await openImageBytes(bytes, path)).info;
}

/**
 * What a file is (kind, size, frames, DICOM attributes) without decoding its pixels: the study
 * browser reads this for every file of a folder.
 */
import { openImage } from './open-image';
import type { ImageInfo } from './types';

export async function readImageInfo(path: string): Promise<ImageInfo> {
  return (await openImage(path)).info;
}

/**
 * One frame from decoded file to model tensor: the 8-bit default rendering (for DICOM the default
 * VOI window, MONOCHROME1 inverted — what ChestX-ray14's PNGs are), then the reference preprocessing.
 */
import { render8 } from '../image/render8';
import type { OpenedImage } from '../image/types';
import type { ModelManifest } from '../model/manifest';
import { preprocess } from '../preprocess/preprocess';
import type { Mode } from '../api';
import type { PreparedFrame } from './worker-protocol';

export async function prepareFrame(image: OpenedImage, index: number, manifest: ModelManifest, mode: Mode): Promise<PreparedFrame> {
  const t0 = performance.now();
  const frame = await image.frame(index);
  const image8 = render8(frame);
  const t1 = performance.now();
  const prepared = preprocess(image8, manifest, mode);
  prepared.preprocessMs = performance.now() - t1;
  return { frame: index, frames: image.info.frames, info: image.info, prepared, decodeMs: t1 - t0 };
}

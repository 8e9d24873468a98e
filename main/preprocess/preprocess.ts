/**
 * An 8-bit image -> the model's input tensor, as arnoweng/CheXNet's torchvision pipeline makes it
 * (../shared/reference/README.md): convert('RGB') (or 'L' for a 1-channel model), Resize(resize) with
 * PIL's bilinear filter, CenterCrop(crop) or TenCrop(crop), ToTensor and Normalize, Float32 NCHW.
 * Pure computation without onnxruntime, so it can run in worker threads and hand the tensor over.
 */
import { CheXDeskError } from '../errors';
import type { Image8 } from '../image/types';
import type { ModelManifest } from '../model/manifest';
import { cropGeometry, type CropMode, type Geometry } from './geometry';
import { pilResizeBilinear } from './pil-resize';
import { cropsRegion, normalizationTables, rgbToGray, writeCrops } from './tensor';

export interface Prepared {
  /** [crops, channels, size, size], row-major. */
  tensor: Float32Array;
  dims: [number, number, number, number];
  geometry: Geometry;
  /** How long preprocessing took, when the caller measured it (reported in the prediction's timings). */
  preprocessMs?: number;
}

/** What preprocessing needs from a manifest. */
export type PreprocessSpec = Pick<ModelManifest, 'input' | 'preprocess'>;

/** Resized images beyond this many pixels are refused (an aspect ratio no radiograph has). */
const MAX_RESIZED_PIXELS = 1 << 26;

export function preprocess(image: Image8, spec: PreprocessSpec, mode: CropMode): Prepared {
  const { width, height, channels } = image;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1)) {
    throw new CheXDeskError('InvalidArgument', `image size ${width}x${height} is not a picture`);
  }
  if (image.data.length !== width * height * channels) {
    throw new CheXDeskError('InvalidArgument', `image ${width}x${height}x${channels} should hold ${width * height * channels} bytes, not ${image.data.length}`);
  }
  const { resize, crop } = spec.preprocess;
  const geometry = cropGeometry(width, height, resize, crop, mode);
  const { resized } = geometry;
  if (resized.width * resized.height > MAX_RESIZED_PIXELS) {
    throw new CheXDeskError('UnsupportedImage', `a ${width}x${height} image would become ${resized.width}x${resized.height} with its shorter side at ${resize}; its aspect ratio is too extreme for the model`);
  }

  // A 1-channel model sees PIL's convert('L') (before the resize, as Image.open(f).convert('L') would).
  // A 3-channel model fed a gray image gets the gray plane resized once and replicated: PIL resizes
  // R, G and B independently with the same arithmetic, so the three results would be equal anyway.
  let plane = image.data;
  let bands: 1 | 3 = channels;
  if (spec.input.channels === 1 && channels === 3) {
    plane = rgbToGray(image.data, width * height);
    bands = 1;
  }
  // Only the part of the resized image the crops use is computed (center mode skips the margins).
  const region = cropsRegion(resized, geometry.crops);
  const pixels = pilResizeBilinear(plane, width, height, bands, resized.width, resized.height, region);

  const modelChannels = spec.input.channels;
  const dims: [number, number, number, number] = [geometry.crops.length, modelChannels, crop, crop];
  const tensor = new Float32Array(dims[0] * dims[1] * dims[2] * dims[3]);
  const tables = normalizationTables(spec.preprocess, modelChannels);
  writeCrops({ pixels, size: resized, region, bands }, geometry.crops, tables, tensor);
  return { tensor, dims, geometry };
}

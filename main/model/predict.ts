/**
 * Running a loaded model: tensors in, probabilities (and raw CAMs) out, ranked into findings.
 * Preprocessing (main/preprocess) and inference are separate steps on purpose: the scan preprocesses in
 * worker threads and sends Float32Array tensors to the one thread that owns the onnxruntime session.
 */
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { CheXDeskError } from '../errors';
import type { Image8 } from '../image/types';
import type { CropMode, Geometry } from '../preprocess/geometry';
import { preprocess, type Prepared } from '../preprocess/preprocess';
import type { ModelManifest } from './manifest';
import type { LoadedModel } from './session';

export { preprocess, type Prepared } from '../preprocess/preprocess';

export interface Finding {
  label: string;
  probability: number;
  /** The manifest's threshold for this label, when it has one. */
  operatingPoint?: number;
  /** probability >= operatingPoint; false when the model has no operating point for the label. */
  above: boolean;
}

/** The CAM output rows of one image: [crops, labels, h, w], with the crops' geometry to map them back. */
export interface RawCam {
  data: Float32Array;
  dims: [number, number, number, number];
  geometry: Geometry;
}

export interface Prediction {
  mode: CropMode;
  labels: string[];
  /** In label order; the mean of the crops' sigmoid outputs for TenCrop. Full precision. */
  probabilities: number[];
  /** Highest probability first. */
  findings: Finding[];
  model: { name: string; version: string; trained: boolean };
  timings: {
    preprocessMs: number;
    /** For images inferred together in one batch, the batch's time divided among them. */
    inferenceMs: number;
  };
  /** Present when asked for and the model has a CAM output. */
  cam?: RawCam;
}

export interface InferOutputs {
  /** [rows, labels] */
  probabilities: Float32Array;
  rows: number;
  /** [rows, labels, h, w] when asked for and available. */
  cam: Float32Array | null;
  camDims: [number, number, number, number] | null;
}

export interface PredictOptions {
  /** Also return the raw CAM (needs a CAM output in the manifest). */
  cam?: boolean;
}

export interface BatchOptions extends PredictOptions {
  /** Center mode: images per inference batch (default 8). TenCrop always runs one image (10 crops) per batch. */
  batchSize?: number;
}

/** Runs the session on a [N, C, S, S] tensor. Fixed-batch graphs get chunks of exactly their batch size. */
export async function infer(model: LoadedModel, tensor: Float32Array, dims: readonly number[], opts: PredictOptions = {}): Promise<InferOutputs> {
  const { manifest } = model;
  const { channels, size } = manifest.input;
  if (dims.length !== 4 || dims[1] !== channels || dims[2] !== size || dims[3] !== size || !(dims[0]! >= 1)) {
    throw new CheXDeskError('InvalidArgument', `tensor dims [${dims.join(', ')}] do not fit the model's [N, ${channels}, ${size}, ${size}]`);
  }
  const rows = dims[0]!;
  const rowLength = channels * size * size;
  if (tensor.length !== rows * rowLength) throw new CheXDeskError('InvalidArgument', `tensor holds ${tensor.length} values, dims [${dims.join(', ')}] need ${rows * rowLength}`);
  const wantCam = opts.cam === true && manifest.outputs.cam != null;
  const chunk = model.fixedBatch ?? rows;
  const labels = manifest.labels.length;
  const probabilities = new Float32Array(rows * labels);
  let cam: Float32Array | null = null;
  let camDims: [number, number, number, number] | null = null;
  for (let start = 0; start < rows; start += chunk) {
    const n = Math.min(chunk, rows - start);
    let input = tensor.subarray(start * rowLength, (start + n) * rowLength);
    if (n < chunk) {
      // A fixed-batch graph: pad the last chunk with zeros and drop the padding rows' outputs.
      const padded = new Float32Array(chunk * rowLength);
      padded.set(input);
      input = padded;
    }
    const out = await run(model, input, [chunk, channels, size, size], wantCam);
    probabilities.set(out.probabilities.subarray(0, n * labels), start * labels);
    if (wantCam && out.cam && out.camDims) {
      const per = labels * out.camDims[2] * out.camDims[3];
      if (!cam) {
        cam = new Float32Array(rows * per);
        camDims = [rows, labels, out.camDims[2], out.camDims[3]];
      }
      cam.set(out.cam.subarray(0, n * per), start * per);
    }
  }
  return { probabilities, rows, cam, camDims };
}

async function run(model: LoadedModel, input: Float32Array, dims: number[], wantCam: boolean): Promise<{ probabilities: Float32Array; cam: Float32Array | null; camDims: [number, number, number, number] | null }> {
  const { manifest, session } = model;
  const probName = manifest.outputs.probabilities;
  const camName = manifest.outputs.cam ?? null;
  const fetches = wantCam && camName ? [probName, camName] : [probName];
  let results: ort.InferenceSession.OnnxValueMapType;
  try {
    results = await session.run({ [manifest.input.name]: new ort.Tensor('float32', input, dims) }, fetches);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new CheXDeskError('ModelMismatch', `onnxruntime failed to run the model: ${message.replace(/\s+/g, ' ').slice(0, 300)}`, model.dir);
  }
  const labels = manifest.labels.length;
  const prob = results[probName] as ort.Tensor;
  if (prob.dims.length !== 2 || prob.dims[0] !== dims[0] || prob.dims[1] !== labels || !(prob.data instanceof Float32Array)) {
    throw new CheXDeskError('ModelMismatch', `output "${probName}" came back as [${prob.dims.join(', ')}] ${prob.type}; expected [${dims[0]}, ${labels}] float32`, model.dir);
  }
  let cam: Float32Array | null = null;
  let camDims: [number, number, number, number] | null = null;
  if (wantCam && camName) {
    const c = results[camName] as ort.Tensor;
    if (c.dims.length !== 4 || c.dims[0] !== dims[0] || c.dims[1] !== labels || !(c.data instanceof Float32Array)) {
      throw new CheXDeskError('ModelMismatch', `output "${camName}" came back as [${c.dims.join(', ')}] ${c.type}; expected [${dims[0]}, ${labels}, h, w] float32`, model.dir);
    }
    cam = c.data;
    camDims = [c.dims[0]!, c.dims[1]!, c.dims[2]!, c.dims[3]!];
  }
  return { probabilities: prob.data, cam, camDims };
}

/** Label-order probabilities of one image from its crops' rows: the arithmetic mean of the sigmoid outputs. */
export function meanRows(rows: Float32Array, count: number, labels: number): number[] {
  const out = new Array<number>(labels).fill(0);
  for (let r = 0; r < count; r++) for (let l = 0; l < labels; l++) out[l]! += rows[r * labels + l]!;
  return out.map((s) => s / count);
}

/** Findings ranked by probability (ties keep label order), each with its operating point when the manifest has one. */
export function rankFindings(manifest: Pick<ModelManifest, 'labels' | 'operatingPoints'>, probabilities: readonly number[]): Finding[] {
  const findings = manifest.labels.map((label, i): Finding => {
    const probability = probabilities[i]!;
    const operatingPoint = manifest.operatingPoints?.[label];
    if (operatingPoint === undefined) return { label, probability, above: false };
    return { label, probability, operatingPoint, above: probability >= operatingPoint };
  });
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => b.f.probability - a.f.probability || a.i - b.i)
    .map(({ f }) => f);
}

/** One image, end to end from its 8-bit rendering. */
export async function predict(model: LoadedModel, image: Image8, mode: CropMode, opts: PredictOptions = {}): Promise<Prediction> {
  const [prediction] = await predictMany(model, [image], mode, opts);
  return prediction!;
}

/** Many images: preprocessed here, then inferred in batches (see predictPrepared). */
export async function predictMany(model: LoadedModel, images: readonly Image8[], mode: CropMode, opts: BatchOptions = {}): Promise<Prediction[]> {
  const prepared = images.map((image) => {
    const t0 = performance.now();
    const p = preprocess(image, model.manifest, mode);
    p.preprocessMs = performance.now() - t0;
    return p;
  });
  return predictPrepared(model, prepared, opts);
}

/**
 * Tensors prepared elsewhere (e.g. in worker threads) -> predictions. Center-mode images are stacked
 * batchSize at a time; an image with several crops (TenCrop) runs as its own batch.
 */
export async function predictPrepared(model: LoadedModel, items: readonly Prepared[], opts: BatchOptions = {}): Promise<Prediction[]> {
  const batchSize = opts.batchSize ?? 8;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new CheXDeskError('InvalidArgument', `batchSize must be a positive integer, not ${batchSize}`);
  const out: Prediction[] = [];
  let i = 0;
  while (i < items.length) {
    const group: Prepared[] = [items[i]!];
    let crops = items[i]!.dims[0];
    i++;
    while (i < items.length && group.length < batchSize && crops === group.length && items[i]!.dims[0] === 1) {
      group.push(items[i]!);
      crops++;
      i++;
    }
    out.push(...(await inferGroup(model, group, opts)));
  }
  return out;
}

async function inferGroup(model: LoadedModel, group: Prepared[], opts: PredictOptions): Promise<Prediction[]> {
  const { manifest } = model;
  const rowDims = group[0]!.dims;
  const rows = group.reduce((n, p) => n + p.dims[0], 0);
  let tensor: Float32Array;
  if (group.length === 1) {
    tensor = group[0]!.tensor;
  } else {
    tensor = new Float32Array(group.reduce((n, p) => n + p.tensor.length, 0));
    let offset = 0;
    for (const p of group) {
      tensor.set(p.tensor, offset);
      offset += p.tensor.length;
    }
  }
  const t0 = performance.now();
  const outputs = await infer(model, tensor, [rows, rowDims[1], rowDims[2], rowDims[3]], opts);
  const inferenceMs = (performance.now() - t0) / group.length;
  const labels = manifest.labels.length;
  const predictions: Prediction[] = [];
  let row = 0;
  for (const p of group) {
    const n = p.dims[0];
    const probabilities = meanRows(outputs.probabilities.subarray(row * labels, (row + n) * labels), n, labels);
    const prediction: Prediction = {
      mode: p.geometry.mode,
      labels: [...manifest.labels],
      probabilities,
      findings: rankFindings(manifest, probabilities),
      model: { name: manifest.name, version: manifest.version, trained: manifest.trained },
      timings: { preprocessMs: p.preprocessMs ?? 0, inferenceMs },
    };
    if (outputs.cam && outputs.camDims) {
      const per = labels * outputs.camDims[2] * outputs.camDims[3];
      prediction.cam = {
        data: outputs.cam.slice(row * per, (row + n) * per),
        dims: [n, labels, outputs.camDims[2], outputs.camDims[3]],
        geometry: p.geometry,
      };
    }
    predictions.push(prediction);
    row += n;
  }
  return predictions;
}

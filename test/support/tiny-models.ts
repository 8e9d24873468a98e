/**
 * Tiny model folders (model.onnx + model.json) made on the fly with the project's ONNX builder, whose
 * outputs are known in closed form, so tests of preprocessing, inference, scans and model import can
 * assert exact numbers without a 28 MB DenseNet.
 *
 * For an input image x (one [channels, size, size] slice of the model input, after preprocessing):
 *   probabilities[c] = sigmoid(weights[c] * mean(x) + biases[c])             mean over all values
 *   cam[c][i][j]     = weights[c] * mean of x over cell (i, j)                channels averaged; the
 *                                                                               size x size plane is cut
 *                                                                               into camGrid x camGrid cells
 * so sigmoid(mean(cam[c]) + biases[c]) === probabilities[c], as for CheXNet's CAM. `expected()` computes
 * both in plain JS.
 *
 *   const m = await makeTinyModel(dir, { channels: 3, size: 8, labels: ['A', 'B'] });
 *   const bad = await makeMismatchedModel(dir2, 'label-count');   // manifest and graph disagree
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OnnxGraphBuilder, attr } from '../../main/model/onnx-builder';
import { parseManifest } from '../../main/model/manifest';

export interface TinyModelOptions {
  /** Model input channels (default 1). */
  channels?: 1 | 3;
  /** Input height = width (default 8). */
  size?: number;
  /** Default ['Alpha', 'Beta', 'Gamma']. */
  labels?: string[];
  /** w_c, one per label (default 1, -2, 0.5, 3, -1, … cycled). */
  weights?: number[];
  /** b_c, one per label (default 0, 0.25, -0.5, … cycled). */
  biases?: number[];
  /** Add the "cam" output (default true). */
  cam?: boolean;
  /** CAM grid cells per side; must divide size (default 2). */
  camGrid?: number;
  /** Manifest "trained" (default true). */
  trained?: boolean;
  /** Manifest name (default "Tiny test model"). */
  name?: string;
  /** Manifest preprocess: resize defaults to size (crop is always size), scale [0, 1], mean [0], std [1]. */
  resize?: number;
  scale?: [number, number];
  mean?: number[];
  std?: number[];
  operatingPoints?: Record<string, number> | null;
}

export interface TinyModel {
  dir: string;
  onnxPath: string;
  manifestPath: string;
  /** The model.json written (a plain object). */
  manifest: Record<string, unknown>;
  labels: string[];
  weights: number[];
  biases: number[];
  channels: 1 | 3;
  size: number;
  camGrid: number | null;
  /** Closed-form outputs for one image ([channels * size * size] values, CHW, as fed to the model). */
  expected(image: ArrayLike<number>): { probabilities: number[]; cam: number[][][] | null };
}

const DEFAULT_WEIGHTS = [1, -2, 0.5, 3, -1, 1.5, -0.5];
const DEFAULT_BIASES = [0, 0.25, -0.5, 1, -1, 0.5, -0.25];

interface GraphSpec {
  inputName: string;
  channels: number;
  size: number;
  weights: number[];
  biases: number[];
  probabilitiesName: string;
  camName: string | null;
  camGrid: number;
}

function buildTinyGraph(spec: GraphSpec): Uint8Array {
  const n = spec.weights.length;
  const g = new OnnxGraphBuilder('tiny');
  g.addInput(spec.inputName, ['batch', spec.channels, spec.size, spec.size]);
  const w = g.addInitializer('w', [1, n, 1, 1], Float32Array.from(spec.weights));
  const b = g.addInitializer('b', [1, n, 1, 1], Float32Array.from(spec.biases));
  const mean = g.op('ReduceMean', [spec.inputName], { axes: attr.ints([1, 2, 3]), keepdims: attr.int(1) }, 'image_mean');
  const logits = g.op('Add', [g.op('Mul', [mean, w], {}, 'scaled'), b], {}, 'logits4');
  g.op('Sigmoid', [g.op('Flatten', [logits], { axis: attr.int(1) }, 'logits')], {}, spec.probabilitiesName);
  g.addOutput(spec.probabilitiesName, ['batch', n]);
  if (spec.camName) {
    const cell = spec.size / spec.camGrid;
    const plane = g.op('ReduceMean', [spec.inputName], { axes: attr.ints([1]), keepdims: attr.int(1) }, 'channel_mean');
    const cells = g.op('AveragePool', [plane], { kernel_shape: attr.ints([cell, cell]), strides: attr.ints([cell, cell]) }, 'cell_mean');
    g.op('Mul', [cells, w], {}, spec.camName);
    g.addOutput(spec.camName, ['batch', n, spec.camGrid, spec.camGrid]);
  }
  return g.toBytes({ producerName: 'chexdesk test/support/tiny-models' });
}

const sigmoid = (t: number): number => 1 / (1 + Math.exp(-t));

async function writeFolder(dir: string, onnx: Uint8Array, manifest: Record<string, unknown>): Promise<{ onnxPath: string; manifestPath: string }> {
  await mkdir(dir, { recursive: true });
  const onnxPath = join(dir, 'model.onnx');
  const manifestPath = join(dir, 'model.json');
  await writeFile(onnxPath, onnx);
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return { onnxPath, manifestPath };
}

function resolveOptions(opts: TinyModelOptions) {
  const channels = opts.channels ?? 1;
  const size = opts.size ?? 8;
  const labels = opts.labels ?? ['Alpha', 'Beta', 'Gamma'];
  const weights = opts.weights ?? labels.map((_, i) => DEFAULT_WEIGHTS[i % DEFAULT_WEIGHTS.length]!);
  const biases = opts.biases ?? labels.map((_, i) => DEFAULT_BIASES[i % DEFAULT_BIASES.length]!);
  const cam = opts.cam ?? true;
  const camGrid = opts.camGrid ?? 2;
  if (weights.length !== labels.length || biases.length !== labels.length) throw new Error('tiny model: one weight and one bias per label');
  if (cam && size % camGrid !== 0) throw new Error(`tiny model: camGrid ${camGrid} must divide size ${size}`);
  const manifest: Record<string, unknown> = {
    format: 'chexdesk-model/1',
    name: opts.name ?? 'Tiny test model',
    version: 'test',
    trained: opts.trained ?? true,
    architecture: 'tiny-mean',
    labels,
    input: { name: 'input', channels, size },
    preprocess: {
      resize: opts.resize ?? size,
      crop: size,
      resample: 'pil-bilinear',
      scale: opts.scale ?? [0, 1],
      mean: opts.mean ?? [0],
      std: opts.std ?? [1],
    },
    outputs: { probabilities: 'probabilities', cam: cam ? 'cam' : null },
    operatingPoints: opts.operatingPoints ?? null,
    provenance: { source: 'test/support/tiny-models.ts' },
  };
  const spec: GraphSpec = { inputName: 'input', channels, size, weights, biases, probabilitiesName: 'probabilities', camName: cam ? 'cam' : null, camGrid };
  return { channels, size, labels, weights, biases, cam, camGrid, manifest, spec };
}

/** Writes a tiny model folder into `dir` (created if needed). */
export async function makeTinyModel(dir: string, opts: TinyModelOptions = {}): Promise<TinyModel> {
  const r = resolveOptions(opts);
  parseManifest(r.manifest, join(dir, 'model.json'));
  const paths = await writeFolder(dir, buildTinyGraph(r.spec), r.manifest);
  const { channels, size, weights, biases, camGrid } = r;
  return {
    dir,
    ...paths,
    manifest: r.manifest,
    labels: r.labels,
    weights,
    biases,
    channels,
    size,
    camGrid: r.cam ? camGrid : null,
    expected(image) {
      const plane = size * size;
      if (image.length !== channels * plane) throw new Error(`expected ${channels * plane} values, got ${image.length}`);
      let sum = 0;
      for (let i = 0; i < image.length; i++) sum += image[i]!;
      const mean = sum / image.length;
      const probabilities = weights.map((w, c) => sigmoid(w * mean + biases[c]!));
      if (!r.cam) return { probabilities, cam: null };
      const cell = size / camGrid;
      const cellMeans: number[][] = [];
      for (let gy = 0; gy < camGrid; gy++) {
        const row: number[] = [];
        for (let gx = 0; gx < camGrid; gx++) {
          let s = 0;
          for (let c = 0; c < channels; c++)
            for (let y = gy * cell; y < (gy + 1) * cell; y++) for (let x = gx * cell; x < (gx + 1) * cell; x++) s += image[c * plane + y * size + x]!;
          row.push(s / (channels * cell * cell));
        }
        cellMeans.push(row);
      }
      return { probabilities, cam: weights.map((w) => cellMeans.map((row) => row.map((v) => w * v))) };
    },
  };
}

export type Mismatch =
  /** The graph has one more output class than the manifest has labels. */
  | 'label-count'
  /** The graph's input is called "pixels"; the manifest says "input". */
  | 'input-name'
  /** The graph takes size x size; the manifest says 2 * size. */
  | 'input-size'
  /** The graph takes the other channel count than the manifest says. */
  | 'channels'
  /** The manifest names a probabilities output the graph does not have. */
  | 'output-name'
  /** The manifest declares a "cam" output the graph does not have. */
  | 'missing-cam'
  /** model.onnx is not an ONNX file at all. */
  | 'corrupt-onnx';

/**
 * Writes a folder whose manifest is valid on its own but disagrees with its graph in one way (or whose
 * model.onnx is garbage): what a model import or session load must refuse with ModelMismatch (or a
 * readable error).
 */
export async function makeMismatchedModel(dir: string, kind: Mismatch, opts: TinyModelOptions = {}): Promise<{ dir: string; onnxPath: string; manifestPath: string; manifest: Record<string, unknown> }> {
  const r = resolveOptions(opts);
  const spec = { ...r.spec };
  const manifest = structuredClone(r.manifest) as Record<string, unknown> & {
    input: { name: string; channels: number; size: number };
    preprocess: { resize: number; crop: number; mean: number[]; std: number[] };
    outputs: { probabilities: string; cam: string | null };
  };
  switch (kind) {
    case 'label-count':
      spec.weights = [...spec.weights, 1];
      spec.biases = [...spec.biases, 0];
      break;
    case 'input-name':
      spec.inputName = 'pixels';
      break;
    case 'input-size':
      manifest.input.size = r.size * 2;
      manifest.preprocess.crop = r.size * 2;
      manifest.preprocess.resize = Math.max(manifest.preprocess.resize, r.size * 2);
      break;
    case 'channels':
      spec.channels = r.channels === 1 ? 3 : 1;
      break;
    case 'output-name':
      manifest.outputs.probabilities = 'scores';
      break;
    case 'missing-cam':
      spec.camName = null;
      manifest.outputs.cam = 'cam';
      break;
    case 'corrupt-onnx':
      break;
  }
  parseManifest(manifest, join(dir, 'model.json'));
  const onnx = kind === 'corrupt-onnx' ? new TextEncoder().encode('this is not an ONNX model\n') : buildTinyGraph(spec);
  return { dir, ...(await writeFolder(dir, onnx, manifest)), manifest };
}

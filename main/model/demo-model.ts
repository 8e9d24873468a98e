/**
 * The UNTRAINED demo model: torchvision's DenseNet121 with CheXNet's classifier and deterministic
 * weights, written as a model folder (model.onnx + model.json with `trained: false`). Trained weights
 * cannot be fetched everywhere; this lets a fresh clone run the whole pipeline and the benchmarks on
 * the real architecture. Its outputs are not findings, and its manifest says so.
 *
 * Weights: Kaiming-normal convolutions, BN weight 1 / bias 0, as torchvision initialises them. A random
 * network with BN running statistics of 0/1 blows activations up or flattens them, so every output
 * would be the same; instead the statistics are calibrated on synthetic chest-X-ray-like images in one
 * onnxruntime run of a calibration build (see densenet121.ts), and the classifier is set from the
 * pooled features of those images so the probabilities spread across images instead of saturating.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import template from '../../assets/chexnet.model.json';
import { CheXDeskError, toCheXDeskError } from '../errors';
import { buildDenseNet121, DENSENET121, INPUT_NAME, POOLED_OUTPUT, type ParamSource } from './densenet121';
import { parseManifest, type ModelManifest } from './manifest';
import { SeededRandom } from './seeded-random';
import { syntheticChestBatch } from './synthetic-chest';

/** Bumped whenever the generator's output changes for a given seed. */
export const DEMO_GENERATOR_VERSION = 1;
/** CheXNet's publication date, as a default seed. */
export const DEFAULT_DEMO_SEED = 20171114;
export const DEFAULT_CALIBRATION_IMAGES = 24;

export interface DemoModelOptions {
  seed?: number;
  /** Synthetic images used to calibrate BatchNorm and the classifier. */
  calibrationImages?: number;
  /** Replace whatever model.onnx/model.json the folder holds, and write into a folder with other files. */
  force?: boolean;
}

export interface DemoModel {
  onnx: Uint8Array;
  manifest: ModelManifest;
  /** The text of model.json (the template's field order, validated by parseManifest). */
  manifestText: string;
  sha256: string;
}

export interface DemoModelResult extends DemoModel {
  dir: string;
  onnxPath: string;
  manifestPath: string;
  /** Wall-clock seconds spent generating and writing. */
  seconds: number;
}

/** The logit spread (std across calibration images) and offsets the classifier is scaled to. */
const LOGIT_STD = 0.8;
const LOGIT_OFFSET = 0.6;

function kaimingSource(rng: SeededRandom, params: Map<string, Float32Array>): ParamSource {
  return (name, shape, role) => {
    const known = params.get(name);
    if (known) return known;
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    switch (role) {
      case 'conv.weight': {
        // torchvision densenet: nn.init.kaiming_normal_ (fan_in, gain sqrt(2)).
        const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
        rng.fillNormal(data, Math.sqrt(2 / fanIn));
        break;
      }
      case 'bn.weight':
      case 'bn.running_var':
        data.fill(1);
        break;
      case 'bn.bias':
      case 'bn.running_mean':
      case 'linear.bias':
        break;
      case 'linear.weight':
        throw new Error(`${name}: the classifier is set by calibration, not initialised`);
    }
    params.set(name, data);
    return data;
  };
}

async function runCalibration(params: Map<string, Float32Array>, rng: SeededRandom, images: number): Promise<Float32Array> {
  const size = DENSENET121.inputSize;
  const build = buildDenseNet121(kaimingSource(rng.fork(), params), { numClasses: template.labels.length, calibration: true });
  const batch = syntheticChestBatch(rng.fork(), images, size);
  let session: ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(build.bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      // One run only: an arena would just keep its peak (~0.8 GB for 24 images) allocated until release.
      enableCpuMemArena: false,
      logSeverityLevel: 3,
    });
    const out = await session.run({ [INPUT_NAME]: new ort.Tensor('float32', batch, [images, 3, size, size]) });
    for (const s of build.bnStats) {
      params.set(`${s.prefix}.running_mean`, Float32Array.from(out[s.mean]!.data as Float32Array));
      params.set(`${s.prefix}.running_var`, Float32Array.from(out[s.var]!.data as Float32Array));
    }
    return Float32Array.from(out[POOLED_OUTPUT]!.data as Float32Array);
  } catch (err) {
    // Out of memory is the likely cause; onnxruntime's message says which.
    throw new CheXDeskError('Internal', `calibrating the demo model in onnxruntime failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await session?.release();
  }
}

/** An orthonormal basis of the span of the centred feature vectors (modified Gram-Schmidt). */
function spanBasis(pooled: Float32Array, mean: Float64Array, images: number, dim: number): Float64Array[] {
  const basis: Float64Array[] = [];
  for (let n = 0; n < images; n++) {
    const v = new Float64Array(dim);
    for (let k = 0; k < dim; k++) v[k] = pooled[n * dim + k]! - mean[k]!;
    const norm0 = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    for (const q of basis) {
      let d = 0;
      for (let k = 0; k < dim; k++) d += q[k]! * v[k]!;
      for (let k = 0; k < dim; k++) v[k]! -= d * q[k]!;
    }
    const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    // The centred vectors sum to zero, so the last one (and any near-duplicate) adds nothing.
    if (norm > 1e-3 * norm0) basis.push(v.map((x) => x / norm));
  }
  return basis;
}

/**
 * Classifier rows: a uniformly random direction per label within the span of the calibration images'
 * centred pooled features, scaled so the logits of the calibration images have std LOGIT_STD, and a
 * bias that centres them on a random offset; the sigmoid then spreads the probabilities over roughly
 * 0.1..0.9 across images. A direction drawn from the whole 1024-d space would also weigh directions in
 * which the synthetic images never vary but real radiographs do, and saturate on them (observed:
 * probabilities of 0.000 and 1.000 on ../shared's radiographs for some seeds). A random mix of the
 * feature vectors themselves stays in range too, but is dominated by their first principal component,
 * so all 14 labels rose and fell together (mean |correlation| 0.88 across those radiographs, 0.5-0.75
 * with the orthonormal basis).
 */
function calibrateClassifier(pooled: Float32Array, images: number, labels: number, rng: SeededRandom): { weight: Float32Array; bias: Float32Array } {
  const dim = pooled.length / images;
  const mean = new Float64Array(dim);
  for (let n = 0; n < images; n++) for (let k = 0; k < dim; k++) mean[k]! += pooled[n * dim + k]! / images;
  const basis = spanBasis(pooled, mean, images, dim);
  const weight = new Float32Array(labels * dim);
  const bias = new Float32Array(labels);
  const z = new Float64Array(dim);
  for (let c = 0; c < labels; c++) {
    z.fill(0);
    for (const q of basis) {
      const a = rng.normal();
      for (let k = 0; k < dim; k++) z[k]! += a * q[k]!;
    }
    const proj = new Float64Array(images);
    for (let n = 0; n < images; n++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += z[k]! * (pooled[n * dim + k]! - mean[k]!);
      proj[n] = s;
    }
    const std = Math.sqrt(proj.reduce((a, p) => a + p * p, 0) / images);
    const scale = std > 0 ? LOGIT_STD / std : 0;
    let dot = 0;
    for (let k = 0; k < dim; k++) {
      weight[c * dim + k] = z[k]! * scale;
      dot += weight[c * dim + k]! * mean[k]!;
    }
    bias[c] = rng.range(-LOGIT_OFFSET, LOGIT_OFFSET) - dot;
  }
  return { weight, bias };
}

function demoManifest(seed: number, images: number, sha256: string): { manifest: ModelManifest; text: string } {
  const json = {
    ...template,
    name: 'CheXNet demo (UNTRAINED)',
    version: `demo-${DEMO_GENERATOR_VERSION}-seed${seed}`,
    trained: false,
    description:
      'UNTRAINED demo model: the DenseNet121 architecture of CheXNet with deterministic random weights. Its outputs vary between images but are NOT findings.',
    provenance: {
      source: `generated by "chexdesk demo-model": deterministic random DenseNet121 (torchvision init, seed ${seed}), BatchNorm statistics and classifier calibrated on ${images} synthetic chest-X-ray-like images; NOT trained`,
      generator: 'chexdesk demo-model',
      generatorVersion: DEMO_GENERATOR_VERSION,
      seed,
      calibrationImages: images,
      onnxSha256: sha256,
    },
  };
  return { manifest: parseManifest(json, 'model.json'), text: JSON.stringify(json, null, 2) + '\n' };
}

/** Generates the demo model in memory. */
export async function generateDemoModel(opts: DemoModelOptions = {}): Promise<DemoModel> {
  const seed = opts.seed ?? DEFAULT_DEMO_SEED;
  const images = opts.calibrationImages ?? DEFAULT_CALIBRATION_IMAGES;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new CheXDeskError('InvalidArgument', `seed must be an integer from 0 to ${0xffffffff} (got ${seed})`);
  if (!Number.isInteger(images) || images < 2) throw new CheXDeskError('InvalidArgument', `at least 2 calibration images are needed (got ${images})`);
  const rng = new SeededRandom(seed);
  const params = new Map<string, Float32Array>();
  const pooled = await runCalibration(params, rng, images);
  const labels = template.labels.length;
  const classifier = calibrateClassifier(pooled, images, labels, rng.fork());
  params.set('densenet121.classifier.0.weight', classifier.weight);
  params.set('densenet121.classifier.0.bias', classifier.bias);
  const { bytes } = buildDenseNet121(kaimingSource(rng, params), {
    numClasses: labels,
    meta: {
      producerName: 'chexdesk demo-model',
      producerVersion: String(DEMO_GENERATOR_VERSION),
      docString: `UNTRAINED DenseNet121 (CheXNet architecture), seed ${seed}. Outputs are not findings.`,
      metadata: { trained: 'false', seed: String(seed) },
    },
  });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const { manifest, text } = demoManifest(seed, images, sha256);
  return { onnx: bytes, manifest, manifestText: text, sha256 };
}

const MODEL_FILES = new Set(['model.onnx', 'model.json']);

/**
 * Refuses to write into a folder that holds anything but a model folder, or that holds a trained
 * model (replacing it with random weights would be a silent disaster), unless `force`.
 */
async function checkTarget(dir: string, force: boolean): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') throw new CheXDeskError('InvalidArgument', 'is a file, not a folder', dir);
    throw toCheXDeskError(err, dir);
  }
  if (force || entries.length === 0) return;
  const other = entries.find((e) => !MODEL_FILES.has(e));
  if (other !== undefined) {
    throw new CheXDeskError('InvalidArgument', `the folder is not empty and is not a model folder (it holds "${other}"); choose an empty folder or pass --force`, dir);
  }
  if (entries.includes('model.json')) {
    let trained: unknown = true;
    try {
      trained = (JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as { trained?: unknown }).trained;
    } catch {
      // An unreadable manifest is not known to be a demo model: treat it like a trained one.
    }
    if (trained !== false) throw new CheXDeskError('InvalidArgument', 'the folder holds a model that is not an untrained demo; pass --force to replace it', dir);
  }
}

/** Writes model.onnx and model.json into `dir` (created if needed). */
export async function writeDemoModel(dir: string, opts: DemoModelOptions = {}): Promise<DemoModelResult> {
  const started = performance.now();
  await checkTarget(dir, opts.force ?? false);
  const model = await generateDemoModel(opts);
  const onnxPath = join(dir, 'model.onnx');
  const manifestPath = join(dir, 'model.json');
  try {
    await mkdir(dir, { recursive: true });
    // Each file appears whole or not at all; the manifest last, so it never names an older graph.
    const tmpOnnx = `${onnxPath}.${process.pid}.tmp`;
    const tmpJson = `${manifestPath}.${process.pid}.tmp`;
    try {
      await writeFile(tmpOnnx, model.onnx);
      await writeFile(tmpJson, model.manifestText);
      await rename(tmpOnnx, onnxPath);
      await rename(tmpJson, manifestPath);
    } finally {
      await rm(tmpOnnx, { force: true });
      await rm(tmpJson, { force: true });
    }
  } catch (err) {
    throw toCheXDeskError(err, dir);
  }
  return { ...model, dir, onnxPath, manifestPath, seconds: (performance.now() - started) / 1000 };
}

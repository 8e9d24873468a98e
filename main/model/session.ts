/**
 * A model folder (model.json + model.onnx, ../shared/models/README.md) -> one onnxruntime-node session,
 * checked against its manifest. One session per folder and thread count, created once and reused:
 * creating a DenseNet121 session costs far more than running it.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { CheXDeskError } from '../errors';
import { parseManifest, type ModelManifest } from './manifest';

export interface LoadedModel {
  /** The folder's real path. */
  dir: string;
  manifest: ModelManifest;
  session: ort.InferenceSession;
  threads: number;
  /**
   * The batch size the graph fixes on its input, or null when the batch axis is dynamic. A fixed
   * batch is honoured by running chunks of exactly that size (see infer).
   */
  fixedBatch: number | null;
  /** [h, w] of the CAM output when the manifest names one and the graph fixes it. */
  camGrid: [number, number] | null;
}

export interface LoadOptions {
  /** onnxruntime's intra-op threads; default: every core. */
  threads?: number;
}

const cache = new Map<string, Promise<LoadedModel>>();

/** Loads (or returns the already loaded) model in `dir`. Throws ModelNotFound, InvalidManifest or ModelMismatch. */
export async function loadModel(dir: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  const threads = opts.threads ?? availableParallelism();
  if (!(Number.isInteger(threads) && threads >= 1)) throw new CheXDeskError('InvalidArgument', `threads must be a positive integer, not ${threads}`);
  let real: string;
  try {
    real = await realpath(dir);
  } catch {
    throw new CheXDeskError('ModelNotFound', 'model folder not found', dir);
  }
  const key = `${real}\0${threads}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = createModel(real, threads);
    cache.set(key, pending);
    // A folder that failed to load is tried afresh next time (the user may have fixed it).
    pending.catch(() => {
      if (cache.get(key) === pending) cache.delete(key);
    });
  }
  return pending;
}

/** Releases the model's session and forgets it; the next loadModel of the folder creates a new one. */
export async function releaseModel(model: LoadedModel): Promise<void> {
  for (const [key, pending] of cache) {
    const loaded = await pending.catch(() => null);
    if (loaded === model) cache.delete(key);
  }
  await model.session.release();
}

/** Releases every cached session (at quit, or when the model store changes). */
export async function releaseAllModels(): Promise<void> {
  const pendings = [...cache.values()];
  cache.clear();
  for (const pending of pendings) {
    const loaded = await pending.catch(() => null);
    if (loaded) await loaded.session.release();
  }
}

async function createModel(dir: string, threads: number): Promise<LoadedModel> {
  const manifestPath = join(dir, 'model.json');
  const onnxPath = join(dir, 'model.onnx');
  const manifest = parseManifest(await readJson(manifestPath), manifestPath);
  try {
    if (!(await stat(onnxPath)).isFile()) throw new Error('not a file');
  } catch {
    throw new CheXDeskError('ModelNotFound', 'the model folder has no model.onnx', onnxPath);
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnxPath, {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      executionMode: 'sequential',
      // No busy-waiting between runs: by default onnxruntime's idle intra-op threads spin, and on the
      // few cores of a workstation they then steal the time of the decode/preprocess work that runs
      // beside inference (measured: preprocessing right after a run took 2x as long, inference no faster).
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new CheXDeskError('ModelMismatch', `onnxruntime cannot load model.onnx: ${oneLine(message)}`, onnxPath);
  }
  try {
    const { fixedBatch, camGrid } = checkGraph(manifest, session.inputMetadata, session.outputMetadata);
    return { dir, manifest, session, threads, fixedBatch, camGrid };
  } catch (err) {
    await session.release();
    throw err instanceof CheXDeskError ? err.withFile(onnxPath) : err;
  }
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CheXDeskError('ModelNotFound', 'the model folder has no model.json', path);
    throw new CheXDeskError('ModelNotFound', `cannot read model.json (${code ?? 'unknown error'})`, path);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CheXDeskError('InvalidManifest', `model.json is not valid JSON (${oneLine(err instanceof Error ? err.message : String(err))})`, path);
  }
}

type Meta = ort.InferenceSession.ValueMetadata;

function names(list: readonly Meta[]): string {
  return list.map((m) => `"${m.name}"`).join(', ') || '(none)';
}

function dimText(shape: ReadonlyArray<number | string>): string {
  return `[${shape.map((d) => (typeof d === 'number' && d >= 0 ? String(d) : typeof d === 'string' ? d : '?')).join(', ')}]`;
}

/** A fixed dimension, or null for a symbolic / unknown one. */
function fixed(d: number | string | undefined): number | null {
  return typeof d === 'number' && d >= 0 ? d : null;
}

/**
 * Checks that the graph is what the manifest says it is, and says precisely what does not fit.
 * Shapes the graph leaves symbolic are accepted; fixed ones must agree.
 */
export function checkGraph(
  manifest: ModelManifest,
  inputs: readonly Meta[],
  outputs: readonly Meta[],
): { fixedBatch: number | null; camGrid: [number, number] | null } {
  const mismatch = (reason: string): never => {
    throw new CheXDeskError('ModelMismatch', reason);
  };
  const { name: inputName, channels, size } = manifest.input;
  const input = inputs.find((m) => m.name === inputName);
  if (!input) mismatch(`model.json says the input is "${inputName}" but the graph's inputs are ${names(inputs)}`);
  if (inputs.length > 1) mismatch(`the graph has ${inputs.length} inputs (${names(inputs)}); CheXDesk feeds one image tensor`);
  if (!input!.isTensor) mismatch(`input "${inputName}" is not a tensor`);
  const inMeta = input as ort.InferenceSession.TensorValueMetadata;
  if (inMeta.type !== 'float32') mismatch(`input "${inputName}" takes ${inMeta.type}, not float32`);
  let fixedBatch: number | null = null;
  if (inMeta.shape.length > 0) {
    const s = inMeta.shape;
    if (s.length !== 4) mismatch(`input "${inputName}" has shape ${dimText(s)}; CheXDesk feeds [batch, ${channels}, ${size}, ${size}]`);
    const c = fixed(s[1]);
    if (c !== null && c !== channels) mismatch(`model.json says ${channels} input channel${channels === 1 ? '' : 's'} but input "${inputName}" has ${c} (shape ${dimText(s)})`);
    for (const [axis, what] of [[2, 'height'], [3, 'width']] as const) {
      const d = fixed(s[axis]);
      if (d !== null && d !== size) mismatch(`model.json says input size ${size} but input "${inputName}" has ${what} ${d} (shape ${dimText(s)})`);
    }
    fixedBatch = fixed(s[0]);
    if (fixedBatch === 0) mismatch(`input "${inputName}" has a batch size of 0`);
  }

  /** A named float32 tensor output, or a mismatch saying which part of that is not so. */
  const floatOutput = (name: string, what: string): ort.InferenceSession.TensorValueMetadata => {
    const meta = outputs.find((m) => m.name === name);
    if (!meta) mismatch(`model.json says the ${what} output is "${name}" but the graph's outputs are ${names(outputs)}`);
    if (!meta!.isTensor) mismatch(`output "${name}" is not a tensor`);
    const tensor = meta as ort.InferenceSession.TensorValueMetadata;
    if (tensor.type !== 'float32') mismatch(`output "${name}" is ${tensor.type}, not float32`);
    return tensor;
  };

  const labels = manifest.labels.length;
  const probName = manifest.outputs.probabilities;
  const probMeta = floatOutput(probName, 'probabilities');
  if (probMeta.shape.length > 0) {
    const s = probMeta.shape;
    if (s.length !== 2) mismatch(`output "${probName}" has shape ${dimText(s)}; model.json needs [batch, ${labels}]`);
    const cols = fixed(s[1]);
    if (cols !== null && cols !== labels) mismatch(`model.json says ${labels} labels but output "${probName}" has ${cols} columns`);
  }

  let camGrid: [number, number] | null = null;
  const camName = manifest.outputs.cam;
  if (camName) {
    const camMeta = floatOutput(camName, 'CAM');
    if (camMeta.shape.length > 0) {
      const s = camMeta.shape;
      if (s.length !== 4) mismatch(`output "${camName}" has shape ${dimText(s)}; model.json needs [batch, ${labels}, h, w]`);
      const l = fixed(s[1]);
      if (l !== null && l !== labels) mismatch(`model.json says ${labels} labels but CAM output "${camName}" has ${l} maps (shape ${dimText(s)})`);
      const h = fixed(s[2]);
      const w = fixed(s[3]);
      if (h !== null && w !== null) camGrid = [h, w];
    }
  }
  return { fixedBatch, camGrid };
}

function oneLine(message: string): string {
  const line = message.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? line.slice(0, 297) + '...' : line;
}

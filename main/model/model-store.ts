/**
 * The installed models: folders under <data dir>/models, one per model, plus which one is in use
 * (settings.json). The CLI (`chexdesk model …`, `scan` without --model) and the app's Model dialog
 * go through this one module.
 */
import { cp, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { CheXDeskError } from '../errors';
import { modelStoreDir } from '../paths';
import { SettingsStore } from '../settings-store';
import type { ModelInfo } from '../api';
import { parseManifest, type ModelManifest } from './manifest';
import { loadModel, releaseModel, type LoadedModel } from './session';
import { predict } from './predict';
import { writeDemoModel } from './demo-model';

/** Where `chexdesk demo-model` (without a folder) and the app's "Make demo model" put it. */
export const DEMO_MODEL_ID = 'chexnet-demo-untrained';

/** How to get real weights, shown wherever there is no model or only an untrained one. */
export const CONVERSION_HELP = [
  'No trained CheXNet weights ship with CheXDesk. To use the published arnoweng/CheXNet checkpoint:',
  '  1. sudo apt-get install python3-torch python3-torchvision python3-onnx   (or: pip install torch torchvision onnx)',
  '  2. python3 tools/export-chexnet.py model.pth.tar ./chexnet-model',
  '  3. chexdesk model import ./chexnet-model',
  'For a quick look without weights: chexdesk demo-model (an UNTRAINED model; its numbers are not findings).',
].join('\n');

export interface StoredModel {
  id: string;
  dir: string;
  manifest: ModelManifest;
}

export function toModelInfo(id: string, dir: string, m: ModelManifest): ModelInfo {
  const info: ModelInfo = {
    id,
    dir,
    name: m.name,
    version: m.version,
    trained: m.trained,
    labels: [...m.labels],
    operatingPoints: m.operatingPoints ?? null,
    hasCam: Boolean(m.outputs.cam),
    inputSize: m.input.size,
    channels: m.input.channels,
  };
  if (m.architecture) info.architecture = m.architecture;
  if (m.description) info.description = m.description;
  if (m.provenance) info.provenance = m.provenance;
  return info;
}

async function readManifest(dir: string): Promise<ModelManifest | null> {
  try {
    const file = join(dir, 'model.json');
    return parseManifest(JSON.parse(await readFile(file, 'utf8')), file);
  } catch {
    return null;
  }
}

export class ModelStore {
  constructor(
    readonly root: string = modelStoreDir(),
    private readonly settings: SettingsStore = new SettingsStore(),
  ) {}

  /** Every model folder in the store with a readable manifest, by id. */
  async list(): Promise<StoredModel[]> {
    let names: string[];
    try {
      names = (await readdir(this.root, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
    } catch {
      return [];
    }
    const out: StoredModel[] = [];
    for (const id of names.sort()) {
      const dir = join(this.root, id);
      const manifest = await readManifest(dir);
      if (manifest) out.push({ id, dir, manifest });
    }
    return out;
  }

  /**
   * The model to use: an explicit folder (--model), else $CHEXDESK_MODEL, else the one chosen in
   * settings, else the only (or first) installed one, preferring trained models. Null when none.
   */
  async resolve(explicit?: string): Promise<{ id: string; dir: string } | null> {
    const given = explicit ?? process.env.CHEXDESK_MODEL;
    if (given) {
      const dir = resolve(given);
      return { id: dir, dir };
    }
    const models = await this.list();
    await this.settings.load();
    const chosen = this.settings.get().model;
    const pick = models.find((m) => m.id === chosen) ?? models.find((m) => m.manifest.trained) ?? models[0];
    return pick ? { id: pick.id, dir: pick.dir } : null;
  }

  async select(id: string): Promise<StoredModel> {
    const model = (await this.list()).find((m) => m.id === id);
    if (!model) throw new CheXDeskError('ModelNotFound', `no installed model "${id}" (see chexdesk model list)`);
    await this.settings.load();
    await this.settings.update({ model: id });
    return model;
  }

  /**
   * Validates a model folder (or an .onnx file with a manifest), runs one test inference, and copies
   * it into the store under a fresh id; the imported model becomes the one in use.
   */
  async import(source: string, opts: { manifest?: string; threads?: number } = {}): Promise<StoredModel> {
    const src = resolve(source);
    let onnxFile: string;
    let manifestFile: string;
    const s = await stat(src).catch(() => null);
    if (!s) throw new CheXDeskError('ModelNotFound', 'no such file or folder', src);
    if (s.isDirectory()) {
      onnxFile = join(src, 'model.onnx');
      manifestFile = opts.manifest ? resolve(opts.manifest) : join(src, 'model.json');
    } else if (extname(src).toLowerCase() === '.onnx') {
      onnxFile = src;
      const beside = join(dirname(src), 'model.json');
      manifestFile = opts.manifest ? resolve(opts.manifest) : beside;
      if (!opts.manifest && !(await stat(beside).catch(() => null))) {
        throw new CheXDeskError('InvalidManifest', 'an .onnx file needs its manifest: pass --manifest model.json (format: ../shared/models/README.md, or assets/chexnet.model.json as a template)', src);
      }
    } else {
      throw new CheXDeskError('ModelNotFound', 'give a model folder (model.onnx + model.json) or an .onnx file', src);
    }
    let manifest: ModelManifest;
    try {
      manifest = parseManifest(JSON.parse(await readFile(manifestFile, 'utf8')), manifestFile);
    } catch (err) {
      if (err instanceof CheXDeskError) throw err;
      throw new CheXDeskError('InvalidManifest', `cannot read the manifest (${err instanceof Error ? err.message : String(err)})`, manifestFile);
    }

    await mkdir(this.root, { recursive: true });
    const id = await this.freshId(slug(`${manifest.name}-${manifest.version}`));
    const dest = join(this.root, id);
    await mkdir(dest, { recursive: true });
    try {
      await cp(onnxFile, join(dest, 'model.onnx'));
      await cp(manifestFile, join(dest, 'model.json'));
      await this.smokeTest(dest, opts.threads);
    } catch (err) {
      await rm(dest, { recursive: true, force: true });
      throw err instanceof CheXDeskError ? err : new CheXDeskError('ModelMismatch', `import failed: ${err instanceof Error ? err.message : String(err)}`, src);
    }
    await this.settings.load();
    await this.settings.update({ model: id });
    return { id, dir: dest, manifest };
  }

  /**
   * Writes the UNTRAINED demo model into the store (replacing an earlier demo, never anything else).
   * It becomes the model in use unless a trained model is installed: an untrained model never
   * silently replaces a real one.
   */
  async installDemo(): Promise<{ model: StoredModel; selected: boolean }> {
    const dir = join(this.root, DEMO_MODEL_ID);
    await writeDemoModel(dir);
    const model = (await this.list()).find((m) => m.id === DEMO_MODEL_ID);
    if (!model) throw new CheXDeskError('Internal', 'the demo model was written but cannot be read back', dir);
    const trainedInstalled = (await this.list()).some((m) => m.manifest.trained);
    if (!trainedInstalled) await this.select(DEMO_MODEL_ID);
    return { model, selected: !trainedInstalled };
  }

  /** Loads the model and runs it once on a synthetic image: the graph, the manifest and the runtime agree. */
  private async smokeTest(dir: string, threads?: number): Promise<void> {
    let model: LoadedModel | null = null;
    try {
      model = await loadModel(dir, threads ? { threads } : {});
      const size = model.manifest.preprocess.resize;
      const data = new Uint8Array(size * size);
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data[y * size + x] = (x * 255) / (size - 1);
      const p = await predict(model, { width: size, height: size, channels: 1, data }, 'center');
      const bad = p.probabilities.findIndex((v) => !(v >= 0 && v <= 1));
      if (bad >= 0) {
        throw new CheXDeskError('ModelMismatch', `a test inference gave ${p.probabilities[bad]} for "${model.manifest.labels[bad]}"; outputs must be probabilities (after the sigmoid)`, dir);
      }
    } finally {
      if (model) await releaseModel(model);
    }
  }

  private async freshId(base: string): Promise<string> {
    const taken = new Set((await readdir(this.root).catch(() => [] as string[])).map((n) => n.toLowerCase()));
    if (!taken.has(base)) return base;
    for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
  }
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'model'
  );
}

/** The sha256 of model.onnx: results are reused only for the very same weights. */
export async function modelKey(model: LoadedModel): Promise<string> {
  const hash = createHash('sha256');
  await new Promise<void>((ok, fail) => {
    createReadStream(join(model.dir, 'model.onnx'))
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => ok())
      .on('error', fail);
  });
  return hash.digest('hex');
}
